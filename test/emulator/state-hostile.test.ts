// Hostile state documents: every value is checked as the API would check it, references stay inside the document's
// own accounts, and a refusal is a 400 (code 1410, with a JSON pointer) that changes nothing at all.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config.js';
import { migrate, openDatabase } from '../../src/db/database.js';
import { seedFromFile, StateRepository } from '../../src/emulator/repository.js';
import { integrationTables } from '../../src/integrations/state.js';
import { riskTables } from '../../src/risk/state.js';
import { ssfTables } from '../../src/ssf/state.js';
import { ACCOUNT, OTHER_ACCOUNT } from '../support/app.js';
import { fixtureDocument, stateApp } from './stateFixture.js';

type Row = Record<string, unknown>;
type Document = { accounts: string[]; tables: Record<string, Row[]> } & Record<string, unknown>;

let fixture: Document;
let app: FastifyInstance;
let before: unknown;
const dir = mkdtempSync(join(tmpdir(), 'emulator-hostile-state-'));

const exported = async () => (await app.inject({ method: 'GET', url: '/__emulator/v1/state?secrets=true' })).json().result;

beforeAll(async () => {
  fixture = (await fixtureDocument()).result as Document;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  app = await stateApp();
  expect((await app.inject({ method: 'PUT', url: '/__emulator/v1/state', payload: fixture })).statusCode).toBe(200);
  before = await exported();
});
afterEach(async () => {
  await app.close();
});

/** A copy of the fixture, whole or limited to one account (what PUT /accounts/{id}/state takes). */
function documentOf(account?: string): Document {
  const copy = structuredClone(fixture);
  if (account === undefined) return copy;
  const tables = Object.fromEntries(Object.entries(copy.tables).map(([name, rows]) => [name, rows.filter((r) => r.account_tag === account)]));
  return { ...copy, accounts: [account], tables };
}

function rowOf(document: Document, table: string, match: (row: Row) => boolean = () => true): { row: Row; index: number } {
  const rows = document.tables[table] ?? [];
  const index = rows.findIndex(match);
  if (index === -1) throw new Error(`no such row in ${table}`);
  return { row: rows[index] as Row, index };
}

const ofA = (row: Row) => row.account_tag === ACCOUNT;
const ofB = (row: Row) => row.account_tag === OTHER_ACCOUNT;
const B = () => ({
  integration: rowOf(fixture, 'integrations', ofB).row.id as string,
  stream: rowOf(fixture, 'ssf_streams', ofB).row.stream_id as string,
  set: rowOf(fixture, 'ssf_outbox', ofB).row.jti as string,
  key: rowOf(fixture, 'ssf_keys', ofB).row,
});

/** Moves a SET to another integration, issuer included (a SET's iss names its integration). */
function moveSet(row: Row, integrationId: string): void {
  const claims = JSON.parse(row.claims as string) as { iss: string };
  row.integration_id = integrationId;
  row.claims = JSON.stringify({ ...claims, iss: claims.iss.replace(/[^/]+$/, integrationId) });
}

async function refused(url: string, body: unknown, pointer: string, message: string): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: `/__emulator/v1${url}`, payload: body as object });
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({ success: false, errors: [{ code: 1410, message, source: { pointer } }], messages: [], result: null });
  expect(await exported()).toEqual(before);
}

const A_STATE = `/accounts/${ACCOUNT}/state`;

