// The control API's reads the dashboard makes (and any script may): accounts with their counts, an account's
// integrations, users and behaviors; without Cloudflare credentials, behind the admin token like every control.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, AUTH, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock } from '../support/app.js';

const THIRD_ACCOUNT = '5a2c0ffee5a2c0ffee5a2c0ffee5a2c0';
const ADA = { user_id: '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234', email: 'ada@example.com', name: 'Ada Lovelace' };
const GRACE = { user_id: '0b9a7c3e-5d1f-4a2b-8c6d-7e8f9a0b1c2d', email: 'grace@example.com', name: 'Grace Hopper' };
const ALAN = { user_id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', email: 'alan@example.com', name: 'Alan Turing' };

let app: FastifyInstance;
afterEach(async () => {
  await app.close();
});

async function control(method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({ method, url: `/__emulator/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() as { success: boolean; result: unknown } };
}

async function read(url: string): Promise<unknown> {
  const { status, body } = await control('GET', url);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.result;
}

describe('GET /__emulator/v1/accounts', () => {
  it('lists every account with stored data or journaled requests, by id, with its counts of integrations, users and requests', async () => {
    app = await makeApp();
    const api = apiOf(app);
    expect(await read('/accounts')).toEqual([]);

    await api('POST', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, { integration_type: 'Okta', tenant_url: 'https://a.okta.com' });
    await api('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`);
    await control('POST', `/accounts/${OTHER_ACCOUNT}/risk-events`, [
      { ...ADA, behavior: 'imp_travel' },
      { ...GRACE, behavior: 'high_dlp' },
      { ...ADA, behavior: 'high_dlp' },
    ]);
    await api('GET', `/accounts/${THIRD_ACCOUNT}/zt_risk_scoring/summary`);
    await api('GET', '/accounts/not-an-account/zt_risk_scoring/summary');

    expect(await read('/accounts')).toEqual([
      { account_id: ACCOUNT, integrations: 1, users: 0, requests: 2 },
      { account_id: THIRD_ACCOUNT, integrations: 0, users: 0, requests: 1 },
      { account_id: OTHER_ACCOUNT, integrations: 0, users: 2, requests: 0 },
    ]);

    await control('POST', `/accounts/${ACCOUNT}/reset`);
    await control('POST', `/accounts/${THIRD_ACCOUNT}/reset`);
    expect(await read('/accounts')).toEqual([{ account_id: OTHER_ACCOUNT, integrations: 0, users: 2, requests: 0 }]);
  });
});

describe('GET /__emulator/v1/accounts/{account_id}/integrations', () => {
  it("answers what Cloudflare's list answers, with no Cloudflare credential even under AUTH_MODE=strict", async () => {
    const tokens = JSON.stringify({ credentials: [{ token: 'writer', accounts: [ACCOUNT], permissions: ['Zero Trust Write'] }] });
    app = await makeApp({ authMode: 'strict', tokens }, { newId: sequentialIds(), now: tickingClock() });
    const writer = { authorization: 'Bearer writer' };
    for (const reference_id of ['idp-1', 'idp-2']) {
      await app.inject({
        method: 'POST',
        url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`,
        headers: writer,
        payload: { integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9000', reference_id },
      });
    }
    const cloudflare = await app.inject({ method: 'GET', url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, headers: writer });
    expect(cloudflare.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations` })).statusCode).toBe(400);

    const listed = await read(`/accounts/${ACCOUNT}/integrations`);
    expect(listed).toEqual(cloudflare.json().result);
    expect(listed).toEqual([
      {
        id: '00000000-0000-4000-8000-000000000001',
        account_tag: ACCOUNT,
        integration_type: 'Okta',
        reference_id: 'idp-1',
        tenant_url: 'http://127.0.0.1:9000',
        well_known_url: 'http://127.0.0.1:4010/.well-known/sse-configuration/00000000-0000-4000-8000-000000000001',
        active: true,
        created_at: '2025-03-19T19:53:56Z',
      },
      {
        id: '00000000-0000-4000-8000-000000000002',
        account_tag: ACCOUNT,
        integration_type: 'Okta',
        reference_id: 'idp-2',
        tenant_url: 'http://127.0.0.1:9000',
        well_known_url: 'http://127.0.0.1:4010/.well-known/sse-configuration/00000000-0000-4000-8000-000000000002',
        active: true,
        created_at: '2025-03-19T19:53:57Z',
      },
    ]);
    expect(await read(`/accounts/${OTHER_ACCOUNT}/integrations`)).toEqual([]);
  });
});

