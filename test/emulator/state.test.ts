import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openDatabase, migrate, readMigrations } from '../../src/db/database.js';
import { StateRepository } from '../../src/emulator/repository.js';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const require = createRequire(import.meta.url);
const THIRD = '0123456789abcdef0123456789abcdef';
const base = (account: string) => `/accounts/${account}/zt_risk_scoring/integrations`;
const ID1 = '00000000-0000-4000-8000-000000000001';
// Other features add their own per-account tables; these tests learn them from the schema, not by heart.
const LATEST = Math.max(...readMigrations().map((m) => m.version));
const PER_ACCOUNT_TABLES = (() => {
  const db = openDatabase(':memory:');
  migrate(db);
  const names = new StateRepository(db).tableNames();
  db.close();
  return names;
})();
const emptyTables = () => Object.fromEntries(PER_ACCOUNT_TABLES.map((t) => [t, []]));

let app: FastifyInstance;
let api: Api;

function control(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  return app.inject({ method, url: `/__emulator/v1${path}`, ...(body === undefined ? {} : { payload: body as object }) });
}

async function create(account: string, referenceId: string) {
  const res = await api('POST', base(account), { integration_type: 'Okta', tenant_url: `https://${referenceId}.okta.com`, reference_id: referenceId });
  expect(res.statusCode).toBe(200);
  return res.json().result;
}

async function listed(account: string) {
  return (await api('GET', base(account))).json().result.map((i: { reference_id: string }) => i.reference_id);
}

beforeEach(async () => {
  app = await makeApp({ port: 4010 }, { newId: sequentialIds(), now: tickingClock() });
  api = apiOf(app);
});
afterEach(async () => {
  await app.close();
});