describe('references stay inside the document and its account', () => {
  it('a stream cannot be planted on another account\'s integration', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_streams');
    row.integration_id = B().integration;
    await refused(A_STATE, document, `/tables/ssf_streams/${index}/integration_id`,
      `tables.ssf_streams[${index}].integration_id: no tables.integrations row with id "${B().integration}" in account ${ACCOUNT} in this document`);
  });

  it('nor settings', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_integration_settings');
    row.integration_id = B().integration;
    await refused(A_STATE, document, `/tables/ssf_integration_settings/${index}/integration_id`,
      `tables.ssf_integration_settings[${index}].integration_id: no tables.integrations row with id "${B().integration}" in account ${ACCOUNT} in this document`);
  });

  it('nor a subject on another account\'s stream', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_stream_subjects');
    row.stream_id = B().stream;
    await refused(A_STATE, document, `/tables/ssf_stream_subjects/${index}/stream_id`,
      `tables.ssf_stream_subjects[${index}].stream_id: no tables.ssf_streams row with stream_id "${B().stream}" in account ${ACCOUNT} in this document`);
  });

  it('nor a queued SET in another account\'s stream (its receiver would poll it)', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_outbox', (r) => r.status === 'queued');
    row.stream_id = B().stream;
    await refused(A_STATE, document, `/tables/ssf_outbox/${index}/stream_id`,
      `tables.ssf_outbox[${index}].stream_id: no tables.ssf_streams row with stream_id "${B().stream}" in account ${ACCOUNT} in this document`);
  });

  it('a whole-state import checks references between accounts of the same document too', async () => {
    const document = documentOf();
    const { index, row } = rowOf(document, 'ssf_streams', ofA);
    row.integration_id = B().integration;
    await refused('/state', document, `/tables/ssf_streams/${index}/integration_id`,
      `tables.ssf_streams[${index}].integration_id: the tables.integrations row with id "${B().integration}" belongs to account ${OTHER_ACCOUNT}, not ${ACCOUNT}`);
  });

  it('a SET names a stream of its own integration', async () => {
    const document = documentOf(ACCOUNT);
    document.tables.integrations?.push({ ...rowOf(document, 'integrations').row, id: '99999999-9999-4999-8999-999999999999', reference_id: 'second' });
    const { index, row } = rowOf(document, 'ssf_outbox', (r) => r.stream_id !== null);
    moveSet(row, '99999999-9999-4999-8999-999999999999');
    await refused(A_STATE, document, `/tables/ssf_outbox/${index}/stream_id`,
      `tables.ssf_outbox[${index}].stream_id: the tables.ssf_streams row with stream_id "${String(row.stream_id)}" has integration_id "${String(rowOf(fixture, 'integrations', ofA).row.id)}", not "99999999-9999-4999-8999-999999999999"`);
  });

  it('an event names a user of its account', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'risk_events');
    row.user_id = '11111111-2222-4333-8444-555555555555';
    await refused(A_STATE, document, `/tables/risk_events/${index}/user_id`,
      `tables.risk_events[${index}].user_id: no tables.risk_users row with user_id "11111111-2222-4333-8444-555555555555" in account ${ACCOUNT} in this document`);
  });

  it('a finished SET may outlive its integration (kept for the record), but never name another account\'s', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_outbox', (r) => r.status === 'delivered' && r.stream_id === null);
    moveSet(row, B().integration);
    await refused(A_STATE, document, `/tables/ssf_outbox/${index}/integration_id`,
      `tables.ssf_outbox[${index}].integration_id: the tables.integrations row with id "${B().integration}" belongs to account ${OTHER_ACCOUNT}`);
    moveSet(row, '99999999-9999-4999-8999-999999999999');
    const res = await app.inject({ method: 'PUT', url: `/__emulator/v1${A_STATE}`, payload: document });
    expect(res.statusCode).toBe(200);
  });

  it('a live SET may not outlive its integration', async () => {
    const document = documentOf(ACCOUNT);
    const { index, row } = rowOf(document, 'ssf_outbox', (r) => r.status === 'queued');
    moveSet(row, '99999999-9999-4999-8999-999999999999');
    await refused(A_STATE, document, `/tables/ssf_outbox/${index}/integration_id`,
      `tables.ssf_outbox[${index}].integration_id: no tables.integrations row with id "99999999-9999-4999-8999-999999999999" in account ${ACCOUNT} in this document`);
  });
});

