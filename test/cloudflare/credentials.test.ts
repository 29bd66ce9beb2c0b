// Credentials as Cloudflare's gateway checks them, and never written to the logs.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, makeApp } from '../support/app.js';

const LIST = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const invalid = (chain: Array<[number, string]>) => [
  { code: 6003, message: 'Invalid request headers', error_chain: chain.map(([code, message]) => ({ code, message })) },
];

describe('credentials', () => {
  it.each([
    ['bearer token', { authorization: 'Bearer x' }],
    ['bearer token, any case scheme', { authorization: 'bearer Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY' }],
    ['email + key', { 'x-auth-email': 'user@example.com', 'x-auth-key': '144c9defac04969c7bfad8efaa8ea194' }],
  ])('accepts a well-formed %s', async (_name, headers) => {
    const app = await makeApp();
    const res = await app.inject({ method: 'GET', url: LIST, headers });
    expect(res.statusCode).toBe(200);
    await app.close();
  });

  it.each([
    ['no credentials', {}, 400, [{ code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' }]],
    ['Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 400, invalid([[6111, 'Invalid format for Authorization header']])],
    ['empty bearer', { authorization: 'Bearer ' }, 400, invalid([[6111, 'Invalid format for Authorization header']])],
    ['token with a space', { authorization: 'Bearer a b' }, 400, invalid([[6111, 'Invalid format for Authorization header']])],
    ['email without key', { 'x-auth-email': 'user@example.com' }, 400, invalid([[6103, 'Invalid format for X-Auth-Key header']])],
    ['key without email', { 'x-auth-key': 'abc' }, 400, invalid([[6102, 'Invalid format for X-Auth-Email header']])],
    ['malformed email', { 'x-auth-email': 'user', 'x-auth-key': 'abc' }, 400, invalid([[6102, 'Invalid format for X-Auth-Email header']])],
  ])('refuses %s', async (_name, headers, status, errors) => {
    const app = await makeApp();
    const res = await app.inject({ method: 'POST', url: LIST, headers, payload: { integration_type: 'Okta', tenant_url: 'https://a.okta.com' } });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ success: false, errors, messages: [], result: null });
    // nothing was created by the refused request
    const list = await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'Bearer x' } });
    expect(list.json().result).toEqual([]);
    await app.close();
  });

  it('never writes credentials to the logs, even at trace level', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const app = await makeApp({ logLevel: 'trace' }, { logStream: sink });
    await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'Bearer SECRET-TOKEN-123' } });
    await app.inject({ method: 'GET', url: LIST, headers: { 'x-auth-email': 'secret-mail@example.com', 'x-auth-key': 'SECRET-KEY-456' } });
    await app.inject({ method: 'GET', url: LIST, headers: { authorization: 'Basic SECRET-BASIC-789' } });
    await app.close();
    expect(logs).toContain('request completed');
    for (const secret of ['SECRET-TOKEN-123', 'secret-mail@example.com', 'SECRET-KEY-456', 'SECRET-BASIC-789']) {
      expect(logs).not.toContain(secret);
    }
  });
});
