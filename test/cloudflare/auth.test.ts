import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { authorizer, parseCredentials } from '../../src/cloudflare/auth.js';
import { registerFailureHandlers } from '../../src/cloudflare/failures.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { ACCOUNT, OTHER_ACCOUNT, makeApp } from '../support/app.js';

const AUTH_ERROR = { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null };
const TOKENS = JSON.stringify({
  credentials: [
    { token: 'reader', accounts: [ACCOUNT], permissions: ['Zero Trust Read'] },
    { token: 'writer', accounts: [ACCOUNT], permissions: ['Zero Trust Write'] },
    { token: 'pii', accounts: ['*'], permissions: ['Zero Trust: PII Read'] },
    { email: 'Admin@Example.com', key: 'k3y', accounts: [ACCOUNT, OTHER_ACCOUNT], permissions: ['Zero Trust Write', 'Zero Trust: PII Read'] },
  ],
});

let app: FastifyInstance;
afterEach(async () => {
  await app.close();
});

/** An app with one route per permission, checked by the strict authorizer. */
async function permissionApp(): Promise<FastifyInstance> {
  const server = Fastify();
  registerFailureHandlers(server);
  const authorize = authorizer({ authMode: 'strict', tokensFile: undefined, tokens: TOKENS });
  server.addHook('onRequest', async (request) => authorize(request));
  for (const permission of ['read', 'write', 'pii'] as const) {
    server.get(`/accounts/:account_id/${permission}`, { config: { permission } }, async () => ({ ok: permission }));
  }
  await server.ready();
  return server;
}

