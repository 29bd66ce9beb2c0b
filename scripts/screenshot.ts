// Regenerates docs/dashboard.png, the README's picture of the dashboard's account page: `npm run screenshot`.
// Starts the built server (dist/, `:memory:` database) with demo data: an Okta integration whose tenant is a local
// receiver answering 202, risk events for three users (one reset), and a few SDK calls, one answered by a fault
// rule; then photographs the account page in headless Chromium (/usr/bin/chromium).
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import Cloudflare from 'cloudflare';
import { launchChromium } from '../test/support/chromium.js';
import { startServer } from '../test/support/server.js';

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const OUTPUT = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const USERS = {
  ada: { user_id: '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234', email: 'ada@example.com', name: 'Ada Lovelace' },
  grace: { user_id: '0b9a7c3e-5d1f-4a2b-8c6d-7e8f9a0b1c2d', email: 'grace@example.com', name: 'Grace Hopper' },
  alan: { user_id: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', email: 'alan@example.com', name: 'Alan Turing' },
};

const receiver = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(202).end());
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const address = receiver.address();
const tenant = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const server = await startServer();
const browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
try {
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}/__emulator/v1${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { result: unknown }).result;
  };
  const cf = new Cloudflare({ apiToken: 'demo-token', baseURL: `${server.url}/client/v4` });
  await cf.zeroTrust.riskScoring.integrations.create({ account_id: ACCOUNT, integration_type: 'Okta', tenant_url: tenant, reference_id: 'okta-dev' });
  await control('POST', `/accounts/${ACCOUNT}/risk-events`, [
    { ...USERS.ada, behavior: 'imp_travel' },
    { ...USERS.grace, behavior: 'high_dlp' },
    { ...USERS.alan, behavior: 'high_dlp' },
  ]);
  await cf.zeroTrust.riskScoring.reset(USERS.alan.user_id, { account_id: ACCOUNT });
  await control('POST', '/faults', { method: 'GET', path: '/accounts/*/zt_risk_scoring/summary', account: ACCOUNT, times: 1, status: 429, retry_after: 0 });
  await cf.zeroTrust.riskScoring.summary.get({ account_id: ACCOUNT }); // the SDK retries the 429
  await cf.zeroTrust.riskScoring.get(USERS.ada.user_id, { account_id: ACCOUNT });

  const outbox = async () => (await control('GET', `/ssf/outbox?account_id=${ACCOUNT}`)) as Array<{ status: string }>;
  for (let i = 0; i < 100 && !(await outbox()).every((entry) => entry.status === 'delivered'); i++) await new Promise((r) => setTimeout(r, 100));

  const page = await browser.context.newPage();
  await page.goto(`${server.url}/__emulator/ui/accounts/${ACCOUNT}`);
  await page.getByRole('cell', { name: 'Ada Lovelace' }).waitFor();
  await page.screenshot({ path: OUTPUT, fullPage: true });
  console.log(`wrote ${OUTPUT}`);
} finally {
  await browser.close();
  await server.stop();
  receiver.close();
}
