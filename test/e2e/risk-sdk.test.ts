// The story end to end, through the official `cloudflare` SDK and the injection endpoint over real HTTP:
// impossible travel -> the user is high and listed in the summary -> disable the behavior / reset -> low again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Cloudflare, { BadRequestError, NotFoundError } from 'cloudflare';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { LevelChanges, type LevelChange } from '../../src/risk/levelChanges.js';
import { ACCOUNT, tickingClock } from '../support/app.js';
import { startServer, type RunningServer } from '../support/server.js';

const ALICE = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
const alice = { user_id: ALICE, email: 'alice@example.com', name: 'Alice Liddell' };

function sdk(url: string): Cloudflare {
  return new Cloudflare({ apiToken: 'x', baseURL: `${url}/client/v4`, maxRetries: 0 });
}

async function injectEvents(url: string, body: unknown, account = ACCOUNT) {
  const res = await fetch(`${url}/__emulator/v1/accounts/${account}/risk-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { success: boolean; result: unknown } };
}

/** inject impossible travel -> high and listed -> disable imp_travel -> low -> enable -> high -> reset -> low. */
async function walkTheStory(url: string) {
  const client = sdk(url);
  const risk = client.zeroTrust.riskScoring;

  const catalogue = await risk.behaviours.get({ account_id: ACCOUNT });
  expect(catalogue.behaviors.imp_travel).toEqual({
    name: 'Impossible Travel',
    description:
      'A user had a successful Access application log in from two locations that they could not have traveled to in that period of time.',
    risk_level: 'high',
    enabled: true,
  });
  expect(Object.keys(catalogue.behaviors)).toHaveLength(8);

  const injected = await injectEvents(url, { ...alice, behavior: 'imp_travel', timestamp: '2025-03-19T10:00:00Z', event_details: { from: 'Lisbon', to: 'Tokyo' } });
  expect(injected.status).toBe(200);

  const high = await risk.get(ALICE, { account_id: ACCOUNT });
  expect(high.risk_level).toBe('high');
  expect(high.name).toBe('Alice Liddell');
  expect(high.email).toBe('alice@example.com');
  expect(high.last_reset_time).toBeNull();
  expect(high.events).toEqual([
    { id: expect.any(String), name: 'Impossible Travel', risk_level: 'high', timestamp: '2025-03-19T10:00:00Z', event_details: { from: 'Lisbon', to: 'Tokyo' } },
  ]);

  const summary = await risk.summary.get({ account_id: ACCOUNT });
  expect(summary.users).toEqual([
    { user_id: ALICE, name: 'Alice Liddell', email: 'alice@example.com', max_risk_level: 'high', event_count: 1, last_event: '2025-03-19T10:00:00Z' },
  ]);

  const disabled = await risk.behaviours.update({ account_id: ACCOUNT, behaviors: { imp_travel: { enabled: false, risk_level: 'high' } } });
  expect(disabled.behaviors.imp_travel).toMatchObject({ enabled: false, risk_level: 'high' });
  expect((await risk.get(ALICE, { account_id: ACCOUNT })).risk_level).toBe('low');

  await risk.behaviours.update({ account_id: ACCOUNT, behaviors: { imp_travel: { enabled: true, risk_level: 'high' } } });
  expect((await risk.get(ALICE, { account_id: ACCOUNT })).risk_level).toBe('high');

  expect(await risk.reset(ALICE, { account_id: ACCOUNT })).toBeNull();
  const afterReset = await risk.get(ALICE, { account_id: ACCOUNT });
  expect(afterReset.risk_level).toBe('low');
  expect(afterReset.events).toEqual([]);
  expect(afterReset.last_reset_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect((await risk.summary.get({ account_id: ACCOUNT })).users).toEqual([]);
}

describe('the risk story against the real server (npm start)', () => {
  let server: RunningServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'risk-e2e-'));
    server = await startServer({ DATABASE_PATH: join(dir, 'emulator.db') });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('walks impossible travel -> high and listed -> behavior disabled / reset -> low', async () => {
    await walkTheStory(server.url);
  });

  it('SDK errors: unknown user is NotFoundError, unknown behavior is BadRequestError naming it', async () => {
    const risk = sdk(server.url).zeroTrust.riskScoring;
    const missing = await risk.get('00000000-0000-4000-8000-00000000dead', { account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    const unknown = await risk.behaviours
      .update({ account_id: ACCOUNT, behaviors: { teleport: { enabled: true, risk_level: 'high' } } })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect((unknown as BadRequestError).message).toContain('Unknown risk behavior \\"teleport\\"');
  });

  it('keeps behaviors, users, events and resets across a restart on the same SQLite file', async () => {
    const risk = () => sdk(server.url).zeroTrust.riskScoring;
    const BOB = '0b5d9e3a-7c21-4f6e-8d4a-1e2f3a4b5c6d';
    const CAROL = '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
    await risk().behaviours.update({ account_id: ACCOUNT, behaviors: { sentinel_one: { enabled: true, risk_level: 'high' } } });
    await injectEvents(server.url, [
      { user_id: BOB, email: 'bob@example.com', name: 'Bob', behavior: 'sentinel_one', timestamp: '2025-03-19T11:00:00Z' },
      { user_id: BOB, email: 'bob@example.com', name: 'Bob', behavior: 'high_dlp', timestamp: '2025-03-19T11:30:00Z' },
      { user_id: CAROL, email: 'carol@example.com', name: 'Carol', behavior: 'imp_travel' },
    ]);
    await risk().reset(CAROL, { account_id: ACCOUNT });
    const before = {
      behaviors: await risk().behaviours.get({ account_id: ACCOUNT }),
      bob: await risk().get(BOB, { account_id: ACCOUNT }),
      carol: await risk().get(CAROL, { account_id: ACCOUNT }),
      summary: await risk().summary.get({ account_id: ACCOUNT }),
    };
    expect(before.bob.risk_level).toBe('high');
    expect(before.summary.users.map((u) => u.user_id)).toEqual([BOB]);
    expect(before.carol.last_reset_time).not.toBeNull();

    expect(await server.stop()).toBe(0);
    server = await startServer({ DATABASE_PATH: join(dir, 'emulator.db') });

    expect(await risk().behaviours.get({ account_id: ACCOUNT })).toEqual(before.behaviors);
    expect(await risk().get(BOB, { account_id: ACCOUNT })).toEqual(before.bob);
    expect(await risk().get(CAROL, { account_id: ACCOUNT })).toEqual(before.carol);
    expect(await risk().summary.get({ account_id: ACCOUNT })).toEqual(before.summary);
  });
});

describe('the risk story in process on a real port, with the level changes it publishes', () => {
  let app: FastifyInstance;
  afterEach(async () => {
    await app?.close();
  });

  it('publishes exactly: low->high (event), high->low (disabled), low->high (enabled), high->low (reset)', async () => {
    const levelChanges = new LevelChanges();
    app = await buildApp(testConfig(), { now: tickingClock(), levelChanges });
    const changes: LevelChange[] = [];
    levelChanges.subscribe((change) => changes.push(change));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    await walkTheStory(url);

    const who = { accountId: ACCOUNT, userId: ALICE, email: 'alice@example.com', name: 'Alice Liddell' };
    expect(changes).toEqual([
      { ...who, previous: 'low', current: 'high', reason: 'Risk behavior triggered: Impossible Travel', cause: 'event', at: '2025-03-19T10:00:00Z' },
      { ...who, previous: 'high', current: 'low', reason: 'Risk behaviors reconfigured: Impossible Travel disabled', cause: 'behavior', at: '2025-03-19T19:53:56Z' },
      { ...who, previous: 'low', current: 'high', reason: 'Risk behaviors reconfigured: Impossible Travel enabled', cause: 'behavior', at: '2025-03-19T19:53:57Z' },
      { ...who, previous: 'high', current: 'low', reason: 'Risk score reset by an administrator', cause: 'reset', at: '2025-03-19T19:53:58Z' },
    ]);
  });
});
