// The product's whole story across features, on the real server process: an injected risk event raises a
// user's level, and the active integration's tenant (a local Okta-like receiver) gets a SET it can verify;
// an admin reset through the official SDK sends the way back down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Cloudflare from 'cloudflare';
import { startServer, type RunningServer } from '../support/server.js';
import { OKTA_PATH, startReceiver, verifySet, type Receiver } from '../ssf/receiver.js';

const ACCOUNT = '9a7806061c88ada191ed06f989cc3dac';
const USER = '6f0c2b1e-3d4a-4b5c-8d9e-0f1a2b3c4d5e';
const OKTA_EVENT = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';

let server: RunningServer;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  server = await startServer({ SSF_RETRY_DELAY_MS: '50' });
});
afterAll(async () => {
  await server.stop();
  await receiver.close();
});

describe('risk event → signed SET at the tenant', () => {
  it('pushes high on impossible travel and low on reset, each verifiable against the well-known document', async () => {
    const client = new Cloudflare({ apiToken: 'x', baseURL: `${server.url}/client/v4`, maxRetries: 0 });
    const integration = await client.zeroTrust.riskScoring.integrations.create({
      account_id: ACCOUNT,
      integration_type: 'Okta',
      tenant_url: receiver.url,
    });
    expect(integration.well_known_url).toBe(`${server.url}/.well-known/sse-configuration/${integration.id}`);

    const injected = await fetch(`${server.url}/__emulator/v1/accounts/${ACCOUNT}/risk-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: USER, email: 'alice@example.com', name: 'Alice', behavior: 'imp_travel' }),
    });
    expect(injected.status).toBe(200);
    expect(((await client.zeroTrust.riskScoring.get(USER, { account_id: ACCOUNT })) as { risk_level: string }).risk_level).toBe('high');

    const raised = await receiver.nth(1, OKTA_PATH);
    expect(raised.method).toBe('POST');
    expect(raised.headers['content-type']).toBe('application/secevent+jwt');
    const up = await verifySet(raised.body, integration.well_known_url, receiver.url);
    expect(up.claims.iss).toBe(`${server.url}/${integration.id}`);
    expect(up.eventType).toBe(OKTA_EVENT);
    expect(up.event).toMatchObject({
      subject: { user: { format: 'email', email: 'alice@example.com' } },
      previous_level: 'low',
      current_level: 'high',
    });

    expect(await client.zeroTrust.riskScoring.reset(USER, { account_id: ACCOUNT })).toBeNull();
    const lowered = await receiver.nth(2, OKTA_PATH);
    const down = await verifySet(lowered.body, integration.well_known_url, receiver.url);
    expect(down.event).toMatchObject({ previous_level: 'high', current_level: 'low' });
    expect(down.claims.jti).not.toBe(up.claims.jti);
    expect(down.claims.txn).not.toBe(up.claims.txn);
    expect(receiver.received.filter((r) => r.path === OKTA_PATH)).toHaveLength(2);
  });
});
