// Every failure, whatever produced it, is Cloudflare's envelope with application/json: never Fastify's shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { ACCOUNT, AUTH, makeApp } from '../support/app.js';

const LIST = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
let app: FastifyInstance;
beforeAll(async () => {
  app = await makeApp();
});
afterAll(async () => {
  await app.close();
});

function expectFailure(res: LightMyRequestResponse, status: number, errors: unknown[]) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.json()).toEqual({ success: false, errors, messages: [], result: null });
}

const noRoute = (path: string) => [
  { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
  { code: 7000, message: 'No route for that URI' },
];

describe('failure envelope', () => {
  it('serves the API both under /client/v4 and without the prefix', async () => {
    const prefixed = await app.inject({ method: 'GET', url: LIST, headers: AUTH });
    const bare = await app.inject({ method: 'GET', url: LIST.replace('/client/v4', ''), headers: AUTH });
    expect(prefixed.statusCode).toBe(200);
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toEqual(prefixed.json());
  });

  it('unknown route: 404 with 7003 and 7000, naming the path as sent (without the query)', async () => {
    expectFailure(await app.inject({ method: 'GET', url: '/client/v4/nothing/here?x=1', headers: AUTH }), 404, noRoute('/client/v4/nothing/here'));
    expectFailure(await app.inject({ method: 'GET', url: '/client/v4x/accounts', headers: AUTH }), 404, noRoute('/client/v4x/accounts'));
  });

  it('malformed object identifiers are unroutable: account id, integration id', async () => {
    const badAccount = '/client/v4/accounts/ACCOUNT/zt_risk_scoring/integrations';
    expectFailure(await app.inject({ method: 'GET', url: badAccount, headers: AUTH }), 404, noRoute(badAccount));
    const badId = `${LIST}/123`;
    expectFailure(await app.inject({ method: 'GET', url: badId, headers: AUTH }), 404, noRoute(badId));
  });

  it('wrong method on a known path: 405 with Allow', async () => {
    const res = await app.inject({ method: 'PATCH', url: LIST, headers: AUTH });
    expectFailure(res, 405, [{ code: 7001, message: `Method PATCH not allowed for ${LIST}; allowed: GET, POST` }]);
    expect(res.headers.allow).toBe('GET, POST');
  });

  it('malformed JSON: 400 code 1002, nothing created', async () => {
    const res = await app.inject({ method: 'POST', url: LIST, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"integration_type":' });
    expectFailure(res, 400, [{ code: 1002, message: 'Malformed JSON in request body' }]);
    const empty = await app.inject({ method: 'POST', url: LIST, headers: { ...AUTH, 'content-type': 'application/json' }, payload: '' });
    expectFailure(empty, 400, [{ code: 1002, message: 'Request body is empty but Content-Type is application/json' }]);
    expect((await app.inject({ method: 'GET', url: LIST, headers: AUTH })).json().result).toEqual([]);
  });

  it('wrong content type: 415 code 1003', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await app.inject({ method: 'POST', url: LIST, headers: { ...AUTH, 'content-type': type }, payload: 'integration_type=Okta' });
      expectFailure(res, 415, [{ code: 1003, message: `Unsupported Content-Type ${JSON.stringify(type)}; send application/json` }]);
    }
  });

  it('missing body: 400 validation naming the body', async () => {
    expectFailure(await app.inject({ method: 'POST', url: LIST, headers: AUTH }), 400, [
      { code: 1001, message: 'request body must be a JSON object', source: { pointer: '/' } },
    ]);
  });

  it('oversized body: 413 code 1004', async () => {
    const payload = JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://a.okta.com', pad: 'x'.repeat(1024 * 1024) });
    const res = await app.inject({ method: 'POST', url: LIST, headers: { ...AUTH, 'content-type': 'application/json' }, payload });
    expectFailure(res, 413, [{ code: 1004, message: 'Request body is too large' }]);
  });

  it('every error code is >= 1000 and errors is never empty, for each failure above', async () => {
    const responses = await Promise.all([
      app.inject({ method: 'GET', url: '/nope' }),
      app.inject({ method: 'DELETE', url: `${LIST}` , headers: AUTH }),
      app.inject({ method: 'GET', url: LIST }),
      app.inject({ method: 'POST', url: LIST, headers: AUTH, payload: { integration_type: 1 } }),
    ]);
    for (const res of responses) {
      const body = res.json();
      expect(body.errors.length).toBeGreaterThan(0);
      for (const error of body.errors) expect(error.code).toBeGreaterThanOrEqual(1000);
    }
  });
});