describe('reset', () => {
  it('of one account empties that account only', async () => {
    await create(ACCOUNT, 'a1');
    await create(OTHER_ACCOUNT, 'b1');
    const res = await control('POST', `/accounts/${ACCOUNT}/reset`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, errors: [], messages: [], result: null });
    expect(await listed(ACCOUNT)).toEqual([]);
    expect(await listed(OTHER_ACCOUNT)).toEqual(['b1']);
  });

  it('of everything empties every account', async () => {
    await create(ACCOUNT, 'a1');
    await create(OTHER_ACCOUNT, 'b1');
    expect((await control('POST', '/reset')).statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual([]);
    expect(await listed(OTHER_ACCOUNT)).toEqual([]);
  });

  it('is atomic: a reader on another connection sees an account whole or empty, never half', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-atomic-'));
    const file = join(dir, 'state.db');
    await app.close();
    app = await makeApp({ databasePath: file });
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      account_tag: ACCOUNT,
      integration_type: 'Okta',
      reference_id: `ref-${i}`,
      tenant_url: 'https://a.okta.com',
      active: 1,
      created_at: '2025-01-01T00:00:00Z',
    }));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    // A worker thread reads in a tight loop while this thread imports and resets: a real concurrent reader.
    const reader = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const Database = require(workerData.module);
       const db = new Database(workerData.file, { readonly: true });
       const count = db.prepare('SELECT count(*) FROM integrations WHERE account_tag = ?').pluck();
       const seen = {};
       let reads = 0;
       while (Atomics.load(workerData.stop, 0) === 0) { const n = count.get(workerData.account); seen[n] = (seen[n] || 0) + 1; reads++; }
       db.close();
       parentPort.postMessage({ seen, reads });`,
      { eval: true, workerData: { module: require.resolve('better-sqlite3'), file, account: ACCOUNT, stop } },
    );
    const result = new Promise<{ seen: Record<string, number>; reads: number }>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    for (let i = 0; i < 8; i++) {
      expect((await control('PUT', `/accounts/${ACCOUNT}/state`, { tables: { integrations: rows } })).statusCode).toBe(200);
      expect((await control('POST', `/accounts/${ACCOUNT}/reset`)).statusCode).toBe(200);
    }
    Atomics.store(stop, 0, 1);
    const { seen, reads } = await result;
    expect(reads).toBeGreaterThan(0);
    expect(Object.keys(seen).filter((n) => n !== '0' && n !== '2000')).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 7003/7000 for a malformed account id and changes nothing', async () => {
    await create(ACCOUNT, 'a1');
    const res = await control('POST', '/accounts/not-an-account/reset');
    expect(res.statusCode).toBe(404);
    expect(res.json().errors.map((e: { code: number }) => e.code)).toEqual([7003, 7000]);
    expect(await listed(ACCOUNT)).toEqual(['a1']);
  });
});

describe('export and import', () => {
  it('exports rows exactly as stored, ids and timestamps included, in insertion order', async () => {
    await create(ACCOUNT, 'a1');
    await create(OTHER_ACCOUNT, 'b1');
    const one = await control('GET', `/accounts/${ACCOUNT}/state`);
    expect(one.statusCode).toBe(200);
    expect(one.json().result).toEqual({
      format: 'cf-zt-risk-emulator/state',
      version: 1,
      schema_version: LATEST,
      accounts: [ACCOUNT],
      tables: {
        ...emptyTables(),
        integrations: [
          {
            id: ID1,
            account_tag: ACCOUNT,
            integration_type: 'Okta',
            reference_id: 'a1',
            tenant_url: 'https://a1.okta.com',
            active: 1,
            created_at: '2025-03-19T19:53:56Z',
          },
        ],
      },
    });
    const all = (await control('GET', '/state')).json().result;
    expect(all.accounts).toEqual([ACCOUNT, OTHER_ACCOUNT].sort());
    expect(all.tables.integrations.map((r: { reference_id: string }) => r.reference_id)).toEqual(['a1', 'b1']);
  });

  it('round-trips exactly: export, reset, import, export again gives the same document and the same API answers', async () => {
    for (const ref of ['c', 'a', 'b']) await create(ACCOUNT, ref);
    await create(OTHER_ACCOUNT, 'z');
    const before = (await control('GET', '/state')).json().result;
    const listBefore = (await api('GET', base(ACCOUNT))).json();
    await control('POST', '/reset');
    const imported = await control('PUT', '/state', before);
    expect(imported.statusCode).toBe(200);
    expect(imported.json().result).toEqual({ accounts: [ACCOUNT, OTHER_ACCOUNT].sort(), rows: 4 });
    expect((await control('GET', '/state')).json().result).toEqual(before);
    expect((await api('GET', base(ACCOUNT))).json()).toEqual(listBefore);
  });

  it('PUT /state replaces everything; PUT /accounts/{id}/state replaces that account only', async () => {
    await create(ACCOUNT, 'a1');
    const snapshot = (await control('GET', `/accounts/${ACCOUNT}/state`)).json().result;
    await create(ACCOUNT, 'a2');
    await create(OTHER_ACCOUNT, 'b1');
    expect((await control('PUT', `/accounts/${ACCOUNT}/state`, snapshot)).json().result).toEqual({ accounts: [ACCOUNT], rows: 1 });
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    expect(await listed(OTHER_ACCOUNT)).toEqual(['b1']);
    await control('PUT', '/state', snapshot);
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    expect(await listed(OTHER_ACCOUNT)).toEqual([]);
  });

  it('an exported empty account, imported, empties it', async () => {
    const empty = (await control('GET', `/accounts/${THIRD}/state`)).json().result;
    expect(PER_ACCOUNT_TABLES).toContain('integrations');
    expect(empty.tables).toEqual(emptyTables());
    await create(THIRD, 't1');
    await control('PUT', `/accounts/${THIRD}/state`, empty);
    expect(await listed(THIRD)).toEqual([]);
  });

  it('accepts the whole export answer (envelope included) as well as its result', async () => {
    await create(ACCOUNT, 'a1');
    const answer = (await control('GET', `/accounts/${ACCOUNT}/state`)).json();
    await control('POST', '/reset');
    expect((await control('PUT', `/accounts/${ACCOUNT}/state`, answer)).statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual(['a1']);
  });

  const row = {
    id: '11111111-1111-4111-8111-111111111111',
    account_tag: ACCOUNT,
    integration_type: 'Okta',
    reference_id: 'seeded',
    tenant_url: 'https://seeded.okta.com',
    active: 1,
    created_at: '2024-01-02T03:04:05Z',
  };

  it.each([
    ['an unknown table', { tables: { nope: [] } }, `unknown table "nope" (per-account tables: ${PER_ACCOUNT_TABLES.join(', ')})`, '/tables/nope'],
    ['an unknown column', { tables: { integrations: [{ ...row, colour: 'red' }] } }, 'tables.integrations[0] has unknown column "colour" (columns: id, account_tag, integration_type, reference_id, tenant_url, active, created_at)', '/tables/integrations/0/colour'],
    ['a missing required column', { tables: { integrations: [{ ...row, tenant_url: undefined }] } }, 'tables.integrations[0].tenant_url is required', '/tables/integrations/0/tenant_url'],
    ['a bad account_tag', { tables: { integrations: [{ ...row, account_tag: 'ACME' }] } }, 'tables.integrations[0].account_tag "ACME" is not an account id (32 lower-case hex characters)', '/tables/integrations/0/account_tag'],
    ['a boolean value', { tables: { integrations: [{ ...row, active: true }] } }, 'tables.integrations[0].active must be a string, a finite number, null or {"$base64": "..."}', '/tables/integrations/0/active'],
    ['another schema version', { schema_version: 99, tables: {} }, `the document was exported at schema version 99, this emulator is at ${LATEST}`, '/schema_version'],
    ['a constraint the database refuses', { tables: { integrations: [{ ...row, active: 7 }] } }, 'tables.integrations[0] cannot be stored: CHECK constraint failed: active IN (0, 1)', '/tables/integrations/0'],
  ])('refuses %s with a 400 naming the problem, and changes nothing', async (_name, document, message, pointer) => {
    await create(ACCOUNT, 'kept');
    const res = await control('PUT', '/state', document);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, errors: [{ code: 1410, message, source: { pointer } }], messages: [], result: null });
    expect(await listed(ACCOUNT)).toEqual(['kept']);
  });

  it('refuses a body that is not a JSON object', async () => {
    const res = await control('PUT', '/state', [1]);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ code: 1001, message: 'request body must be a JSON object', source: { pointer: '/' } }]);
  });

  it('is all or nothing: a duplicate id in the last row leaves the earlier rows unwritten', async () => {
    await create(ACCOUNT, 'kept');
    const second = { ...row, reference_id: 'other' };
    const res = await control('PUT', `/accounts/${ACCOUNT}/state`, { tables: { integrations: [row, second] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toEqual({
      code: 1410,
      message: 'tables.integrations[1] cannot be stored: UNIQUE constraint failed: integrations.id',
      source: { pointer: '/tables/integrations/1' },
    });
    expect(await listed(ACCOUNT)).toEqual(['kept']);
  });

  it('an account import refuses rows of another account', async () => {
    const res = await control('PUT', `/accounts/${OTHER_ACCOUNT}/state`, { tables: { integrations: [row] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].message).toBe(`tables.integrations[0].account_tag ${ACCOUNT} is not the account being imported (${OTHER_ACCOUNT})`);
  });

  it('a seeded row is served by the Cloudflare API exactly', async () => {
    await control('PUT', `/accounts/${ACCOUNT}/state`, { tables: { integrations: [row] } });
    const got = await api('GET', `${base(ACCOUNT)}/${row.id}`);
    expect(got.json().result).toEqual({
      ...row,
      active: true,
      well_known_url: `http://127.0.0.1:4010/.well-known/sse-configuration/${row.id}`,
    });
  });
});

