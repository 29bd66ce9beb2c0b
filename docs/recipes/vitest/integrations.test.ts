// Each test file (each worker) takes an account of its own: files running in parallel never see each other's data.
import { randomBytes } from 'node:crypto';
import Cloudflare from 'cloudflare';
import { beforeEach, expect, inject, it } from 'vitest';

const account = randomBytes(16).toString('hex');
const cf = new Cloudflare({ apiToken: 'test-token', baseURL: inject('emulatorApiUrl'), maxRetries: 0 });

beforeEach(async () => {
  // Only this file's account is emptied, through the control API.
  await fetch(inject('emulatorApiUrl').replace('/client/v4', `/__emulator/v1/accounts/${account}/reset`), { method: 'POST' });
});

it('creates an integration in this file\'s account', async () => {
  await cf.zeroTrust.riskScoring.integrations.create({ account_id: account, integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9000' });
  const { result } = await cf.zeroTrust.riskScoring.integrations.list({ account_id: account });
  expect(result.map((integration) => integration.account_tag)).toEqual([account]);
});

it('starts every test from an empty account', async () => {
  const { result } = await cf.zeroTrust.riskScoring.integrations.list({ account_id: account });
  expect(result).toEqual([]);
});
