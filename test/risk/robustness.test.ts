// Whatever a client sends to the risk endpoints, the answer is a Cloudflare-style envelope and never a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, apiOf, makeApp, type Api } from '../support/app.js';

const RISK = `/accounts/${ACCOUNT}/zt_risk_scoring`;
let app: FastifyInstance;
let api: Api;

beforeAll(async () => {
  app = await makeApp();
  api = apiOf(app);
});
afterAll(async () => {
  await app.close();
});

const behaviorId = fc.constantFrom('imp_travel', 'high_dlp', 'sentinel_one', 'teleport', '__proto__', 'constructor', '');
const level = fc.constantFrom('low', 'medium', 'high', 'HIGH', 1, null);
const eventLike = fc.record(
  {
    user_id: fc.oneof(fc.uuid(), fc.string()),
    email: fc.oneof(fc.constant('a@example.com'), fc.string()),
    name: fc.string(),
    behavior: behaviorId,
    timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string(), fc.constant('2016-12-31T23:59:60Z')),
    event_details: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

function expectEnvelope(status: number, body: { success?: unknown }) {
  expect(status).toBeLessThan(500);
  expect(body.success).toBe(status === 200);
}

describe('risk endpoints under arbitrary input', () => {
  it('injection answers 200 or a 4xx envelope for any body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(eventLike, fc.array(eventLike, { maxLength: 4 }), fc.jsonValue()), async (body) => {
        const res = await app.inject({
          method: 'POST',
          url: `/__emulator/v1/accounts/${ACCOUNT}/risk-events`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(body) ?? 'null',
        });
        expectEnvelope(res.statusCode, res.json());
      }),
      { numRuns: 150 },
    );
  });

  it('behaviors PUT answers 200 or a 4xx envelope for any body', async () => {
    const setting = fc.record({ enabled: fc.oneof(fc.boolean(), fc.string()), risk_level: level }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ behaviors: fc.dictionary(behaviorId, setting) }), fc.jsonValue()), async (body) => {
        const res = await api('PUT', `${RISK}/behaviors`, JSON.stringify(body) ?? 'null', { 'content-type': 'application/json' });
        expectEnvelope(res.statusCode, res.json());
      }),
      { numRuns: 150 },
    );
  });

  it('per-user read and reset answer 200 or a 4xx envelope for any user id segment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uuid(), fc.string({ minLength: 1 })), async (segment) => {
        const id = encodeURIComponent(segment);
        for (const [method, path] of [['GET', `${RISK}/${id}`], ['POST', `${RISK}/${id}/reset`]] as const) {
          const res = await api(method, path);
          expectEnvelope(res.statusCode, res.json());
        }
      }),
      { numRuns: 100 },
    );
  });
});
