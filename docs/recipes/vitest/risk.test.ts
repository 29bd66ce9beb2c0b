// A second file, in a second worker, with a second account: its risk events never reach the other file's.
import { randomBytes } from 'node:crypto';
import Cloudflare from 'cloudflare';
import { expect, inject, it } from 'vitest';

const account = randomBytes(16).toString('hex');
const apiUrl = inject('emulatorApiUrl');
const cf = new Cloudflare({ apiToken: 'test-token', baseURL: apiUrl, maxRetries: 0 });

it('raises a user to high with an injected risk event', async () => {
  const user = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
  await fetch(apiUrl.replace('/client/v4', `/__emulator/v1/accounts/${account}/risk-events`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: user, email: 'ada@example.com', name: 'Ada', behavior: 'imp_travel' }),
  });
  const score = await cf.zeroTrust.riskScoring.get(user, { account_id: account });
  expect(score.risk_level).toBe('high');
});
