// Every failure, whatever produced it, is Cloudflare's envelope with application/json: never Fastify's shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { ACCOUNT, AUTH, makeApp } from '../support/app.js';
import { registerFailureHandlers } from '../../src/cloudflare/failures.js';
import { registerJsonBodyParser } from '../../src/cloudflare/jsonBody.js';

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

describe('empty JSON bodies', () => {
  // What the official Python SDK sends on delete and reset: the header, and no body.
  const EMPTY_JSON = { ...AUTH, 'content-type': 'application/json' };

  it('are no body on every route that takes none: DELETE, reset, GET', async () => {
    const created = await app.inject({ method: 'POST', url: LIST, headers: AUTH, payload: { integration_type: 'Okta', tenant_url: 'https://e.okta.com' } });
    const id = created.json().result.id as string;
    const deleted = await app.inject({ method: 'DELETE', url: `${LIST}/${id}`, headers: EMPTY_JSON, payload: '' });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ success: true, errors: [], messages: [], result: null });
    const reset = await app.inject({ method: 'POST', url: '/__emulator/v1/reset', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(reset.statusCode).toBe(200);
    const listed = await app.inject({ method: 'GET', url: LIST, headers: EMPTY_JSON, payload: '' });
    expect(listed.json()).toEqual({ success: true, errors: [], messages: [], result: [] });
  });

  it('are refused with a 4xx envelope by a route that needs a body, and create nothing', async () => {
    const empty = await app.inject({ method: 'POST', url: LIST, headers: EMPTY_JSON, payload: '' });
    expectFailure(empty, 400, [{ code: 1001, message: 'request body must be a JSON object', source: { pointer: '/' } }]);
    expect((await app.inject({ method: 'GET', url: LIST, headers: AUTH })).json().result).toEqual([]);
  });
});

describe('blame', () => {
  it('answers a SyntaxError thrown while handling a request 500 code 1000, logged with its stack; not 400 1002', async () => {
    const lines: string[] = [];
    const own = Fastify({ logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } } });
    registerFailureHandlers(own);
    registerJsonBodyParser(own);
    own.get('/stored', async () => JSON.parse('{"stored": '));
    own.post('/stored', async () => JSON.parse('{"stored": '));
    const got = await own.inject({ method: 'GET', url: '/stored' });
    expectFailure(got, 500, [{ code: 1000, message: 'Internal server error' }]);
    const posted = await own.inject({ method: 'POST', url: '/stored', payload: { fine: true } });
    expectFailure(posted, 500, [{ code: 1000, message: 'Internal server error' }]);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; err?: { type: string; stack: string } });
    expect(logged.map((l) => [l.msg, l.err?.type])).toEqual([
      ['request failed', 'SyntaxError'],
      ['request failed', 'SyntaxError'],
    ]);
    expect(logged[0]?.err?.stack).toContain('SyntaxError');
    // The parser's own failure stays a 400 1002.
    const malformed = await own.inject({ method: 'POST', url: '/stored', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expectFailure(malformed, 400, [{ code: 1002, message: 'Malformed JSON in request body' }]);
    await own.close();
  });
});
