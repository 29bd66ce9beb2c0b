// Oversized bodies, deep JSON and oversized headers are refused early with a clear failure envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, AUTH, apiOf, makeApp, type Api } from '../support/app.js';
import { MAX_JSON_DEPTH } from '../../src/cloudflare/jsonBody.js';
import { expectFailureEnvelope } from './envelope.js';
import { rawRequest } from './raw.js';

const BASE = `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const VALID = { integration_type: 'Okta', tenant_url: 'https://a.okta.com' };

let app: FastifyInstance;
let api: Api;
let port: number;

beforeAll(async () => {
  app = await makeApp();
  api = apiOf(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
});

async function count(): Promise<number> {
  return ((await api('GET', BASE)).json().result as unknown[]).length;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? { a: value } : [value];
  return value;
}

describe('oversized bodies', () => {
  it('refuses a body over 1 MB announced by Content-Length with 413 before reading it', async () => {
    const res = await rawRequest(
      port,
      `POST /client/v4${BASE} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n{"tenant_url":"`,
    );
    expect(res.status).toBe(413);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1004, message: 'Request body is too large' }]);
    expect(await count()).toBe(0);
  });

  it('refuses a chunked body that grows past 1 MB with 413', async () => {
    const padding = 'x'.repeat(1024 * 1024);
    const chunk = `{"integration_type":"Okta","tenant_url":"https://a.okta.com","pad":"${padding}"}`;
    const res = await app.inject({
      method: 'POST',
      url: `/client/v4${BASE}`,
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: chunk,
    });
    expect(res.statusCode).toBe(413);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1004, message: 'Request body is too large' }]);
    expect(await count()).toBe(0);
  });
});

describe('deep JSON', () => {
  it(`refuses a body nesting deeper than ${MAX_JSON_DEPTH} levels with 400 code 1500`, async () => {
    const res = await api('POST', BASE, { ...VALID, extra: nested(MAX_JSON_DEPTH) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      success: false,
      errors: [{ code: 1500, message: `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels` }],
      messages: [],
      result: null,
    });
    expect(await count()).toBe(0);
  });

  it('refuses a 1 MB document of brackets the same way, without parsing it', async () => {
    const depth = 500_000;
    const res = await app.inject({
      method: 'PUT',
      url: `/client/v4${BASE}/00000000-0000-4000-8000-000000000001`,
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '['.repeat(depth) + ']'.repeat(depth),
    });
    expect(res.statusCode).toBe(400);
    expect(expectFailureEnvelope(res.body)).toEqual([
      { code: 1500, message: `Request body nests JSON deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  });

  it('accepts nesting up to the limit, and brackets inside strings do not count', async () => {
    const atLimit = await api('POST', BASE, { ...VALID, extra: nested(MAX_JSON_DEPTH - 1) });
    expect(atLimit.statusCode).toBe(200);
    const inString = await api('POST', BASE, { ...VALID, reference_id: `[{"\\${'['.repeat(200)}` });
    expect(inString.statusCode).toBe(200);
    expect(inString.json().result.reference_id).toBe(`[{"\\${'['.repeat(200)}`);
  });
});

describe('malformed HTTP', () => {
  it('answers headers over 16 KB with 431 in the failure envelope', async () => {
    const res = await rawRequest(port, `GET /client/v4${BASE} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1005, message: 'Request headers are too large' }]);
  });

  it('answers a malformed header line with 400 in the failure envelope', async () => {
    const res = await rawRequest(port, `GET /client/v4${BASE} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(expectFailureEnvelope(res.body)).toEqual([{ code: 1005, message: 'Malformed HTTP request' }]);
  });
});

describe('paths the router refuses', () => {
  it.each([
    ['a path parameter over 1,000 characters', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${'a'.repeat(1001)}`],
    ['malformed percent-encoding', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/%E0%A4%A`],
  ])('answers %s with the 404 envelope of an unroutable path', async (_name, path) => {
    const res = await app.inject({ method: 'GET', url: `/client/v4${path}`, headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      success: false,
      errors: [
        { code: 7003, message: `Could not route to /client/v4${path}, perhaps your object identifier is invalid?` },
        { code: 7000, message: 'No route for that URI' },
      ],
      messages: [],
      result: null,
    });
  });
});