describe('values unique across accounts cannot be taken from another account', () => {
  const integration = () => rowOf(fixture, 'integrations', ofA).row;

  it('an integration id', async () => {
    await refused(A_STATE, { tables: { integrations: [{ ...integration(), id: B().integration }] } }, '/tables/integrations/0/id',
      `tables.integrations[0].id "${B().integration}" is already used by account ${OTHER_ACCOUNT} (unique across accounts)`);
  });

  it('a stream id', async () => {
    const stream = { ...rowOf(fixture, 'ssf_streams', ofA).row, stream_id: B().stream };
    await refused(A_STATE, { tables: { integrations: [integration()], ssf_streams: [stream] } }, '/tables/ssf_streams/0/stream_id',
      `tables.ssf_streams[0].stream_id "${B().stream}" is already used by account ${OTHER_ACCOUNT} (unique across accounts)`);
  });

  it('a jti', async () => {
    const set = rowOf(fixture, 'ssf_outbox', (r) => ofA(r) && r.stream_id === null).row;
    const claims = JSON.stringify({ ...JSON.parse(set.claims as string), jti: B().set });
    await refused(A_STATE, { tables: { integrations: [integration()], ssf_outbox: [{ ...set, jti: B().set, claims }] } }, '/tables/ssf_outbox/0/jti',
      `tables.ssf_outbox[0].jti "${B().set}" is already used by account ${OTHER_ACCOUNT} (unique across accounts)`);
  });

  it('a signing key', async () => {
    await refused(A_STATE, { tables: { ssf_keys: [{ ...B().key, account_tag: ACCOUNT }] } }, '/tables/ssf_keys/0/kid',
      `tables.ssf_keys[0].kid "${String(B().key.kid)}" is already used by account ${OTHER_ACCOUNT} (unique across accounts)`);
  });

  it('and within one document a key is used once', async () => {
    const document = documentOf();
    const sets = document.tables.ssf_outbox as Row[];
    sets.push({ ...(sets[0] as Row) });
    await refused('/state', document, `/tables/ssf_outbox/${sets.length - 1}/jti`,
      `tables.ssf_outbox[${sets.length - 1}].jti "${String(sets[0]?.jti)}" is already used by tables.ssf_outbox[0]`);
  });

  it('and a reference_id once per account', async () => {
    const document = documentOf(ACCOUNT);
    document.tables.integrations?.push({ ...integration(), id: '99999999-9999-4999-8999-999999999999' });
    await refused(A_STATE, document, '/tables/integrations/1/reference_id',
      'tables.integrations[1].reference_id "idp-1" is already used by tables.integrations[0] of the same account');
  });
});

