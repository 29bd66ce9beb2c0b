// The control API under /__emulator/v1/: reset, export and import state, the request journal, fault rules.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { responses, success } from '../cloudflare/envelope.js';
import { ApiError, ErrorCode, notFound } from '../cloudflare/errors.js';
import type { FaultRules } from './faults.js';
import type { Journal, JournalFilter } from './journal.js';
import { compilePathPattern, type PathPattern } from './requests.js';
import type { StateRepository } from './repository.js';
import {
  ControlAccountParams,
  FaultParams,
  FaultQuery,
  FaultRule,
  FaultRuleInput,
  ImportResult,
  JournalClearQuery,
  JournalEntry,
  JournalQuery,
  Removed,
  StateDocument,
  StateExportQuery,
  StateImportBody,
} from './schemas.js';

export interface ControlRoutesOptions {
  state: StateRepository;
  journal: Journal;
  faults: FaultRules;
  /** Called after an import: the Shared Signals worker looks again at what is pending. */
  onImported: () => void;
}

export const CONTROL_PREFIX = '/__emulator/v1';
const TAG = 'Emulator controls';

/**
 * The admin token of the control plugin: documented on every operation registered in `controls` (whichever
 * feature's), and, when the emulator has one, checked by the plugin's own onRequest hook.
 */
export function requireAdminToken(controls: FastifyInstance, adminToken: string | undefined): void {
  controls.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{}, { emulator_admin: [] }] };
  });
  if (adminToken === undefined) return;
  const expected = Buffer.from(`Bearer ${adminToken}`);
  controls.addHook('onRequest', async (request) => {
    const given = Buffer.from(String(request.headers.authorization ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ApiError(401, [
        { code: ErrorCode.adminTokenRequired, message: 'The control API needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>' },
      ]);
    }
  });
}

function journalFilter(query: { account?: string; method?: string; path?: string; status?: string; since?: string }): JournalFilter {
  let path: PathPattern | undefined;
  if (query.path !== undefined) {
    path = compilePathPattern(query.path);
    if (!path) {
      throw new ApiError(400, [
        { code: ErrorCode.validation, message: 'path must be a path pattern starting with "/"', source: { pointer: '/path' } },
      ]);
    }
  }
  return {
    ...(query.account === undefined ? {} : { account: query.account }),
    ...(query.method === undefined ? {} : { method: query.method }),
    ...(path === undefined ? {} : { path }),
    ...(query.status === undefined ? {} : { status: Number(query.status) }),
    ...(query.since === undefined ? {} : { since: Number(query.since) }),
  };
}

