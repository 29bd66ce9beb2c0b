// Every change of a user's effective level is published exactly once through the app's LevelChanges;
// nothing is published when the level does not change.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { LevelChanges, type LevelChange } from '../../src/risk/levelChanges.js';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const RISK = `/accounts/${ACCOUNT}/zt_risk_scoring`;
const ALICE = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
const BOB = '0b5d9e3a-7c21-4f6e-8d4a-1e2f3a4b5c6d';

let app: FastifyInstance;
let api: Api;
let changes: LevelChange[];
let levelChanges: LevelChanges;

const alice = { accountId: ACCOUNT, userId: ALICE, email: 'alice@example.com', name: 'Alice Liddell' };
const bob = { accountId: ACCOUNT, userId: BOB, email: 'bob@example.com', name: 'Bob' };

function inject(body: unknown, account = ACCOUNT) {
  return app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${account}/risk-events`, payload: body as object });
}
const event = (user: typeof alice, behavior: string, timestamp?: string) => ({
  user_id: user.userId,
  email: user.email,
  name: user.name,
  behavior,
  ...(timestamp ? { timestamp } : {}),
});
const putBehaviors = (behaviors: Record<string, { enabled: boolean; risk_level: string }>) =>
  api('PUT', `${RISK}/behaviors`, { behaviors });

beforeEach(async () => {
  levelChanges = new LevelChanges();
  app = await makeApp({}, { newId: sequentialIds(), now: tickingClock(), levelChanges });
  api = apiOf(app);
  changes = [];
  levelChanges.subscribe((change) => changes.push(change));
});
afterEach(async () => {
  await app.close();
});

describe('level changes from injected events', () => {
  it('publishes a raise once, at the event time, and nothing for events that do not raise the level', async () => {
    await inject(event(alice, 'high_dlp', '2025-03-19T10:00:00Z'));
    await inject(event(alice, 'high_dlp', '2025-03-19T10:05:00Z'));
    await inject(event(alice, 'sentinel_one', '2025-03-19T10:06:00Z'));
    await inject(event(alice, 'imp_travel', '2025-03-19T10:10:00Z'));
    await inject(event(alice, 'high_dlp', '2025-03-19T10:15:00Z'));
    expect(changes).toEqual([
      { ...alice, previous: 'low', current: 'medium', reason: 'Risk behavior triggered: High Number of DLP Policies Triggered', cause: 'event', at: '2025-03-19T10:00:00Z' },
      { ...alice, previous: 'medium', current: 'high', reason: 'Risk behavior triggered: Impossible Travel', cause: 'event', at: '2025-03-19T10:10:00Z' },
    ]);
  });

  it('publishes each change of a bulk injection in order, per user, with the time taken from the clock when omitted', async () => {
    await inject([event(alice, 'high_dlp'), event(bob, 'imp_travel'), event(alice, 'imp_travel'), event(bob, 'high_dlp')]);
    expect(changes).toEqual([
      { ...alice, previous: 'low', current: 'medium', reason: 'Risk behavior triggered: High Number of DLP Policies Triggered', cause: 'event', at: '2025-03-19T19:53:56Z' },
      { ...bob, previous: 'low', current: 'high', reason: 'Risk behavior triggered: Impossible Travel', cause: 'event', at: '2025-03-19T19:53:57Z' },
      { ...alice, previous: 'medium', current: 'high', reason: 'Risk behavior triggered: Impossible Travel', cause: 'event', at: '2025-03-19T19:53:58Z' },
    ]);
  });

  it('publishes nothing for a refused injection', async () => {
    await inject([event(alice, 'imp_travel'), event(alice, 'teleport')]);
    await inject({ ...event(alice, 'imp_travel'), user_id: 'nope' });
    expect(changes).toEqual([]);
  });

  it('carries the account the event was injected into', async () => {
    await inject(event(alice, 'imp_travel', '2025-03-19T10:00:00Z'), OTHER_ACCOUNT);
    expect(changes).toEqual([
      { ...alice, accountId: OTHER_ACCOUNT, previous: 'low', current: 'high', reason: 'Risk behavior triggered: Impossible Travel', cause: 'event', at: '2025-03-19T10:00:00Z' },
    ]);
  });
});

describe('level changes from behavior reconfiguration', () => {
  beforeEach(async () => {
    await inject([event(alice, 'imp_travel', '2025-03-19T10:00:00Z'), event(alice, 'high_dlp', '2025-03-19T10:01:00Z'), event(bob, 'high_dlp', '2025-03-19T10:02:00Z')]);
    changes.length = 0;
  });

  it('publishes one change per user whose level changes, and none for the others', async () => {
    await putBehaviors({ imp_travel: { enabled: false, risk_level: 'high' } });
    expect(changes).toEqual([
      { ...alice, previous: 'high', current: 'medium', reason: 'Risk behaviors reconfigured: Impossible Travel disabled', cause: 'behavior', at: '2025-03-19T19:53:56Z' },
    ]);
  });

  it('publishes the net change of a PUT touching several behaviors', async () => {
    await putBehaviors({ imp_travel: { enabled: false, risk_level: 'high' }, high_dlp: { enabled: true, risk_level: 'high' } });
    expect(changes).toEqual([
      {
        ...bob,
        previous: 'medium',
        current: 'high',
        reason: 'Risk behaviors reconfigured: Impossible Travel disabled; High Number of DLP Policies Triggered risk level set to high',
        cause: 'behavior',
        at: '2025-03-19T19:53:56Z',
      },
    ]);
  });

  it('publishes nothing when the configuration does not change anyone\'s level', async () => {
    await putBehaviors({ imp_travel: { enabled: true, risk_level: 'high' } });
    await putBehaviors({ sentinel_one: { enabled: true, risk_level: 'high' } });
    await putBehaviors({ teleport: { enabled: true, risk_level: 'high' } });
    expect(changes).toEqual([]);
  });

  it('publishes the way back up when a behavior is enabled again', async () => {
    await putBehaviors({ high_dlp: { enabled: false, risk_level: 'medium' } });
    await putBehaviors({ high_dlp: { enabled: true, risk_level: 'medium' } });
    expect(changes).toEqual([
      { ...bob, previous: 'medium', current: 'low', reason: 'Risk behaviors reconfigured: High Number of DLP Policies Triggered disabled', cause: 'behavior', at: '2025-03-19T19:53:56Z' },
      { ...bob, previous: 'low', current: 'medium', reason: 'Risk behaviors reconfigured: High Number of DLP Policies Triggered enabled', cause: 'behavior', at: '2025-03-19T19:53:57Z' },
    ]);
  });
});

describe('level changes from resets', () => {
  it('publishes the drop to low once; a second reset, or a reset of a low user, publishes nothing', async () => {
    await inject([event(alice, 'imp_travel', '2025-03-19T10:00:00Z'), event(bob, 'sentinel_one', '2025-03-19T10:01:00Z')]);
    changes.length = 0;
    await api('POST', `${RISK}/${ALICE}/reset`);
    await api('POST', `${RISK}/${ALICE}/reset`);
    await api('POST', `${RISK}/${BOB}/reset`);
    await api('POST', `${RISK}/00000000-0000-4000-8000-0000000000ff/reset`);
    expect(changes).toEqual([
      { ...alice, previous: 'high', current: 'low', reason: 'Risk score reset by an administrator', cause: 'reset', at: '2025-03-19T19:53:56Z' },
    ]);
  });
});

describe('subscribers', () => {
  it('are called inside the change: a failing one fails the call with 500 code 1000 and nothing is stored', async () => {
    const unsubscribe = levelChanges.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const res = await inject(event(alice, 'imp_travel'));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ success: false, errors: [{ code: 1000, message: 'Internal server error' }], messages: [], result: null });
    expect((await api('GET', `${RISK}/${ALICE}`)).statusCode).toBe(404);
    expect((await api('GET', `${RISK}/summary`)).json().result).toEqual({ users: [] });

    unsubscribe();
    expect((await inject(event(alice, 'imp_travel'))).statusCode).toBe(200);
    expect((await api('GET', `${RISK}/${ALICE}`)).json().result.risk_level).toBe('high');
  });
});
