// Every answer of every integration operation, success and failure, conforms to Cloudflare's own schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, apiOf, makeApp, type Api } from './support/app.js';
import { cloudflareOperations, contractErrors } from './support/contract.js';

const BASE = `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
let app: FastifyInstance;
let api: Api;
let id: string;

beforeAll(async () => {
  app = await makeApp();
  api = apiOf(app);
  const created = await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'ref-1' });
  id = created.json().result.id;
});
afterAll(async () => {
  await app.close();
});

function expectConforms(operationId: string, status: number, body: { errors?: unknown[] }) {
  expect(contractErrors(operationId, status, body)).toEqual([]);
  // Cloudflare's schema writes minLength (a no-op on arrays) where it means "errors is never empty".
  if (status >= 400) expect(body.errors?.length).toBeGreaterThan(0);
}

describe("integrations against Cloudflare's schema", () => {
  it('the vendored schema lists the six integration operations', () => {
    const ids = cloudflareOperations.map((o) => o.operationId).filter((o) => o.startsWith('dlp-zt-risk-score-integration'));
    expect(ids.sort()).toEqual([
      'dlp-zt-risk-score-integration-create',
      'dlp-zt-risk-score-integration-delete',
      'dlp-zt-risk-score-integration-get',
      'dlp-zt-risk-score-integration-get-by-reference-id',
      'dlp-zt-risk-score-integration-list',
      'dlp-zt-risk-score-integration-update',
    ]);
  });

  it('the check itself catches a body that does not conform', () => {
    expect(contractErrors('dlp-zt-risk-score-integration-get', 200, { success: true, errors: [], messages: [], result: { id: 1 } })).not.toEqual([]);
    expect(contractErrors('dlp-zt-risk-score-integration-get', 400, { success: true, errors: [{ code: 7003, message: 'x' }], messages: [], result: null })).not.toEqual([]);
    expect(contractErrors('dlp-zt-risk-score-integration-get', 404, { success: false, errors: [{ code: 12, message: 'x' }], messages: [], result: null })).not.toEqual([]);
  });

  it('successes conform', async () => {
    const cases: Array<[string, Awaited<ReturnType<Api>>]> = [
      ['dlp-zt-risk-score-integration-list', await api('GET', BASE)],
      ['dlp-zt-risk-score-integration-get', await api('GET', `${BASE}/${id}`)],
      ['dlp-zt-risk-score-integration-get-by-reference-id', await api('GET', `${BASE}/reference_id/ref-1`)],
      ['dlp-zt-risk-score-integration-update', await api('PUT', `${BASE}/${id}`, { tenant_url: 'https://b.okta.com', active: false })],
      ['dlp-zt-risk-score-integration-create', await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://c.okta.com' })],
      ['dlp-zt-risk-score-integration-delete', await api('DELETE', `${BASE}/${id}`)],
    ];
    for (const [operationId, res] of cases) {
      expect(res.statusCode, operationId).toBe(200);
      expectConforms(operationId, 200, res.json());
    }
  });

  it('failures conform: validation, conflict, not found, bad route, missing and malformed credentials', async () => {
    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://d.okta.com', reference_id: 'dup' });
    const cases: Array<[string, Awaited<ReturnType<Api>>]> = [
      ['dlp-zt-risk-score-integration-create', await api('POST', BASE, { integration_type: 'Azure', tenant_url: 'x' })],
      ['dlp-zt-risk-score-integration-create', await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://e.okta.com', reference_id: 'dup' })],
      ['dlp-zt-risk-score-integration-get', await api('GET', `${BASE}/00000000-0000-4000-8000-00000000dead`)],
      ['dlp-zt-risk-score-integration-get', await api('GET', `${BASE}/not-a-uuid`)],
      ['dlp-zt-risk-score-integration-update', await api('PUT', `${BASE}/00000000-0000-4000-8000-00000000dead`, { tenant_url: 'https://b.okta.com', active: true })],
      ['dlp-zt-risk-score-integration-list', await app.inject({ method: 'GET', url: `/client/v4${BASE}` })],
      ['dlp-zt-risk-score-integration-list', await app.inject({ method: 'GET', url: `/client/v4${BASE}`, headers: { authorization: 'Basic abc' } })],
    ];
    for (const [operationId, res] of cases) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expectConforms(operationId, res.statusCode, res.json());
    }
  });
});

describe('openapi.yaml against Cloudflare', () => {
  it("uses Cloudflare's operationId, method and path for every Cloudflare operation it serves", async () => {
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const ours = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const served = Object.entries(ours.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ operationId: op.operationId, method: method.toUpperCase(), path })),
    );
    const cloudflareIds = new Set(cloudflareOperations.map((o) => o.operationId));
    const servedCloudflare = served.filter((o) => cloudflareIds.has(o.operationId));
    expect(servedCloudflare.length).toBeGreaterThanOrEqual(6);
    for (const op of servedCloudflare) {
      expect(op).toEqual(cloudflareOperations.find((o) => o.operationId === op.operationId));
    }
    // Nothing we serve under /accounts/ is missing from Cloudflare's schema.
    for (const op of served.filter((o) => o.path.startsWith('/accounts/'))) {
      expect(cloudflareIds.has(op.operationId), op.operationId).toBe(true);
    }
  });
});
