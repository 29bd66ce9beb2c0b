// Every answer of every risk-score operation, success and failure, conforms to Cloudflare's own schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, apiOf, makeApp, type Api } from '../support/app.js';
import { cloudflareOperations, contractErrors } from '../support/contract.js';

const RISK = `/accounts/${ACCOUNT}/zt_risk_scoring`;
const ALICE = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
const NOBODY = '00000000-0000-4000-8000-00000000dead';

let app: FastifyInstance;
let api: Api;

beforeAll(async () => {
  app = await makeApp();
  api = apiOf(app);
});
afterAll(async () => {
  await app.close();
});

type Response = Awaited<ReturnType<Api>>;

function expectConforms(operationId: string, res: Response) {
  const body = res.json() as { errors?: unknown[] };
  expect(contractErrors(operationId, res.statusCode, body), `${operationId} ${res.statusCode}`).toEqual([]);
  // Cloudflare's schema writes minLength (a no-op on arrays) where it means "errors is never empty".
  if (res.statusCode >= 400) expect(body.errors?.length).toBeGreaterThan(0);
}

describe("risk scores against Cloudflare's schema", () => {
  it('the vendored schema lists the five risk-score operations', () => {
    const ids = cloudflareOperations.map((o) => o.operationId).filter((o) => o.startsWith('dlp-risk-score'));
    expect(ids.sort()).toEqual([
      'dlp-risk-score-behaviors-get',
      'dlp-risk-score-behaviors-put',
      'dlp-risk-score-reset-post',
      'dlp-risk-score-summary-get',
      'dlp-risk-score-summary-get-for-user',
    ]);
  });

  it('the check itself catches bodies that do not conform', () => {
    const ok = { success: true, errors: [], messages: [] };
    expect(contractErrors('dlp-risk-score-behaviors-get', 200, { ...ok, result: { behaviors: { x: { name: 'x' } } } })).not.toEqual([]);
    expect(contractErrors('dlp-risk-score-summary-get', 200, { ...ok, result: { users: [{ user_id: 'x' }] } })).not.toEqual([]);
    expect(
      contractErrors('dlp-risk-score-summary-get-for-user', 200, {
        ...ok,
        result: { name: 'a', email: 'b', events: [], risk_level: 'HIGH' },
      }),
    ).not.toEqual([]);
  });

  it('successes conform, with and without events', async () => {
    const empty: Array<[string, Response]> = [
      ['dlp-risk-score-behaviors-get', await api('GET', `${RISK}/behaviors`)],
      ['dlp-risk-score-summary-get', await api('GET', `${RISK}/summary`)],
    ];
    await app.inject({
      method: 'POST',
      url: `/__emulator/v1/accounts/${ACCOUNT}/risk-events`,
      payload: [
        { user_id: ALICE, email: 'alice@example.com', name: 'Alice', behavior: 'imp_travel', event_details: { ip: '203.0.113.7' } },
        { user_id: ALICE, email: 'alice@example.com', name: 'Alice', behavior: 'high_dlp', timestamp: '2025-03-19T10:00:00.250Z' },
        { user_id: ALICE, email: 'alice@example.com', name: 'Alice', behavior: 'sentinel_one', event_details: null },
      ],
    });
    const cases: Array<[string, Response]> = [
      ...empty,
      ['dlp-risk-score-behaviors-put', await api('PUT', `${RISK}/behaviors`, { behaviors: { high_dlp: { enabled: false, risk_level: 'low' } } })],
      ['dlp-risk-score-behaviors-get', await api('GET', `${RISK}/behaviors`)],
      ['dlp-risk-score-summary-get', await api('GET', `${RISK}/summary`)],
      ['dlp-risk-score-summary-get-for-user', await api('GET', `${RISK}/${ALICE}`)],
      ['dlp-risk-score-reset-post', await api('POST', `${RISK}/${ALICE}/reset`)],
      ['dlp-risk-score-summary-get-for-user', await api('GET', `${RISK}/${ALICE}`)],
    ];
    expect(cases[5]?.[1].json().result.events).toHaveLength(3);
    for (const [operationId, res] of cases) {
      expect(res.statusCode, operationId).toBe(200);
      expectConforms(operationId, res);
    }
  });

  it('failures conform: validation, unknown behavior, unknown user, bad route, missing and malformed credentials', async () => {
    const cases: Array<[string, Response]> = [
      ['dlp-risk-score-behaviors-put', await api('PUT', `${RISK}/behaviors`, { behaviors: { imp_travel: { enabled: 'no' } } })],
      ['dlp-risk-score-behaviors-put', await api('PUT', `${RISK}/behaviors`, { behaviors: { teleport: { enabled: true, risk_level: 'high' } } })],
      ['dlp-risk-score-behaviors-put', await api('PUT', `${RISK}/behaviors`, 'not json', { 'content-type': 'application/json' })],
      ['dlp-risk-score-behaviors-get', await api('GET', `/accounts/not-an-account/zt_risk_scoring/behaviors`)],
      ['dlp-risk-score-behaviors-get', await app.inject({ method: 'GET', url: `/client/v4${RISK}/behaviors` })],
      ['dlp-risk-score-summary-get', await app.inject({ method: 'GET', url: `/client/v4${RISK}/summary`, headers: { authorization: 'Basic abc' } })],
      ['dlp-risk-score-summary-get', await api('DELETE', `${RISK}/summary`)],
      ['dlp-risk-score-summary-get-for-user', await api('GET', `${RISK}/${NOBODY}`)],
      ['dlp-risk-score-summary-get-for-user', await api('GET', `${RISK}/not-a-uuid`)],
      ['dlp-risk-score-reset-post', await api('POST', `${RISK}/${NOBODY}/reset`)],
      ['dlp-risk-score-reset-post', await api('POST', `${RISK}/not-a-uuid/reset`)],
      ['dlp-risk-score-reset-post', await app.inject({ method: 'POST', url: `/client/v4${RISK}/${ALICE}/reset`, headers: { 'x-auth-email': 'x' } })],
    ];
    for (const [operationId, res] of cases) {
      expect(res.statusCode, operationId).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, operationId).toBeLessThan(500);
      expectConforms(operationId, res);
    }
  });
});
