import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { openDatabase, migrate, readMigrations } from '../../src/db/database.js';
import { StateRepository } from '../../src/emulator/repository.js';
import { integrationTables } from '../../src/integrations/state.js';
import { riskTables } from '../../src/risk/state.js';
import { ssfTables } from '../../src/ssf/state.js';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';
import { ADA, fixtureDocument, stateApp } from './stateFixture.js';

const require = createRequire(import.meta.url);
const THIRD = '0123456789abcdef0123456789abcdef';
const base = (account: string) => `/accounts/${account}/zt_risk_scoring/integrations`;
const ID1 = '00000000-0000-4000-8000-000000000001';
// Other features add their own per-account tables; these tests learn them from the schema, not by heart.
const LATEST = Math.max(...readMigrations().map((m) => m.version));
const DESCRIPTIONS = [...integrationTables, ...riskTables, ...ssfTables];
const PER_ACCOUNT_TABLES = (() => {
  const db = openDatabase(':memory:');
  migrate(db);
  const names = new StateRepository(db, DESCRIPTIONS).tableNames();
  db.close();
  return names;
})();
/** Secret tables (the signing keys) are left out of an export without ?secrets=true. */
const emptyTables = () => Object.fromEntries(PER_ACCOUNT_TABLES.filter((t) => t !== 'ssf_keys').map((t) => [t, []]));
type Document = { tables: Record<string, Array<Record<string, unknown>>> } & Record<string, unknown>;

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
      version: 2,
      schema_version: LATEST,
      secrets: false,
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
    ['an unknown field', { tables: {}, extra: 1 }, 'unknown field "extra" (expected format, version, schema_version, secrets, accounts, tables)', '/extra'],
    ['a missing required column', { tables: { integrations: [{ ...row, tenant_url: undefined }] } }, 'tables.integrations[0].tenant_url is required', '/tables/integrations/0/tenant_url'],
    ['a bad account_tag', { tables: { integrations: [{ ...row, account_tag: 'ACME' }] } }, 'tables.integrations[0].account_tag must match ^[0-9a-f]{32}$', '/tables/integrations/0/account_tag'],
    ['a boolean for a 0/1 column', { tables: { integrations: [{ ...row, active: true }] } }, 'tables.integrations[0].active must be integer', '/tables/integrations/0/active'],
    ['a 0/1 column out of range', { tables: { integrations: [{ ...row, active: 7 }] } }, 'tables.integrations[0].active must be one of: 0, 1', '/tables/integrations/0/active'],
    ['another schema version', { schema_version: 99, tables: {} }, `the document was exported at schema version 99, this emulator is at ${LATEST}`, '/schema_version'],
    ['a version 1 document', { version: 1, tables: {} }, 'version 1 is not supported (this emulator reads version 2)', '/version'],
  ])('refuses %s with a 400 naming the problem, and changes nothing', async (_name, document, message, pointer) => {
    await create(ACCOUNT, 'kept');
    const res = await control('PUT', '/state', document);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, errors: [{ code: 1410, message, source: { pointer } }], messages: [], result: null });
    expect(await listed(ACCOUNT)).toEqual(['kept']);
  });

  it('points into the whole export answer when that is what was sent', async () => {
    const res = await control('PUT', '/state', { success: true, errors: [], messages: [], result: { tables: { integrations: [{ ...row, active: 2 }] } } });
    expect(res.json().errors).toEqual([
      { code: 1410, message: 'tables.integrations[0].active must be one of: 0, 1', source: { pointer: '/result/tables/integrations/0/active' } },
    ]);
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
    expect(res.json().errors).toEqual([
      { code: 1410, message: `tables.integrations[1].id "${row.id}" is already used by tables.integrations[0]`, source: { pointer: '/tables/integrations/1/id' } },
    ]);
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

describe('a state with rows in every table', () => {
  let full: Document;
  const state = async (target: FastifyInstance, query = '') => (await target.inject({ method: 'GET', url: `/__emulator/v1/state${query}` })).json().result as Document;
  const put = (target: FastifyInstance, document: unknown) => target.inject({ method: 'PUT', url: '/__emulator/v1/state', payload: document as object });
  /** The document an export without ?secrets=true gives of the same state. */
  const withoutSecrets = (document: Document): Document => {
    const { ssf_keys: _keys, ...tables } = document.tables;
    const drop = (rows: Array<Record<string, unknown>>, column: string) => rows.map(({ [column]: _secret, ...rest }) => rest);
    return {
      ...document,
      secrets: false,
      tables: { ...tables, ssf_streams: drop(tables.ssf_streams ?? [], 'authorization_header'), ssf_outbox: drop(tables.ssf_outbox ?? [], 'authorization') },
    };
  };

  beforeAll(async () => {
    full = (await fixtureDocument()).result as Document;
  }, 60_000);

  it('has rows in every per-account table, and secrets only when asked for', () => {
    expect(full.secrets).toBe(true);
    expect(Object.keys(full.tables).sort()).toEqual(PER_ACCOUNT_TABLES);
    for (const table of PER_ACCOUNT_TABLES) expect(full.tables[table], table).not.toEqual([]);
    expect(full.tables.ssf_streams?.map((s) => s.authorization_header)).toContain('Bearer push-secret');
    expect(full.tables.ssf_outbox?.map((s) => s.authorization)).toContain('Bearer push-secret');
  });

  it('export, import into another emulator, export again gives the same document, with secrets and without', async () => {
    const other = await stateApp();
    try {
      expect((await put(other, full)).json().result).toEqual({
        accounts: [ACCOUNT, OTHER_ACCOUNT].sort(),
        rows: Object.values(full.tables).reduce((n, rows) => n + rows.length, 0),
      });
      expect(await state(other, '?secrets=true')).toEqual(full);
      const redacted = await state(other);
      expect(redacted).toEqual(withoutSecrets(full));
      expect(JSON.stringify(redacted)).not.toContain('push-secret');
      expect(JSON.stringify(redacted)).not.toContain('private_jwk');

      expect((await put(other, redacted)).statusCode).toBe(200);
      expect(await state(other)).toEqual(redacted);
      expect((await put(other, full)).statusCode).toBe(200);
      expect(await state(other, '?secrets=true')).toEqual(full);
    } finally {
      await other.close();
    }
  });

  it('per account too: ?secrets=true on GET /accounts/{id}/state, and the import of it restores the account', async () => {
    const other = await stateApp();
    try {
      await put(other, full);
      const account = (await other.inject({ method: 'GET', url: `/__emulator/v1/accounts/${ACCOUNT}/state?secrets=true` })).json().result as Document;
      expect(account.tables.ssf_keys?.map((k) => k.account_tag)).toEqual([ACCOUNT]);
      const redacted = (await other.inject({ method: 'GET', url: `/__emulator/v1/accounts/${ACCOUNT}/state` })).json().result as Document;
      expect(redacted).toEqual(withoutSecrets(account));
      await other.inject({ method: 'POST', url: `/__emulator/v1/accounts/${ACCOUNT}/reset` });
      expect((await other.inject({ method: 'PUT', url: `/__emulator/v1/accounts/${ACCOUNT}/state`, payload: account })).statusCode).toBe(200);
      expect((await other.inject({ method: 'GET', url: `/__emulator/v1/accounts/${ACCOUNT}/state?secrets=true` })).json().result).toEqual(account);
      const bad = await other.inject({ method: 'GET', url: '/__emulator/v1/state?secrets=yes' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([{ code: 1001, message: 'secrets must be one of: "true", "false"', source: { pointer: '/secrets' } }]);
    } finally {
      await other.close();
    }
  });

  it('seq is not carried: an import numbers the SETs in document order, after every SET the database ever numbered', async () => {
    const other = await stateApp();
    try {
      await put(other, full);
      const reversed = { ...full, tables: { ...full.tables, ssf_outbox: [...(full.tables.ssf_outbox ?? [])].reverse() } };
      expect((await put(other, reversed)).statusCode).toBe(200);
      expect((await state(other, '?secrets=true')).tables.ssf_outbox).toEqual(reversed.tables.ssf_outbox);
      const listed = (await other.inject({ method: 'GET', url: '/__emulator/v1/ssf/outbox?limit=1000' })).json().result as Array<{ jti: string }>;
      expect(listed.map((e) => e.jti)).toEqual(reversed.tables.ssf_outbox.map((e) => e.jti));

      const numbered = { ...full, tables: { ...full.tables, ssf_outbox: [{ seq: 1, ...full.tables.ssf_outbox?.[0] }] } };
      const res = await put(other, numbered);
      expect(res.json().errors).toEqual([
        { code: 1410, message: 'tables.ssf_outbox[0].seq is assigned on import, in document order: leave it out', source: { pointer: '/tables/ssf_outbox/0/seq' } },
      ]);
    } finally {
      await other.close();
    }
  });

  it('an import without keys: the account gets a new key on first need, and SETs signed by the old one are signed again', async () => {
    const other = await stateApp();
    try {
      const redacted = withoutSecrets(full);
      expect((await put(other, redacted)).statusCode).toBe(200);
      const oldKid = full.tables.ssf_keys?.find((k) => k.account_tag === ACCOUNT)?.kid;
      const queued = full.tables.ssf_outbox?.find((e) => e.account_tag === ACCOUNT && e.status === 'queued') as Record<string, string>;
      expect(queued.kid).toBe(oldKid);
      // The outbox still lists SETs whose kid is no longer among the account's keys.
      const outbox = await other.inject({ method: 'GET', url: `/__emulator/v1/ssf/outbox?account_id=${ACCOUNT}&limit=1000` });
      expect(outbox.statusCode).toBe(200);
      expect(outbox.json().result.map((e: { kid: string | null }) => e.kid)).toContain(oldKid);

      const headers = { authorization: 'Bearer receiver-token' };
      const pollUrl = `/ssf/${queued.integration_id}/streams/${queued.stream_id}/poll`;
      const first = await other.inject({ method: 'POST', url: pollUrl, headers, payload: { returnImmediately: true, ack: [] } });
      expect(first.statusCode).toBe(200);
      // The stored token's key is gone: the SET is signed again with the account's new key, so a receiver can verify it.
      const resigned = first.json().sets[queued.jti] as string;
      expect(Object.keys(first.json().sets)).toEqual([queued.jti]);
      expect(resigned).not.toBe(queued.token);
      expect(decodeJwt(resigned)).toEqual(decodeJwt(queued.token as string));

      // A new SET is signed with the account's new key, which the JWKS publishes.
      expect((await apiOf(other)('POST', `/accounts/${ACCOUNT}/zt_risk_scoring/${ADA}/reset`)).statusCode).toBe(200);
      const next = await other.inject({ method: 'POST', url: pollUrl, headers, payload: { returnImmediately: true, ack: [queued.jti] } });
      expect(next.statusCode).toBe(200);
      const tokens = Object.values(next.json().sets as Record<string, string>);
      expect(tokens).toHaveLength(1);
      const jwks = await other.inject({ method: 'GET', url: `/ssf/${queued.integration_id}/jwks` });
      expect(jwks.statusCode).toBe(200);
      const keys = jwks.json() as JSONWebKeySet;
      expect(keys.keys.map((k) => k.kid)).not.toContain(oldKid);
      const token = tokens[0] as string;
      expect(decodeProtectedHeader(token).kid).toBe(keys.keys[0]?.kid);
      await jwtVerify(token, createLocalJWKSet(keys));
      expect(decodeProtectedHeader(resigned).kid).toBe(keys.keys[0]?.kid);
      await jwtVerify(resigned, createLocalJWKSet(keys));
    } finally {
      await other.close();
    }
  });
});

describe('tables are described by their features', () => {
  it('a per-account table without a description stops start-up; so does a description that disagrees with its table', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    expect(() => new StateRepository(db, DESCRIPTIONS.filter((d) => d.table !== 'risk_users'))).toThrow(
      "per-account table risk_users has no description: declare it in its feature's state.ts and hand it to StateRepository",
    );
    db.exec('ALTER TABLE integrations ADD COLUMN colour TEXT');
    expect(() => new StateRepository(db, DESCRIPTIONS)).toThrow('integrations.colour is not described');
    db.exec('CREATE TABLE notes (account_tag TEXT NOT NULL, body TEXT NOT NULL)');
    const integrations = DESCRIPTIONS.find((d) => d.table === 'integrations');
    const withColour = { ...integrations, table: 'integrations', columns: { ...integrations?.columns, colour: Type.String() } };
    const notes = { table: 'notes', columns: { body: Type.Optional(Type.String()) } };
    expect(() => new StateRepository(db, [...DESCRIPTIONS.filter((d) => d !== integrations), withColour, notes])).toThrow(
      'integrations.colour must be Type.Optional in its description',
    );
    db.close();
  });
});