export const controlRoutes: FastifyPluginAsync<ControlRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { state, journal, faults, onImported } = options;
  const imported = <T>(result: T): T => {
    onImported();
    return result;
  };

  /** Reset and import replace data; the scope's journal entries and fault rules go with it. */
  const forget = (accountId: string | undefined) => {
    journal.clear(accountId === undefined ? {} : { account: accountId });
    faults.clear(accountId);
  };

  app.post(
    '/reset',
    {
      schema: {
        operationId: 'emulator-reset',
        summary: 'Reset everything: every account\'s data, the request journal and the fault rules.',
        description: 'One SQLite transaction: a concurrent request sees the state before or after, never half of it.',
        tags: [TAG],
        response: responses(Type.Null()),
      },
    },
    async () => {
      state.reset();
      forget(undefined);
      return success(null);
    },
  );

  app.post(
    '/accounts/:account_id/reset',
    {
      schema: {
        operationId: 'emulator-reset-account',
        summary: 'Reset one account: its data, its journal entries and the fault rules scoped to it.',
        description: 'Other accounts are untouched. One SQLite transaction.',
        tags: [TAG],
        params: ControlAccountParams,
        response: responses(Type.Null()),
      },
    },
    async (request) => {
      const { account_id } = request.params;
      state.reset(account_id);
      forget(account_id);
      return success(null);
    },
  );

  app.get(
    '/state',
    {
      schema: {
        operationId: 'emulator-state-export',
        summary: 'Export the state of every account.',
        description: 'Secrets are left out unless ?secrets=true.',
        tags: [TAG],
        querystring: StateExportQuery,
        response: responses(StateDocument),
      },
    },
    async (request) => success(state.export(undefined, { secrets: request.query.secrets === 'true' })),
  );

  app.put(
    '/state',
    {
      schema: {
        operationId: 'emulator-state-import',
        summary: 'Replace the whole state with a document (all or nothing).',
        description: 'Accounts the document does not cover end up empty. The journal and fault rules are kept.',
        tags: [TAG],
        body: StateImportBody,
        response: responses(ImportResult),
      },
    },
    async (request) => success(imported(state.import(request.body, 'all'))),
  );

  app.get(
    '/accounts/:account_id/state',
    {
      schema: {
        operationId: 'emulator-state-export-account',
        summary: 'Export the state of one account.',
        description: 'Secrets are left out unless ?secrets=true.',
        tags: [TAG],
        params: ControlAccountParams,
        querystring: StateExportQuery,
        response: responses(StateDocument),
      },
    },
    async (request) => success(state.export(request.params.account_id, { secrets: request.query.secrets === 'true' })),
  );

  app.put(
    '/accounts/:account_id/state',
    {
      schema: {
        operationId: 'emulator-state-import-account',
        summary: "Replace one account's state with a document whose rows all belong to it (all or nothing).",
        tags: [TAG],
        params: ControlAccountParams,
        body: StateImportBody,
        response: responses(ImportResult),
      },
    },
    async (request) => success(imported(state.import(request.body, { account: request.params.account_id }))),
  );

  app.get(
    '/journal',
    {
      schema: {
        operationId: 'emulator-journal-list',
        summary: 'The last requests to the emulated API, oldest first, filtered by account, method, path, status.',
        description: 'Credentials are redacted. Bodies over 64 KiB are not kept.',
        tags: [TAG],
        querystring: JournalQuery,
        response: responses(Type.Array(JournalEntry)),
      },
    },
    async (request) => {
      const { limit } = request.query;
      return success(journal.list(journalFilter(request.query), limit === undefined ? undefined : Number(limit)));
    },
  );

  app.delete(
    '/journal',
    {
      schema: {
        operationId: 'emulator-journal-clear',
        summary: 'Clear the journal, or only the entries matching the filter.',
        tags: [TAG],
        querystring: JournalClearQuery,
        response: responses(Removed),
      },
    },
    async (request) => success({ removed: journal.clear(journalFilter(request.query)) }),
  );

  app.get(
    '/faults',
    {
      schema: {
        operationId: 'emulator-fault-list',
        summary: 'List fault rules (optionally those scoped to one account), in the order they are tried.',
        tags: [TAG],
        querystring: FaultQuery,
        response: responses(Type.Array(FaultRule)),
      },
    },
    async (request) => success(faults.list(request.query.account)),
  );

  app.post(
    '/faults',
    {
      schema: {
        operationId: 'emulator-fault-create',
        summary: 'Add a fault rule: matching requests fail, wait first, or lose their connection.',
        description:
          'Rules are tried in creation order; the first that matches and fires answers. A failure uses Cloudflare\'s envelope and an x-emulator-fault header.',
        tags: [TAG],
        body: FaultRuleInput,
        response: responses(FaultRule),
      },
    },
    async (request) => success(faults.add(request.body)),
  );

  app.get(
    '/faults/:fault_id',
    {
      schema: {
        operationId: 'emulator-fault-get',
        summary: 'One fault rule, with how many times it has fired and how many remain.',
        tags: [TAG],
        params: FaultParams,
        response: responses(FaultRule),
      },
    },
    async (request) => {
      const rule = faults.get(request.params.fault_id);
      if (!rule) throw notFound(ErrorCode.faultNotFound, `Fault rule ${request.params.fault_id} not found`);
      return success(rule);
    },
  );

  app.delete(
    '/faults/:fault_id',
    {
      schema: {
        operationId: 'emulator-fault-delete',
        summary: 'Remove a fault rule.',
        tags: [TAG],
        params: FaultParams,
        response: responses(Type.Null()),
      },
    },
    async (request) => {
      if (!faults.remove(request.params.fault_id)) {
        throw notFound(ErrorCode.faultNotFound, `Fault rule ${request.params.fault_id} not found`);
      }
      return success(null);
    },
  );

  app.delete(
    '/faults',
    {
      schema: {
        operationId: 'emulator-fault-clear',
        summary: 'Remove every fault rule, or those scoped to one account.',
        tags: [TAG],
        querystring: FaultQuery,
        response: responses(Removed),
      },
    },
    async (request) => success({ removed: faults.clear(request.query.account) }),
  );
};