describe('tables are found by introspection', () => {
  it('covers any table with an account_tag, keeps BLOBs and defaults, checks foreign keys at commit, leaves others alone', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    db.exec(`
      CREATE TABLE parents (id TEXT PRIMARY KEY, account_tag TEXT NOT NULL, note TEXT NOT NULL DEFAULT 'none');
      CREATE TABLE children (id INTEGER PRIMARY KEY, account_tag TEXT NOT NULL, parent_id TEXT NOT NULL REFERENCES parents(id), data BLOB);
      CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT);
      INSERT INTO settings VALUES ('global', 'kept');
    `);
    const state = new StateRepository(db);
    expect(state.tableNames()).toEqual([...PER_ACCOUNT_TABLES, 'children', 'parents'].sort());
    // Children listed before their parent: foreign keys are only checked at commit.
    const document = {
      tables: {
        children: [{ id: 7, account_tag: ACCOUNT, parent_id: 'p1', data: { $base64: Buffer.from([0, 1, 255]).toString('base64') } }],
        parents: [{ id: 'p1', account_tag: ACCOUNT }],
      },
    };
    expect(state.import(document, 'covered')).toEqual({ accounts: [ACCOUNT], rows: 2 });
    const exported = state.export(ACCOUNT);
    expect(exported.tables).toEqual({
      ...emptyTables(),
      children: [{ id: 7, account_tag: ACCOUNT, parent_id: 'p1', data: { $base64: 'AAH/' } }],
      parents: [{ id: 'p1', account_tag: ACCOUNT, note: 'none' }],
    });
    expect(() => state.import({ tables: { children: [{ id: 8, account_tag: OTHER_ACCOUNT, parent_id: 'missing' }] } }, 'covered')).toThrow(
      'the document cannot be stored: FOREIGN KEY constraint failed',
    );
    state.reset();
    expect(state.export().tables).toEqual({ ...emptyTables(), children: [], parents: [] });
    expect(db.prepare('SELECT value FROM settings').pluck().get()).toBe('kept');
    db.close();
  });
});
