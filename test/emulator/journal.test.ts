import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock } from '../support/app.js';

const base = (account: string) => `/accounts/${account}/zt_risk_scoring/integrations`;
let app: FastifyInstance;

afterEach(async () => {
  await app.close();
});

async function journal(query = '') {
  const res = await app.inject({ method: 'GET', url: `/__emulator/v1/journal${query}` });
  expect(res.statusCode).toBe(200);
  return res.json().result as Array<Record<string, unknown> & { request: { headers: Record<string, string>; body: unknown }; response: { body: unknown } }>;
}

describe('request journal', () => {
  it('records method, path, status, account, bodies, with credentials redacted, oldest first', async () => {
    app = await makeApp({}, { newId: sequentialIds(), now: tickingClock() });
    const api = apiOf(app);
    await api('POST', base(ACCOUNT), { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'r1' });
    await app.inject({
      method: 'GET',
      url: `/client/v4${base(OTHER_ACCOUNT)}?page=1`,
      headers: { 'x-auth-email': 'user@example.com', 'x-auth-key': 'secret-key' },
    });
    await app.inject({ method: 'GET', url: '/healthz' });
    const entries = await journal();
    expect(entries).toHaveLength(2);
    const [created, listed] = entries;
    expect(created).toMatchObject({
      id: 1,
      method: 'POST',
      path: `/client/v4${base(ACCOUNT)}`,
      query: null,
      account: ACCOUNT,
      status: 200,
      fault: null,
    });
    expect(created?.request.headers.authorization).toBe('[redacted]');
    expect(created?.request.body).toEqual({ integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'r1' });
    expect(created?.response.body).toMatchObject({ success: true, result: { reference_id: 'r1', account_tag: ACCOUNT } });
    expect(typeof created?.duration_ms).toBe('number');
    expect(listed).toMatchObject({ id: 2, method: 'GET', query: 'page=1', account: OTHER_ACCOUNT, status: 200 });
    expect(listed?.request.headers['x-auth-key']).toBe('[redacted]');
    expect(listed?.request.headers['x-auth-email']).toBe('[redacted]');
    expect(JSON.stringify(entries)).not.toContain('secret-key');
  });

  it('records failures too, including unknown routes and bad credentials', async () => {
    app = await makeApp();
    await app.inject({ method: 'GET', url: `/client/v4${base(ACCOUNT)}` });
    await app.inject({ method: 'GET', url: '/client/v4/nowhere', headers: { authorization: 'Bearer t' } });
    expect((await journal()).map((e) => [e.status, e.path])).toEqual([
      [400, `/client/v4${base(ACCOUNT)}`],
      [404, '/client/v4/nowhere'],
    ]);
  });

  it('filters by account, method, path pattern, status, since and limit', async () => {
    app = await makeApp();
    const api = apiOf(app);
    await api('POST', base(ACCOUNT), { integration_type: 'Okta', tenant_url: 'https://a.okta.com' });
    await api('GET', base(ACCOUNT));
    await api('GET', base(OTHER_ACCOUNT));
    await api('GET', `${base(OTHER_ACCOUNT)}/00000000-0000-4000-8000-000000000009`);
    const ids = async (q: string) => (await journal(q)).map((e) => e.id);
    expect(await ids(`?account=${ACCOUNT}`)).toEqual([1, 2]);
    expect(await ids('?method=get')).toEqual([2, 3, 4]);
    expect(await ids('?path=/accounts/*/zt_risk_scoring/integrations')).toEqual([1, 2, 3]);
    expect(await ids('?path=/client/v4/accounts/{account_id}/zt_risk_scoring/integrations/{id}')).toEqual([4]);
    expect(await ids('?path=/accounts/**')).toEqual([1, 2, 3, 4]);
    expect(await ids('?status=404')).toEqual([4]);
    expect(await ids('?since=2')).toEqual([3, 4]);
    expect(await ids('?limit=2')).toEqual([3, 4]);
    expect(await ids(`?account=${OTHER_ACCOUNT}&method=GET&status=200`)).toEqual([3]);
  });

  it('keeps only the last JOURNAL_SIZE requests', async () => {
    app = await makeApp({ journalSize: 3 });
    const api = apiOf(app);
    for (let i = 0; i < 5; i++) await api('GET', base(ACCOUNT));
    expect((await journal()).map((e) => e.id)).toEqual([3, 4, 5]);
  });

  it('JOURNAL_SIZE=0 turns it off', async () => {
    app = await makeApp({ journalSize: 0 });
    await apiOf(app)('GET', base(ACCOUNT));
    expect(await journal()).toEqual([]);
  });

  it('clears everything, or only matching entries, and keeps recording afterwards', async () => {
    app = await makeApp({ journalSize: 3 });
    const api = apiOf(app);
    await api('GET', base(ACCOUNT));
    await api('GET', base(OTHER_ACCOUNT));
    await api('GET', base(ACCOUNT));
    const cleared = await app.inject({ method: 'DELETE', url: `/__emulator/v1/journal?account=${ACCOUNT}` });
    expect(cleared.json().result).toEqual({ removed: 2 });
    expect((await journal()).map((e) => e.id)).toEqual([2]);
    await api('GET', base(ACCOUNT));
    await api('GET', base(ACCOUNT));
    await api('GET', base(ACCOUNT));
    expect((await journal()).map((e) => e.id)).toEqual([4, 5, 6]);
    expect((await app.inject({ method: 'DELETE', url: '/__emulator/v1/journal' })).json().result).toEqual({ removed: 3 });
    expect(await journal()).toEqual([]);
  });

  it('a reset of an account forgets its journal entries only', async () => {
    app = await makeApp();
    const api = apiOf(app);
    await api('GET', base(ACCOUNT));
    await api('GET', base(OTHER_ACCOUNT));
    await app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${ACCOUNT}/reset` });
    expect((await journal()).map((e) => e.account)).toEqual([OTHER_ACCOUNT]);
  });

  it('refuses a malformed filter with a 400', async () => {
    app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/__emulator/v1/journal?status=abc' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ code: 1001, source: { pointer: '/status' } });
    const path = await app.inject({ method: 'GET', url: '/__emulator/v1/journal?path=accounts' });
    expect(path.statusCode).toBe(400);
    expect(path.json().errors[0]).toEqual({ code: 1001, message: 'path must be a path pattern starting with "/"', source: { pointer: '/path' } });
  });
});

describe('journal bounds', () => {
  it('does not keep a chunked body over 64 KiB: the cap counts the bytes read, not Content-Length', async () => {
    app = await makeApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const body = JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://big.okta.com', pad: 'x'.repeat(100_000) });
    // fetch with a stream body sends Transfer-Encoding: chunked, no Content-Length.
    const res = await fetch(`http://127.0.0.1:${port}/client/v4${base(ACCOUNT)}`, {
      method: 'POST',
      headers: { authorization: 'Bearer any-token-123', 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const [entry] = await journal();
    expect(entry?.request.headers['transfer-encoding']).toBe('chunked');
    expect(entry?.request.body).toBe(`[not kept: ${body.length} bytes]`);
  });

  it('keeps its entries within JOURNAL_MAX_BYTES, dropping the oldest first', async () => {
    const maxBytes = 1_048_576;
    app = await makeApp({ journalSize: 1000, journalMaxBytes: maxBytes });
    const api = apiOf(app);
    const pad = 'p'.repeat(60_000);
    for (let i = 0; i < 40; i++) await api('PUT', `${base(ACCOUNT)}/00000000-0000-4000-8000-000000000001`, { tenant_url: 'https://a.okta.com', active: true, pad });
    const entries = await journal();
    // Each entry holds ~60 KB of body: 40 of them (2.4 MB) do not fit, the newest ones do.
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(40);
    expect(entries.at(-1)?.id).toBe(40);
    expect(entries.map((e) => e.id)).toEqual(Array.from({ length: entries.length }, (_, i) => 41 - entries.length + i));
    expect((entries[0]?.request.body as { pad: string }).pad).toBe(pad);
  });
});
