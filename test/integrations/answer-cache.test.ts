// Read answers (an account's list, one integration by id or by reference_id) are kept serialised; these tests
// read first (so an answer is kept), change the data by every path that can, and read again: the second read
// must show the change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const base = (account: string) => `/accounts/${account}/zt_risk_scoring/integrations`;
const ID1 = '00000000-0000-4000-8000-000000000001';

let app: FastifyInstance;
let api: Api;
let dir: string;

function control(method: 'POST' | 'PUT', path: string, body?: unknown) {
  return app.inject({ method, url: `/__emulator/v1${path}`, ...(body === undefined ? {} : { payload: body as object }) });
}

async function create(account: string, referenceId: string) {
  const res = await api('POST', base(account), { integration_type: 'Okta', tenant_url: `https://${referenceId}.okta.com`, reference_id: referenceId });
  expect(res.statusCode).toBe(200);
  return res.json().result as { id: string };
}

async function listed(account: string) {
  const res = await api('GET', base(account));
  expect(res.statusCode).toBe(200);
  return res.json().result.map((i: { reference_id: string; active: boolean }) => `${i.reference_id}${i.active ? '' : ' (inactive)'}`);
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-list-cache-'));
  app = await makeApp({ port: 4010, databasePath: join(dir, 'list.db') }, { newId: sequentialIds(), now: tickingClock() });
  api = apiOf(app);
});
afterEach(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a listed account', () => {
  it('shows a create, an update and a delete made after it was listed', async () => {
    const first = await create(ACCOUNT, 'a1');
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    await create(ACCOUNT, 'a2');
    expect(await listed(ACCOUNT)).toEqual(['a1', 'a2']);
    const put = await api('PUT', `${base(ACCOUNT)}/${first.id}`, { tenant_url: 'https://a1.okta.com', active: false, reference_id: 'a1b' });
    expect(put.statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual(['a1b (inactive)', 'a2']);
    expect((await api('DELETE', `${base(ACCOUNT)}/${first.id}`)).statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual(['a2']);
  });

  it('shows a change of another account too, and each account keeps its own answer', async () => {
    await create(ACCOUNT, 'a1');
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    expect(await listed(OTHER_ACCOUNT)).toEqual([]);
    await create(OTHER_ACCOUNT, 'b1');
    expect(await listed(OTHER_ACCOUNT)).toEqual(['b1']);
    expect(await listed(ACCOUNT)).toEqual(['a1']);
  });

  it("shows the control API's reset of the account and of everything", async () => {
    await create(ACCOUNT, 'a1');
    await create(OTHER_ACCOUNT, 'b1');
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    expect(await listed(OTHER_ACCOUNT)).toEqual(['b1']);
    expect((await control('POST', `/accounts/${ACCOUNT}/reset`)).statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual([]);
    expect(await listed(OTHER_ACCOUNT)).toEqual(['b1']);
    expect((await control('POST', '/reset')).statusCode).toBe(200);
    expect(await listed(OTHER_ACCOUNT)).toEqual([]);
  });

  it("shows the control API's import into the account", async () => {
    await create(ACCOUNT, 'a1');
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    const row = { id: ID1, account_tag: ACCOUNT, integration_type: 'Okta', reference_id: 'imported', tenant_url: 'https://i.okta.com', active: 0, created_at: '2025-01-01T00:00:00Z' };
    const res = await control('PUT', `/accounts/${ACCOUNT}/state`, { tables: { integrations: [row] } });
    expect(res.statusCode).toBe(200);
    expect(await listed(ACCOUNT)).toEqual(['imported (inactive)']);
  });

  it('shows a row another connection wrote to the database file', async () => {
    await create(ACCOUNT, 'a1');
    expect(await listed(ACCOUNT)).toEqual(['a1']);
    const other = new BetterSqlite3(join(dir, 'list.db'));
    try {
      other
        .prepare('INSERT INTO integrations (id, account_tag, integration_type, reference_id, tenant_url, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run('00000000-0000-4000-8000-0000000000ff', ACCOUNT, 'Okta', 'outside', 'https://o.okta.com', 1, '2025-01-01T00:00:00Z');
    } finally {
      other.close();
    }
    expect(await listed(ACCOUNT)).toEqual(['a1', 'outside']);
  });

  it('answers the same bytes as the single reads, whatever the strings hold', async () => {
    const tricky = ['quote " backslash \\ slash /', 'tab\tnew\nline\u0001\u001f', 'é ünïcødé 𝄞 \u2028', '<script>&amp;'];
    for (const ref of tricky) {
      const res = await api('POST', base(ACCOUNT), { integration_type: 'Okta', tenant_url: 'https://t.okta.com', reference_id: ref });
      expect(res.statusCode).toBe(200);
    }
    for (let round = 0; round < 2; round++) {
      const list = await api('GET', base(ACCOUNT));
      const ones = [];
      for (const item of list.json().result as { id: string }[]) {
        const one = await api('GET', `${base(ACCOUNT)}/${item.id}`);
        ones.push(JSON.stringify(one.json().result));
      }
      expect(list.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(list.body).toBe(`{"success":true,"errors":[],"messages":[],"result":[${ones.join(',')}]}`);
      expect(list.json().result.map((i: { reference_id: string }) => i.reference_id)).toEqual(tricky);
    }
  });
});

describe('a read integration', () => {
  async function one(path: string) {
    const res = await api('GET', `${base(ACCOUNT)}/${path}`);
    return res.statusCode === 200 ? `${res.json().result.reference_id} ${res.json().result.tenant_url}${res.json().result.active ? '' : ' (inactive)'}` : res.statusCode;
  }

  it('shows an update and a delete made after it was read, by id and by reference_id', async () => {
    const { id } = await create(ACCOUNT, 'a1');
    expect(await one(id)).toBe('a1 https://a1.okta.com');
    expect(await one('reference_id/a1')).toBe('a1 https://a1.okta.com');
    const put = await api('PUT', `${base(ACCOUNT)}/${id}`, { tenant_url: 'https://new.okta.com', active: false });
    expect(put.statusCode).toBe(200);
    expect(await one(id)).toBe('a1 https://new.okta.com (inactive)');
    expect(await one('reference_id/a1')).toBe('a1 https://new.okta.com (inactive)');
    expect((await api('DELETE', `${base(ACCOUNT)}/${id}`)).statusCode).toBe(200);
    expect(await one(id)).toBe(404);
    expect(await one('reference_id/a1')).toBe(404);
  });

  it('keeps no "not found": a reference_id read before it exists is found once created', async () => {
    expect(await one('reference_id/later')).toBe(404);
    await create(ACCOUNT, 'later');
    expect(await one('reference_id/later')).toBe('later https://later.okta.com');
  });

  it("shows the control API's reset, and a change another connection wrote to the database file", async () => {
    const { id } = await create(ACCOUNT, 'a1');
    expect(await one(id)).toBe('a1 https://a1.okta.com');
    const other = new BetterSqlite3(join(dir, 'list.db'));
    try {
      other.prepare("UPDATE integrations SET tenant_url = 'https://outside.okta.com' WHERE id = ?").run(id);
    } finally {
      other.close();
    }
    expect(await one(id)).toBe('a1 https://outside.okta.com');
    expect(await one('reference_id/a1')).toBe('a1 https://outside.okta.com');
    expect((await control('POST', `/accounts/${ACCOUNT}/reset`)).statusCode).toBe(200);
    expect(await one(id)).toBe(404);
  });
});