describe('GET /__emulator/v1/accounts/{account_id}/users', () => {
  it('lists every user first seen first, with the current level, the events since the last reset (newest first) and that reset', async () => {
    app = await makeApp({}, { newId: sequentialIds(), now: tickingClock('2025-03-19T12:00:00Z') });
    const { body } = await control('POST', `/accounts/${ACCOUNT}/risk-events`, [
      { ...ADA, behavior: 'imp_travel', timestamp: '2025-03-19T10:00:00Z', event_details: { from: 'Lisbon' } },
      { ...GRACE, behavior: 'sentinel_one', timestamp: '2025-03-19T10:30:00Z' },
      { ...ADA, behavior: 'high_dlp', timestamp: '2025-03-19T11:00:00Z' },
      { ...ALAN, behavior: 'high_dlp', timestamp: '2025-03-19T11:30:00Z' },
    ]);
    const ids = (body.result as Array<{ id: string }>).map((event) => event.id);
    expect((await apiOf(app)('POST', `/accounts/${ACCOUNT}/zt_risk_scoring/${ALAN.user_id}/reset`)).statusCode).toBe(200);
    const { last_reset_time } = (await apiOf(app)('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/${ALAN.user_id}`)).json().result;

    expect(await read(`/accounts/${ACCOUNT}/users`)).toEqual([
      {
        ...ADA,
        risk_level: 'high',
        last_reset_time: null,
        events: [
          { id: ids[2], name: 'High Number of DLP Policies Triggered', behavior: 'high_dlp', risk_level: 'medium', counted: true, timestamp: '2025-03-19T11:00:00Z', event_details: {} },
          { id: ids[0], name: 'Impossible Travel', behavior: 'imp_travel', risk_level: 'high', counted: true, timestamp: '2025-03-19T10:00:00Z', event_details: { from: 'Lisbon' } },
        ],
      },
      {
        ...GRACE,
        risk_level: 'low',
        last_reset_time: null,
        events: [
          { id: ids[1], name: 'SentinelOne Infection Detected', behavior: 'sentinel_one', risk_level: 'medium', counted: false, timestamp: '2025-03-19T10:30:00Z', event_details: {} },
        ],
      },
      { ...ALAN, risk_level: 'low', last_reset_time, events: [] },
    ]);
    expect(last_reset_time).toMatch(/^2025-03-19T12:00:\d\dZ$/);
    expect(await read(`/accounts/${OTHER_ACCOUNT}/users`)).toEqual([]);
  });
});

describe('GET /__emulator/v1/accounts/{account_id}/risk-behaviors', () => {
  it("answers what Cloudflare's behaviors read answers, reconfigurations included", async () => {
    app = await makeApp();
    const api = apiOf(app);
    await api('PUT', `/accounts/${ACCOUNT}/zt_risk_scoring/behaviors`, { behaviors: { sentinel_one: { enabled: true, risk_level: 'high' } } });
    const cloudflare = (await api('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/behaviors`)).json().result;
    const behaviors = await read(`/accounts/${ACCOUNT}/risk-behaviors`);
    expect(behaviors).toEqual(cloudflare);
    expect((behaviors as { behaviors: Record<string, unknown> }).behaviors.sentinel_one).toEqual({
      name: 'SentinelOne Infection Detected',
      description: 'User is signed in on a device where Sentinel One EDR detects an active threat or infection.',
      risk_level: 'high',
      enabled: true,
    });
  });
});

describe('the admin token', () => {
  it('guards these reads as every control: 401 without it, the data with it', async () => {
    app = await makeApp({ adminToken: 'admin-s3cret' });
    await app.inject({
      method: 'POST',
      url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`,
      headers: AUTH,
      payload: { integration_type: 'Okta', tenant_url: 'https://a.okta.com' },
    });
    for (const url of ['/accounts', `/accounts/${ACCOUNT}/integrations`, `/accounts/${ACCOUNT}/users`, `/accounts/${ACCOUNT}/risk-behaviors`]) {
      const refused = await control('GET', url);
      expect({ url, status: refused.status, body: refused.body }).toEqual({
        url,
        status: 401,
        body: { success: false, errors: [{ code: 1401, message: 'The control API needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>' }], messages: [], result: null },
      });
      expect((await control('GET', url, undefined, { authorization: 'Bearer admin-s3cret' })).status).toBe(200);
    }
    expect((await control('GET', '/accounts', undefined, { authorization: 'Bearer admin-s3cret' })).body.result).toEqual([
      { account_id: ACCOUNT, integrations: 1, users: 0, requests: 1 },
    ]);
  });
});
