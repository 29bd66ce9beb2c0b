// The six Cloudflare operations on risk score integrations.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AccountParams } from '../cloudflare/identifiers.js';
import { responses, success } from '../cloudflare/envelope.js';
import { ErrorCode, notFound } from '../cloudflare/errors.js';
import type { IntegrationEvents } from './events.js';
import type { IntegrationRecord, IntegrationRepository } from './repository.js';
import {
  CreateIntegrationBody,
  Integration,
  IntegrationParams,
  ReferenceParams,
  UpdateIntegrationBody,
} from './schemas.js';

export interface IntegrationRoutesOptions {
  repository: IntegrationRepository;
  /** Base of well_known_url, e.g. https://ssf.risk-score.teams.cloudflare.com. */
  ssfBaseUrl: () => string;
  events: IntegrationEvents;
}

const TAG = 'Zero Trust Risk Scoring Integrations';

export function wellKnownUrl(ssfBaseUrl: string, integrationId: string): string {
  return `${ssfBaseUrl}/.well-known/sse-configuration/${integrationId}`;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Serialised answers of the read operations, by key (an account's list, one integration). They are valid while
 * the database's change stamp (any row written by this process, or a commit by another connection) and the SSF
 * base URL stay what they were, so no write path has to remember to invalidate them. Only successes are kept.
 */
class AnswerCache {
  private stamp = -1;
  private base = '';
  private readonly bodies = new Map<string, string>();

  /** At most `size` answers; the oldest goes first. */
  constructor(private readonly size: number) {}

  get(stamp: number, base: string, key: string): string | undefined {
    if (stamp !== this.stamp || base !== this.base) {
      this.bodies.clear();
      this.stamp = stamp;
      this.base = base;
      return undefined;
    }
    return this.bodies.get(key);
  }

  set(key: string, body: string): void {
    if (this.bodies.size >= this.size) this.bodies.delete(this.bodies.keys().next().value as string);
    this.bodies.set(key, body);
  }
}

function notFoundIntegration(id: string) {
  return notFound(ErrorCode.integrationNotFound, `Integration ${id} not found`);
}

export const integrationRoutes: FastifyPluginAsync<IntegrationRoutesOptions> = async (plugin, options) => {
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const { repository, ssfBaseUrl, events } = options;
  // One literal in the answer's key order, not a spread: it runs for every integration answered.
  const toWire = (record: IntegrationRecord, base = ssfBaseUrl()): Integration => ({
    id: record.id,
    account_tag: record.account_tag,
    integration_type: record.integration_type,
    reference_id: record.reference_id,
    tenant_url: record.tenant_url,
    well_known_url: wellKnownUrl(base, record.id),
    active: record.active,
    created_at: record.created_at,
  });
  // A list of 1,000 integrations is about 340 KB, one integration about 400 bytes.
  const lists = new AnswerCache(16);
  const singles = new AnswerCache(1000);
  /** Sends the cached answer under `key`, or the one `read` serialises with the route's own serializer. */
  const sendCached = (cache: AnswerCache, key: string, reply: FastifyReply, read: (base: string) => unknown): void => {
    const base = ssfBaseUrl();
    const stamp = repository.changeStamp();
    let body = cache.get(stamp, base, key);
    if (body === undefined) {
      // A miss throws (not found) before anything is cached, so only successes are kept.
      body = reply.serialize(read(base)) as string;
      cache.set(key, body);
    }
    // Already serialised: a string with a JSON content type is sent as it is (typed as the schema's object).
    reply.type(JSON_TYPE).send(body as never);
  };
  const logListenerFailure = (request: FastifyRequest) => (err: unknown) => request.log.error({ err }, 'integration listener failed');

  // The handlers are synchronous (SQLite answers synchronously): no promise and microtask per request.
  // Fastify sends what they return, and a throw becomes the failure envelope as before. The writes
  // (create, update, delete) are the exception: they wait for the group commit that stores them.

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-list',
        summary: 'List all risk score integrations for the account.',
        tags: [TAG],
        params: AccountParams,
        response: responses(Type.Array(Integration)),
      },
    },
    (request, reply) => {
      const accountId = request.params.account_id;
      sendCached(lists, accountId, reply, (base) => success(repository.list(accountId).map((r) => toWire(r, base))));
    },
  );

  app.post(
    '/accounts/:account_id/zt_risk_scoring/integrations',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-create',
        summary: 'Create new risk score integration.',
        description: 'The new integration is always active. An omitted or null reference_id gets a fresh UUIDv4.',
        tags: [TAG],
        params: AccountParams,
        body: CreateIntegrationBody,
        response: responses(Integration),
      },
    },
    async (request) => {
      const { integration_type, tenant_url, reference_id } = request.body;
      const record = await repository.create(request.params.account_id, {
        integrationType: integration_type,
        tenantUrl: tenant_url,
        referenceId: reference_id ?? undefined,
      });
      events.publish({ kind: 'created', integration: record }, logListenerFailure(request));
      return success(toWire(record));
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-get',
        summary: 'Get risk score integration by id.',
        tags: [TAG],
        params: IntegrationParams,
        response: responses(Integration),
      },
    },
    (request, reply) => {
      const { account_id, integration_id } = request.params;
      sendCached(singles, `${account_id}/${integration_id}`, reply, (base) => {
        const record = repository.get(account_id, integration_id);
        if (!record) throw notFoundIntegration(integration_id);
        return success(toWire(record, base));
      });
    },
  );

  app.put(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-update',
        summary: 'Update a risk score integration.',
        description:
          'Overwrites tenant_url and active, and reference_id when given (omitted or null keeps the current one).',
        tags: [TAG],
        params: IntegrationParams,
        body: UpdateIntegrationBody,
        response: responses(Integration),
      },
    },
    async (request) => {
      const { account_id, integration_id } = request.params;
      const { tenant_url, active, reference_id } = request.body;
      const updated = await repository.update(account_id, integration_id, {
        tenantUrl: tenant_url,
        active,
        referenceId: reference_id ?? undefined,
      });
      if (!updated) throw notFoundIntegration(integration_id);
      events.publish({ kind: 'updated', ...updated }, logListenerFailure(request));
      return success(toWire(updated.integration));
    },
  );

  app.delete(
    '/accounts/:account_id/zt_risk_scoring/integrations/:integration_id',
    {
      config: { permission: 'write' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-delete',
        summary: 'Delete a risk score integration.',
        tags: [TAG],
        params: IntegrationParams,
        response: responses(Type.Null()),
      },
    },
    async (request) => {
      const { account_id, integration_id } = request.params;
      const record = await repository.delete(account_id, integration_id);
      if (!record) throw notFoundIntegration(integration_id);
      events.publish({ kind: 'deleted', integration: record }, logListenerFailure(request));
      return success(null);
    },
  );

  app.get(
    '/accounts/:account_id/zt_risk_scoring/integrations/reference_id/:reference_id',
    {
      config: { permission: 'read' },
      schema: {
        operationId: 'dlp-zt-risk-score-integration-get-by-reference-id',
        summary: 'Get risk score integration by reference id.',
        tags: [TAG],
        params: ReferenceParams,
        response: responses(Integration),
      },
    },
    (request, reply) => {
      const { account_id, reference_id } = request.params;
      // Keyed apart from ids: a reference id may look like another integration's id.
      sendCached(singles, `${account_id}/reference_id/${reference_id}`, reply, (base) => {
        const record = repository.getByReference(account_id, reference_id);
        if (!record) {
          throw notFound(ErrorCode.integrationNotFound, `No integration with reference_id ${JSON.stringify(reference_id)}`);
        }
        return success(toWire(record, base));
      });
    },
  );
};