describe('every value as the API would check it', () => {
  /** table, the row to change, the change, then the pointer's last token and the message's tail. */
  const cases: Array<[string, string, Row, string, string]> = [
    ['integrations', 'an integration_type other than "Okta"', { integration_type: 'okta' }, 'integration_type', 'must be "Okta"'],
    ['integrations', 'an id that is not a UUID', { id: '../../etc' }, 'id', 'must be a valid uuid'],
    ['integrations', 'a tenant_url that is not an http(s) URL', { tenant_url: 'ftp://tenant.example' }, 'tenant_url', 'must match ^(https?|HTTPS?)://[^/?#\\s]+'],
    ['integrations', 'an oversized tenant_url', { tenant_url: `https://t.example/${'a'.repeat(2048)}` }, 'tenant_url', 'must NOT have more than 2048 characters'],
    ['integrations', 'an oversized reference_id', { reference_id: 'r'.repeat(256) }, 'reference_id', 'must NOT have more than 255 characters'],
    ['integrations', 'an empty reference_id', { reference_id: '' }, 'reference_id', 'must NOT have fewer than 1 characters'],
    ['integrations', 'a created_at that is not RFC 3339', { created_at: 'yesterday' }, 'created_at', 'must be a valid date-time'],
    ['integrations', 'a bad account_tag', { account_tag: 'ACME' }, 'account_tag', 'must match ^[0-9a-f]{32}$'],
    ['risk_behaviors', 'a behavior outside the catalogue', { behavior_id: 'mind_reading' }, 'behavior_id', 'must be one of: "imp_travel", "high_dlp", "sentinel_one", "crowdstrike_low_score", "crowdstrike_medium_score", "malicious_file", "security_domain", "high_risk_domain"'],
    ['risk_behaviors', 'a risk level other than low|medium|high', { risk_level: 'critical' }, 'risk_level', 'must be one of: "low", "medium", "high"'],
    ['risk_users', 'a user id in upper case (the API looks users up in lower case)', { user_id: '0F3C7C38-2B5B-4C84-B43E-0B0C1F7A6E11' }, 'user_id', 'must match ^[0-9a-f-]{36}$'],
    ['risk_users', 'an email that is not one', { email: 'not an email' }, 'email', 'must be a valid email'],
    ['risk_events', 'event_details that are not JSON', { event_details: '{"ip":' }, 'event_details', 'is not valid JSON'],
    ['risk_events', 'event_details nested deeper than the API reads', { event_details: `${'['.repeat(40)}${']'.repeat(40)}` }, 'event_details', 'nests deeper than 32 levels'],
    ['risk_events', 'a timestamp_ms that is not the timestamp', { timestamp_ms: 0 }, 'timestamp_ms', 'must be 1742410800000, the timestamp in milliseconds since the epoch'],
    ['ssf_integration_settings', 'an unknown event profile', { event_profile: 'OKTA' }, 'event_profile', 'must be one of: "okta", "caep", null'],
    ['ssf_streams', 'an unknown delivery method', { delivery_method: 'urn:ietf:rfc:8937' }, 'delivery_method', 'must be one of: "urn:ietf:rfc:8935", "urn:ietf:rfc:8936"'],
    ['ssf_streams', 'a status other than enabled|paused|disabled', { status: 'on' }, 'status', 'must be one of: "enabled", "paused", "disabled"'],
    ['ssf_streams', 'an empty stream_id', { stream_id: '' }, 'stream_id', 'must NOT have fewer than 1 characters'],
    ['ssf_streams', 'events_requested that are not an array', { events_requested: '"all"' }, 'events_requested', 'must be array (in the JSON text)'],
    ['ssf_streams', 'an oversized authorization_header', { authorization_header: 'x'.repeat(4097) }, 'authorization_header', 'must NOT have more than 4096 characters'],
    ['ssf_stream_subjects', 'a subject without a format', { subject: '{"email":"a@b.example"}' }, 'subject', 'is required (in the JSON text)'],
    ['ssf_stream_subjects', 'a subject_key that is not the subject\'s', { subject_key: 'email:someone@else.example' }, 'subject_key', 'must be "email:grace@example.com", the key of subject'],
    ['ssf_outbox', 'claims that are not JSON', { claims: '{"iss":' }, 'claims', 'is not valid JSON'],
    ['ssf_outbox', 'claims that are not a SET', { claims: '[]' }, 'claims', 'must be object (in the JSON text)'],
    ['ssf_outbox', 'claims with a prototype key', { claims: '{"__proto__":{"polluted":true}}' }, 'claims', 'holds a forbidden prototype key ("__proto__")'],
    ['ssf_outbox', 'a status no SET has', { status: 'sent' }, 'status', 'must be one of: "pending", "delivered", "failed", "held", "queued", "acknowledged", "dropped", "canceled"'],
    ['ssf_outbox', 'an attempt_log entry of the wrong shape', { attempt_log: '[{"at":"yesterday","http_status":null,"error":null,"answer":null,"location":null}]' }, 'attempt_log', 'must be a valid date-time (in the JSON text)'],
    ['ssf_outbox', 'a kid that is no key\'s name', { kid: 'kid-1' }, 'kid', 'must match ^[A-Za-z0-9_-]{43}$'],
    ['ssf_outbox', 'a token without a kid', { kid: null }, 'kid', 'and token are set together, when the SET is signed'],
    ['ssf_outbox', 'a next_attempt_at no Date can hold', { next_attempt_at: 1e300 }, 'next_attempt_at', 'must be <= 8640000000000000'],
    ['ssf_keys', 'a key that is not one', { private_jwk: '{"kty":"RSA","kid":"x","alg":"RS256","n":"AQAB","e":"AQAB","d":"AQAB","p":"AQAB","q":"AQAB","dp":"AQAB","dq":"AQAB","qi":"AQAB"}' }, 'private_jwk', ''],
    ['ssf_keys', 'a kid that is not the key\'s thumbprint', { kid: 'A'.repeat(43) }, 'kid', ''],
  ];

  it.each(cases)('%s: refuses %s', async (table, _what, change, column, tail) => {
    const document = documentOf();
    const { index, row } = rowOf(document, table, (r) => ofA(r) && (table !== 'ssf_stream_subjects' || String(r.subject).includes('Grace')));
    Object.assign(row, change);
    const res = await app.inject({ method: 'PUT', url: '/__emulator/v1/state', payload: document });
    expect(res.statusCode).toBe(400);
    const [error] = res.json().errors;
    expect(error.code).toBe(1410);
    expect(error.source).toEqual({ pointer: `/tables/${table}/${index}/${column}` });
    const subject = { attempt_log: 'attempt_log[0].at', subject: 'subject.format' }[column] ?? column;
    if (tail) expect(error.message).toBe(`tables.${table}[${index}].${subject} ${tail}`);
    else expect(error.message).toMatch(new RegExp(`^tables\\.${table}\\[${index}\\]\\.${column} `));
    expect(await exported()).toEqual(before);
  });

  it('a SET\'s claims must be its own: jti, txn, event type and issuer', async () => {
    const document = documentOf();
    const { index, row } = rowOf(document, 'ssf_outbox', ofA);
    const claims = JSON.parse(row.claims as string) as Row;
    row.claims = JSON.stringify({ ...claims, jti: 'another' });
    await refused('/state', document, `/tables/ssf_outbox/${index}/claims`, `tables.ssf_outbox[${index}].claims jti must be the row's jti, "${String(row.jti)}"`);
    row.claims = JSON.stringify({ ...claims, txn: 'another' });
    await refused('/state', document, `/tables/ssf_outbox/${index}/claims`, `tables.ssf_outbox[${index}].claims txn must be the row's txn, "${String(row.txn)}"`);
    row.claims = JSON.stringify({ ...claims, events: { 'https://schemas.openid.net/secevent/ssf/event-type/verification': {} } });
    await refused('/state', document, `/tables/ssf_outbox/${index}/claims`, `tables.ssf_outbox[${index}].claims events must hold the row's event_type, ${String(row.event_type)}`);
    row.claims = JSON.stringify({ ...claims, iss: `https://ssf.example/${B().integration}` });
    await refused('/state', document, `/tables/ssf_outbox/${index}/claims`,
      `tables.ssf_outbox[${index}].claims iss must be the issuer of the row's integration (.../${String(row.integration_id)})`);
  });

  it('a push stream needs an endpoint_url; a poll stream has no endpoint_url nor Authorization', async () => {
    const document = documentOf();
    const push = rowOf(document, 'ssf_streams', (r) => r.delivery_method === 'urn:ietf:rfc:8935');
    push.row.endpoint_url = null;
    await refused('/state', document, `/tables/ssf_streams/${push.index}/endpoint_url`,
      `tables.ssf_streams[${push.index}].endpoint_url is required for push delivery (urn:ietf:rfc:8935)`);
    const other = documentOf();
    const poll = rowOf(other, 'ssf_streams', (r) => r.delivery_method === 'urn:ietf:rfc:8936');
    poll.row.authorization_header = 'Bearer stolen';
    await refused('/state', other, `/tables/ssf_streams/${poll.index}/authorization_header`,
      `tables.ssf_streams[${poll.index}].authorization_header must be null for poll delivery (urn:ietf:rfc:8936)`);
  });

  it('a pushed SET has a target, a polled one a stream and a poll status (else the worker would spin on it)', async () => {
    const document = documentOf();
    const push = rowOf(document, 'ssf_outbox', (r) => r.delivery === 'push');
    push.row.target = null;
    await refused('/state', document, `/tables/ssf_outbox/${push.index}/target`, `tables.ssf_outbox[${push.index}].target is required for push delivery`);
    const other = documentOf();
    const poll = rowOf(other, 'ssf_outbox', (r) => r.delivery === 'poll');
    poll.row.status = 'pending';
    await refused('/state', other, `/tables/ssf_outbox/${poll.index}/status`,
      `tables.ssf_outbox[${poll.index}].status must be one of queued, acknowledged, failed, held, dropped, canceled for poll delivery`);
  });

  it('a signing key\'s public half is its own', async () => {
    const document = documentOf();
    const mine = rowOf(document, 'ssf_keys', ofA);
    mine.row.public_jwk = B().key.public_jwk;
    await refused('/state', document, `/tables/ssf_keys/${mine.index}/public_jwk`, `tables.ssf_keys[${mine.index}].public_jwk is not the public half of private_jwk`);
  });

  it('unknown and derived columns are refused by name', async () => {
    const document = documentOf();
    const { index, row } = rowOf(document, 'ssf_outbox');
    row.lane = 'tenant:x';
    await refused('/state', document, `/tables/ssf_outbox/${index}/lane`,
      `tables.ssf_outbox[${index}] has unknown column "lane" (columns: jti, account_tag, integration_id, stream_id, txn, event_type, delivery, target, authorization, claims, token, kid, status, attempts, http_status, error, created_at, last_attempt_at, delivered_at, next_attempt_at, attempt_log)`);
  });
});

