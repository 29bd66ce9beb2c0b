// node:test: one emulator for this file, started before its tests and closed after them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Cloudflare from 'cloudflare';
import { startEmulator } from 'cf-zt-risk-emulator';

const account = '023e105f4ecef8ad9ca31a8372d0c353';
let emulator;
let cf;

before(async () => {
  emulator = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'warn' });
  cf = new Cloudflare({ apiToken: 'test-token', baseURL: emulator.apiUrl, maxRetries: 0 });
});
after(() => emulator.close());

test('an integration is created, listed and gone after a reset', async () => {
  const created = await cf.zeroTrust.riskScoring.integrations.create({ account_id: account, integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9000' });
  assert.equal(created.active, true);
  assert.equal((await cf.zeroTrust.riskScoring.integrations.list({ account_id: account })).result.length, 1);
  await emulator.reset(account);
  assert.deepEqual((await cf.zeroTrust.riskScoring.integrations.list({ account_id: account })).result, []);
});
