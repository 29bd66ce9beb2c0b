// Several independent test suites share one real server, each on its own account, resetting and seeding
// it over and over at the same time: none ever sees another's data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Cloudflare from 'cloudflare';
import { TOKEN } from '../support/app.js';
import { startServer, type RunningServer } from '../support/server.js';

const SUITES = 4;
const ROUNDS = 8;
let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}/__emulator/v1${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).result;
}

/** One suite: its own account, its own fixture, every round: reset, seed, create, read back. */
async function suite(n: number): Promise<number> {
  const account = `${String(n).padStart(2, '0')}${'a'.repeat(30)}`;
  const client = new Cloudflare({ apiToken: TOKEN, baseURL: `${server.url}/client/v4`, maxRetries: 0 });
  const integrations = client.zeroTrust.riskScoring.integrations;
  let checks = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await control('POST', `/accounts/${account}/reset`);
    expect((await integrations.list({ account_id: account })).result).toEqual([]);
    const seeded = Array.from({ length: 3 }, (_, i) => ({
      id: `${String(n).padStart(8, '0')}-0000-4000-8000-${String(round * 10 + i).padStart(12, '0')}`,
      account_tag: account,
      integration_type: 'Okta',
      reference_id: `suite-${n}-round-${round}-${i}`,
      tenant_url: `https://suite-${n}.okta.com`,
      active: 1,
      created_at: '2025-01-01T00:00:00Z',
    }));
    expect(await control('PUT', `/accounts/${account}/state`, { tables: { integrations: seeded } })).toEqual({ accounts: [account], rows: 3 });
    const created = await integrations.create({ account_id: account, integration_type: 'Okta', tenant_url: `https://suite-${n}.okta.com`, reference_id: `suite-${n}-created-${round}` });
    const listed = (await integrations.list({ account_id: account })).result;
    expect(listed.map((i) => i.reference_id)).toEqual([...seeded.map((s) => s.reference_id), created.reference_id]);
    expect(listed.every((i) => i.account_tag === account && i.tenant_url === `https://suite-${n}.okta.com`)).toBe(true);
    const exported = await control('GET', `/accounts/${account}/state`);
    expect(exported.tables.integrations).toHaveLength(4);
    const journal = await control('GET', `/journal?account=${account}`);
    expect(journal.every((e: { account: string }) => e.account === account)).toBe(true);
    checks++;
  }
  return checks;
}

describe('parallel suites on one server', () => {
  it(`${SUITES} suites resetting and seeding their own accounts concurrently never see each other's data`, async () => {
    const done = await Promise.all(Array.from({ length: SUITES }, (_, n) => suite(n + 1)));
    expect(done).toEqual(Array(SUITES).fill(ROUNDS));
    // At the end every account holds exactly its last round.
    const all = await control('GET', '/state');
    expect(all.accounts).toHaveLength(SUITES);
    expect(all.tables.integrations).toHaveLength(SUITES * 4);
  });
});
