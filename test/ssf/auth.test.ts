// SSF stream management honours AUTH_MODE=strict: the credential needs Zero Trust Write on the integration's account.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, OTHER_ACCOUNT, TOKEN } from '../support/app.js';
import { createIntegration, listeningApp, type Integration, type Running } from './support.js';

const TOKENS = JSON.stringify({
  credentials: [
    { token: TOKEN, accounts: [ACCOUNT], permissions: ['Zero Trust Write'] },
    { token: 'reader', accounts: [ACCOUNT], permissions: ['Zero Trust Read'] },
    { token: 'outsider', accounts: [OTHER_ACCOUNT], permissions: ['Zero Trust Write'] },
  ],
});

let running: Running;
let integration: Integration;
let endpoint: string;
beforeEach(async () => {
  running = await listeningApp({ authMode: 'strict', tokens: TOKENS });
  integration = await createIntegration(running.api, 'https://tenant.okta.com');
  endpoint = ((await (await fetch(integration.well_known_url)).json()) as { configuration_endpoint: string }).configuration_endpoint;
});
afterEach(async () => {
  await running.app.close();
});

const createStream = (token: string) =>
  fetch(endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8936' } }),
  });

describe('SSF streams in strict auth mode', () => {
  it.each([
    ['a token of another account', 'outsider'],
    ['a read-only token', 'reader'],
    ['an unknown token', 'stranger'],
  ])('refuses %s with 403 code 10000, and creates nothing', async (_name, token) => {
    const res = await createStream(token);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null });
    const list = await fetch(endpoint, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await list.json()).toEqual([]);
  });

  it("accepts a Write token of the integration's account", async () => {
    const res = await createStream(TOKEN);
    expect(res.status).toBe(201);
  });
});