describe('AUTH_MODE=strict', () => {
  it.each([
    ['reader', 'read', 200],
    ['reader', 'write', 403],
    ['reader', 'pii', 403],
    ['writer', 'read', 200],
    ['writer', 'write', 200],
    ['writer', 'pii', 403],
    ['pii', 'read', 403],
    ['pii', 'pii', 200],
    ['unknown', 'read', 403],
  ])('token %s on a %s operation: %i', async (token, permission, status) => {
    app = await permissionApp();
    const res = await app.inject({ method: 'GET', url: `/accounts/${ACCOUNT}/${permission}`, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(status);
    if (status === 403) expect(res.json()).toEqual(AUTH_ERROR);
  });

  it('refuses an account the credential has no rights to; "*" means every account', async () => {
    app = await permissionApp();
    const other = await app.inject({ method: 'GET', url: `/accounts/${OTHER_ACCOUNT}/read`, headers: { authorization: 'Bearer writer' } });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toEqual(AUTH_ERROR);
    const any = await app.inject({ method: 'GET', url: `/accounts/${OTHER_ACCOUNT}/pii`, headers: { authorization: 'Bearer pii' } });
    expect(any.statusCode).toBe(200);
  });

  it('accepts email + key (email case-insensitive), and still answers missing credentials with 9106', async () => {
    app = await permissionApp();
    const ok = await app.inject({ method: 'GET', url: `/accounts/${OTHER_ACCOUNT}/pii`, headers: { 'x-auth-email': 'admin@example.com', 'x-auth-key': 'k3y' } });
    expect(ok.statusCode).toBe(200);
    const wrongKey = await app.inject({ method: 'GET', url: `/accounts/${ACCOUNT}/read`, headers: { 'x-auth-email': 'admin@example.com', 'x-auth-key': 'nope' } });
    expect(wrongKey.statusCode).toBe(403);
    const none = await app.inject({ method: 'GET', url: `/accounts/${ACCOUNT}/read` });
    expect(none.statusCode).toBe(400);
    expect(none.json().errors[0].code).toBe(9106);
  });

  it('applies to the integration operations of the real app, through TOKENS_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emulator-tokens-'));
    const file = join(dir, 'tokens.json');
    writeFileSync(file, TOKENS);
    app = await makeApp({ authMode: 'strict', tokensFile: file });
    const url = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
    const body = { integration_type: 'Okta', tenant_url: 'https://a.okta.com' };
    const denied = await app.inject({ method: 'POST', url, payload: body, headers: { authorization: 'Bearer reader' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toEqual(AUTH_ERROR);
    expect((await app.inject({ method: 'POST', url, payload: body, headers: { authorization: 'Bearer writer' } })).statusCode).toBe(200);
    const list = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer reader' } });
    expect(list.json().result).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('AUTH_MODE=off and any', () => {
  it('off needs no credential at all', async () => {
    app = await makeApp({ authMode: 'off' });
    const res = await app.inject({ method: 'GET', url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations` });
    expect(res.statusCode).toBe(200);
  });

  it('any (the default) takes any well-formed credential and refuses a malformed one', async () => {
    app = await makeApp();
    const url = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
    expect((await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer whatever' } })).statusCode).toBe(200);
    const bad = await app.inject({ method: 'GET', url, headers: { authorization: 'Basic abc' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].code).toBe(6003);
  });
});

describe('credentials file problems are start-up errors naming the entry', () => {
  it.each([
    ['not json', 'TOKENS: not valid JSON'],
    ['[]', 'TOKENS: expected an object {"credentials": [...]}'],
    ['{"credentials":[{"token":"t","accounts":["*"],"permissions":["Zero Trust Edit"]}]}', 'TOKENS: credentials[0].permissions[0]: unknown permission group "Zero Trust Edit" (expected one of "Zero Trust Read", "Zero Trust Write", "Zero Trust: PII Read")'],
    ['{"credentials":[{"token":"t","accounts":["acme"],"permissions":["Zero Trust Read"]}]}', 'TOKENS: credentials[0].accounts[0]: "acme" is not an account id (32 lower-case hex characters) or "*"'],
    ['{"credentials":[{"email":"a@b.c","accounts":["*"],"permissions":["Zero Trust Read"]}]}', 'TOKENS: credentials[0].key: expected printable ASCII without spaces'],
  ])('%s', (text, message) => {
    expect(() => parseCredentials(text, 'TOKENS')).toThrow(ConfigError);
    expect(() => parseCredentials(text, 'TOKENS')).toThrow(message);
  });

  it('a missing TOKENS_FILE fails buildApp; strict without credentials fails loadConfig', async () => {
    await expect(buildApp(testConfig({ authMode: 'strict', tokensFile: '/nonexistent/tokens.json' }))).rejects.toThrow(
      'TOKENS_FILE /nonexistent/tokens.json: cannot be read (ENOENT)',
    );
    expect(() => loadConfig([], { AUTH_MODE: 'strict' })).toThrow('AUTH_MODE=strict needs the credentials it accepts: set TOKENS_FILE (--tokens-file) or TOKENS (--tokens)');
    app = await makeApp();
  });
});

describe('EMULATOR_ADMIN_TOKEN', () => {
  it('protects the control API only', async () => {
    app = await makeApp({ adminToken: 's3cret' });
    const denied = await app.inject({ method: 'POST', url: '/__emulator/v1/reset' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toEqual({
      success: false,
      errors: [{ code: 1401, message: 'The control API needs Authorization: Bearer <EMULATOR_ADMIN_TOKEN>' }],
      messages: [],
      result: null,
    });
    const wrong = await app.inject({ method: 'GET', url: '/__emulator/v1/state', headers: { authorization: 'Bearer s3cre' } });
    expect(wrong.statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/__emulator/v1/state', headers: { authorization: 'Bearer s3cret' } });
    expect(ok.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const api = await app.inject({ method: 'GET', url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, headers: { authorization: 'Bearer any' } });
    expect(api.statusCode).toBe(200);
  });

  it('guards every /__emulator/ path, whichever feature serves it: risk events and SSF controls too', async () => {
    app = await makeApp({ adminToken: 's3cret' });
    const event = { user_id: '6f0c2b1e-3d4a-4b5c-8d9e-0f1a2b3c4d5e', email: 'a@example.com', name: 'A', behavior: 'imp_travel' };
    const paths: Array<['GET' | 'POST', string, unknown]> = [
      ['POST', `/__emulator/v1/accounts/${ACCOUNT}/risk-events`, event],
      ['GET', `/__emulator/v1/accounts/${ACCOUNT}/ssf/keys`, undefined],
      ['GET', '/__emulator/v1/ssf/outbox', undefined],
    ];
    for (const [method, url, payload] of paths) {
      const denied = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(denied.statusCode, url).toBe(401);
      expect(denied.json().errors[0].code).toBe(1401);
      const allowed = await app.inject({ method, url, headers: { authorization: 'Bearer s3cret' }, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(allowed.statusCode, url).toBe(200);
    }
    // The refused injection recorded nothing; the allowed one did.
    const risk = await app.inject({
      method: 'GET',
      url: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/${event.user_id}`,
      headers: { authorization: 'Bearer any' },
    });
    expect(risk.json().result.events).toHaveLength(1);
  });
});