describe('documents built to hurt', () => {
  it('prototype keys in the body are refused by the JSON parser (every route), and change nothing', async () => {
    const body = JSON.stringify(documentOf()).replace('"tables":{', '"tables":{"__proto__":{"polluted":true},');
    const res = await app.inject({ method: 'PUT', url: '/__emulator/v1/state', headers: { 'content-type': 'application/json' }, payload: body });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ code: 1002, message: 'Malformed JSON in request body' }]);
    expect(await exported()).toEqual(before);
  });

  it('a seed file with prototype keys (read with plain JSON.parse) is refused by name, and loads nothing', () => {
    const db = openDatabase(':memory:');
    migrate(db);
    const state = new StateRepository(db, [...integrationTables, ...riskTables, ...ssfTables]);
    const file = join(dir, 'proto.json');
    const row = rowOf(fixture, 'integrations').row;
    writeFileSync(file, `{"tables": {"integrations": [${JSON.stringify(row).replace('{', '{"__proto__": {"admin": true},')}]}}`);
    expect(() => seedFromFile(state, file)).toThrow(ConfigError);
    expect(() => seedFromFile(state, file)).toThrow(
      `SEED_FILE ${file}: at /tables/integrations/0/__proto__: tables.integrations[0] has unknown column "__proto__" (columns: id, account_tag, integration_type, reference_id, tenant_url, active, created_at); nothing was loaded`,
    );
    writeFileSync(file, '{"__proto__": {"tables": {}}, "tables": {"__proto__": []}}');
    expect(() => seedFromFile(state, file)).toThrow(`SEED_FILE ${file}: at /__proto__: unknown field "__proto__"`);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(state.export().tables.integrations).toEqual([]);
    db.close();
  });

  it('thousands of rows within the body limit: one bad row at the end refuses them all', async () => {
    const template = rowOf(fixture, 'integrations', ofA).row;
    const rows = Array.from({ length: 4001 }, (_, i) => ({
      ...template,
      id: `00000000-0000-4000-8000-${String(100000 + i).padStart(12, '0')}`,
      reference_id: `ref-${i}`,
    }));
    (rows[4000] as Row).integration_type = 'okta';
    const body = { tables: { integrations: rows } };
    expect(JSON.stringify(body).length).toBeLessThan(1024 * 1024);
    await refused(A_STATE, body, '/tables/integrations/4000/integration_type', 'tables.integrations[4000].integration_type must be "Okta"');
    rows.pop();
    const res = await app.inject({ method: 'PUT', url: `/__emulator/v1${A_STATE}`, payload: body });
    expect(res.json().result).toEqual({ accounts: [ACCOUNT], rows: 4000 });
  });

  it('a body of nothing but empty rows is refused at the first', async () => {
    const body = { tables: { risk_users: Array.from({ length: 200_000 }, () => ({})) } };
    await refused('/state', body, '/tables/risk_users/0/account_tag', 'tables.risk_users[0].account_tag is required');
  });
});
