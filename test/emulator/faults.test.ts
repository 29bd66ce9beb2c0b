import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import Cloudflare from 'cloudflare';
import { ACCOUNT, OTHER_ACCOUNT, TOKEN, apiOf, makeApp, sequentialIds } from '../support/app.js';
import { startServer, type RunningServer } from '../support/server.js';

const base = (account: string) => `/accounts/${account}/zt_risk_scoring/integrations`;
let app: FastifyInstance | undefined;
let server: RunningServer | undefined;

afterEach(async () => {
  await app?.close();
  await server?.stop();
  app = undefined;
  server = undefined;
});

async function addFault(rule: Record<string, unknown>) {
  const res = await (app as FastifyInstance).inject({ method: 'POST', url: '/__emulator/v1/faults', payload: rule });
  expect(res.statusCode).toBe(200);
  return res.json().result;
}

describe('fault injection', () => {
  it('answers the next N matching requests with a Cloudflare 429 and Retry-After, then lets them through', async () => {
    app = await makeApp({}, { newId: sequentialIds() });
    const api = apiOf(app);
    const rule = await addFault({ method: 'GET', path: '/accounts/*/zt_risk_scoring/integrations', times: 2, status: 429, retry_after: 3 });
    expect(rule).toEqual({
      id: '00000000-0000-4000-8000-000000000001',
      method: 'GET',
      path: '/accounts/*/zt_risk_scoring/integrations',
      account: null,
      times: 2,
      remaining: 2,
      probability: null,
      status: 429,
      retry_after: 3,
      latency_ms: null,
      disconnect: false,
      errors: null,
      hits: 0,
    });
    const first = await api('GET', base(ACCOUNT));
    expect(first.statusCode).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(first.headers['x-emulator-fault']).toBe(rule.id);
    expect(first.json()).toEqual({
      success: false,
      errors: [{ code: 1450, message: 'Rate limited. Please wait and consider throttling your request speed' }],
      messages: [],
      result: null,
    });
    // Another method does not match and does not use up the rule.
    expect((await api('POST', base(ACCOUNT), { integration_type: 'Okta', tenant_url: 'https://a.okta.com' })).statusCode).toBe(200);
    expect((await api('GET', base(OTHER_ACCOUNT))).statusCode).toBe(429);
    expect((await api('GET', base(ACCOUNT))).statusCode).toBe(200);
    const listed = await app.inject({ method: 'GET', url: '/__emulator/v1/faults' });
    expect(listed.json().result).toEqual([{ ...rule, remaining: 0, hits: 2 }]);
    const journal = (await app.inject({ method: 'GET', url: '/__emulator/v1/journal' })).json().result;
    expect(journal.map((e: { status: number; fault: string | null }) => [e.status, e.fault])).toEqual([
      [429, rule.id],
      [200, null],
      [429, rule.id],
      [200, null],
    ]);
  });

  it('scopes a rule to one account, and answers 500/503 with custom errors when asked', async () => {
    app = await makeApp();
    const api = apiOf(app);
    await addFault({ path: '/accounts/**', account: OTHER_ACCOUNT, status: 503 });
    await addFault({ method: 'POST', path: '/client/v4/accounts/{account_id}/zt_risk_scoring/integrations', status: 500, errors: [{ code: 1000, message: 'boom' }] });
    expect((await api('GET', base(ACCOUNT))).statusCode).toBe(200);
    const unavailable = await api('GET', base(OTHER_ACCOUNT));
    expect(unavailable.statusCode).toBe(503);
    expect(unavailable.json().errors).toEqual([{ code: 1450, message: 'Service temporarily unavailable' }]);
    const failed = await api('POST', base(ACCOUNT), { integration_type: 'Okta', tenant_url: 'https://a.okta.com' });
    expect(failed.statusCode).toBe(500);
    expect(failed.json().errors).toEqual([{ code: 1000, message: 'boom' }]);
    expect((await api('GET', base(ACCOUNT))).json().result).toEqual([]);
  });

  it('fires for the given share of requests', async () => {
    const draws = [0.1, 0.9, 0.29, 0.3, 0.5];
    app = await makeApp({}, { random: () => draws.shift() as number });
    const api = apiOf(app);
    await addFault({ path: '/accounts/**', probability: 0.3, status: 500 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api('GET', base(ACCOUNT))).statusCode);
    expect(statuses).toEqual([500, 200, 500, 200, 200]);
  });

  it('is listed, fetched and removed; an unknown id is a 404', async () => {
    app = await makeApp();
    const a = await addFault({ path: '/accounts/**', status: 500 });
    const b = await addFault({ path: '/accounts/**', account: ACCOUNT, latency_ms: 10 });
    expect((await app.inject({ method: 'GET', url: `/__emulator/v1/faults/${b.id}` })).json().result).toEqual(b);
    expect((await app.inject({ method: 'GET', url: `/__emulator/v1/faults?account=${ACCOUNT}` })).json().result).toEqual([b]);
    expect((await app.inject({ method: 'DELETE', url: `/__emulator/v1/faults/${a.id}` })).json()).toEqual({ success: true, errors: [], messages: [], result: null });
    expect((await app.inject({ method: 'GET', url: '/__emulator/v1/faults' })).json().result).toEqual([b]);
    const missing = await app.inject({ method: 'DELETE', url: `/__emulator/v1/faults/${a.id}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().errors).toEqual([{ code: 1420, message: `Fault rule ${a.id} not found` }]);
    expect((await app.inject({ method: 'DELETE', url: '/__emulator/v1/faults' })).json().result).toEqual({ removed: 1 });
  });

  it.each([
    [{ path: '/accounts/**' }, 'a rule needs status, latency_ms or disconnect: true', '/status'],
    [{ path: 'accounts', status: 500 }, 'path "accounts" is not a path pattern (it starts with "/"; "*" matches within a segment, "**" across)', '/path'],
    [{ path: '/x', status: 500, disconnect: true }, 'a rule that disconnects answers nothing: give status or disconnect, not both', '/disconnect'],
  ])('refuses an unusable rule %j', async (rule, message, pointer) => {
    app = await makeApp();
    const res = await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: rule });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ code: 1421, message, source: { pointer } }]);
    expect((await app.inject({ method: 'GET', url: '/__emulator/v1/faults' })).json().result).toEqual([]);
  });

  it('refuses fields it does not know and out-of-range values', async () => {
    app = await makeApp();
    const unknown = await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: '/x', status: 500, statuss: 1 } });
    expect(unknown.statusCode).toBe(400);
    const range = await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: '/x', status: 200 } });
    expect(range.statusCode).toBe(400);
    expect(range.json().errors[0]).toMatchObject({ code: 1001, source: { pointer: '/status' } });
  });

  it('the official SDK retries injected 429s and then succeeds', async () => {
    server = await startServer();
    const rule = await (
      await fetch(`${server.url}/__emulator/v1/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/accounts/*/zt_risk_scoring/integrations', times: 2, status: 429, retry_after: 0 }),
      })
    ).json();
    const client = new Cloudflare({ apiToken: TOKEN, baseURL: `${server.url}/client/v4`, maxRetries: 2 });
    const page = await client.zeroTrust.riskScoring.integrations.list({ account_id: ACCOUNT });
    expect(page.result).toEqual([]);
    const journal = await (await fetch(`${server.url}/__emulator/v1/journal`)).json();
    expect(journal.result.map((e: { status: number }) => e.status)).toEqual([429, 429, 200]);
    expect(journal.result[0].fault).toBe(rule.result.id);
    // Without retries the client sees Cloudflare's 429 as a RateLimitError.
    await fetch(`${server.url}/__emulator/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/accounts/**', times: 1, status: 429 }),
    });
    const once = new Cloudflare({ apiToken: TOKEN, baseURL: `${server.url}/client/v4`, maxRetries: 0 });
    await expect(once.zeroTrust.riskScoring.integrations.list({ account_id: ACCOUNT })).rejects.toBeInstanceOf(Cloudflare.RateLimitError);
  });

  it('latency makes a client with a shorter timeout give up; a dropped connection is a connection error', async () => {
    server = await startServer();
    const post = (rule: object) =>
      fetch(`${server?.url}/__emulator/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
    await post({ path: '/accounts/**', times: 1, latency_ms: 5000 });
    const client = new Cloudflare({ apiToken: TOKEN, baseURL: `${server.url}/client/v4`, maxRetries: 0, timeout: 200 });
    await expect(client.zeroTrust.riskScoring.integrations.list({ account_id: ACCOUNT })).rejects.toBeInstanceOf(Cloudflare.APIConnectionTimeoutError);
    await post({ path: '/accounts/**', times: 1, disconnect: true });
    const patient = new Cloudflare({ apiToken: TOKEN, baseURL: `${server.url}/client/v4`, maxRetries: 0 });
    await expect(patient.zeroTrust.riskScoring.integrations.list({ account_id: ACCOUNT })).rejects.toBeInstanceOf(Cloudflare.APIConnectionError);
    // Both rules are used up: the next call goes through.
    expect((await patient.zeroTrust.riskScoring.integrations.list({ account_id: ACCOUNT })).result).toEqual([]);
  });
});

describe('fault rule patterns', () => {
  it('matches without backtracking: many `**` against a long path answer at once', async () => {
    app = await makeApp();
    const api = apiOf(app);
    // As a backtracking regular expression this pattern takes minutes against the path below.
    const pattern = `/accounts/${'**a'.repeat(40)}**b`;
    await addFault({ path: pattern, status: 503 });
    const long = `${base(ACCOUNT)}/${'a'.repeat(350)}`;
    const res = await api('GET', long);
    expect(res.statusCode).toBe(404);
    const journal = await (app as FastifyInstance).inject({ method: 'GET', url: `/__emulator/v1/journal?path=${encodeURIComponent(pattern)}` });
    expect(journal.json().result).toEqual([]);
    expect((await api('GET', `${long}b`)).statusCode).toBe(503);
  });

  it('keeps the documented language: `*` within a segment, `**` across, `{name}` one segment', async () => {
    app = await makeApp();
    const api = apiOf(app);
    await addFault({ method: 'GET', path: '/client/v4/accounts/{account_id}/zt_risk_scoring/integrations/{id}', status: 418 });
    await addFault({ method: 'GET', path: '/accounts/*/zt_risk_scoring/sum*', status: 429 });
    await addFault({ method: 'GET', path: '/accounts/**/reset', status: 503 });
    expect((await api('GET', `${base(ACCOUNT)}/00000000-0000-4000-8000-000000000009`)).statusCode).toBe(418);
    expect((await api('GET', base(ACCOUNT))).statusCode).toBe(200);
    expect((await api('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/summary`)).statusCode).toBe(429);
    expect((await api('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/00000000-0000-4000-8000-000000000009/reset`)).statusCode).toBe(503);
  });

  it('holds at most 1,000 rules: the next is refused with 400, and nothing is added', async () => {
    app = await makeApp();
    for (let i = 0; i < 1000; i++) await addFault({ path: `/accounts/${'*'.repeat(1 + (i % 3))}/x/${i}`, status: 503 });
    const refused = await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: '/accounts/**', status: 503 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      success: false,
      errors: [{ code: 1421, message: 'there are already 1000 fault rules, the most the emulator keeps; remove some first', source: { pointer: '/' } }],
      messages: [],
      result: null,
    });
    expect((await app.inject({ method: 'GET', url: '/__emulator/v1/faults' })).json().result).toHaveLength(1000);
  });

  it('matches a request against at most 32,768 pattern characters in all: a rule past that is refused', async () => {
    app = await makeApp();
    const long = (i: number) => `/accounts/**${'a'.repeat(982)}${String(i).padStart(4, '0')}**`;
    for (let i = 0; i < 32; i++) await addFault({ path: long(i), status: 503 });
    const refused = await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: long(32), status: 503 } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toEqual([
      {
        code: 1421,
        message: "the fault rules' path patterns would total 33000 characters, more than the 32768 a request is matched against; remove some first",
        source: { pointer: '/path' },
      },
    ]);
    expect((await app.inject({ method: 'GET', url: '/__emulator/v1/faults' })).json().result).toHaveLength(32);
    // A short rule still fits.
    expect((await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: '/x', status: 503 } })).statusCode).toBe(200);
  });
});
