import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { ACCOUNT, AUTH, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const RISK = `/accounts/${ACCOUNT}/zt_risk_scoring`;
const ALICE = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
const BOB = '0b5d9e3a-7c21-4f6e-8d4a-1e2f3a4b5c6d';
const EV1 = '00000000-0000-4000-8000-000000000001';
const EV2 = '00000000-0000-4000-8000-000000000002';
const EV3 = '00000000-0000-4000-8000-000000000003';

const DEFAULT_BEHAVIORS = {
  imp_travel: {
    name: 'Impossible Travel',
    description:
      'A user had a successful Access application log in from two locations that they could not have traveled to in that period of time.',
    risk_level: 'high',
    enabled: true,
  },
  high_dlp: {
    name: 'High Number of DLP Policies Triggered',
    description: 'User has triggered an active DLP profile in a Gateway policy fifteen times or more within one minute.',
    risk_level: 'medium',
    enabled: true,
  },
  sentinel_one: {
    name: 'SentinelOne Infection Detected',
    description: 'User is signed in on a device where Sentinel One EDR detects an active threat or infection.',
    risk_level: 'medium',
    enabled: false,
  },
  crowdstrike_low_score: {
    name: 'CrowdStrike Low ZTA Security Score',
    description: "The user's device reports a CrowdStrike Zero Trust Assessment score (OS, overall or sensor config) from 0 to 50.",
    risk_level: 'high',
    enabled: false,
  },
  crowdstrike_medium_score: {
    name: 'CrowdStrike Medium ZTA Security Score',
    description: "The user's device reports a CrowdStrike Zero Trust Assessment score (OS, overall or sensor config) from 50 to 79.",
    risk_level: 'medium',
    enabled: false,
  },
  malicious_file: {
    name: 'Interaction with Malicious File',
    description:
      "User uploaded or downloaded a file that Gateway's antivirus scanning or file sandboxing flagged as malicious, even if it was blocked.",
    risk_level: 'high',
    enabled: false,
  },
  security_domain: {
    name: 'Suspicious Security Domain Visited',
    description:
      'User visited a domain in the security risk or security threat categories (malware, phishing, command and control), even if it was blocked.',
    risk_level: 'high',
    enabled: false,
  },
  high_risk_domain: {
    name: 'High Risk Domain Visited',
    description: 'User visited a domain categorized as questionable content, violence or CIPA, even if it was blocked.',
    risk_level: 'low',
    enabled: false,
  },
};

let app: FastifyInstance;
let api: Api;

function inject(body: unknown, account = ACCOUNT) {
  return app.inject({
    method: 'POST',
    url: `/__emulator/v1/accounts/${account}/risk-events`,
    payload: body as object,
  });
}

const alice = (behavior: string, extra: Record<string, unknown> = {}) => ({
  user_id: ALICE,
  email: 'alice@example.com',
  name: 'Alice Liddell',
  behavior,
  ...extra,
});

function failure(errors: unknown[]) {
  return { success: false, errors, messages: [], result: null };
}

beforeEach(async () => {
  app = await makeApp({}, { newId: sequentialIds(), now: tickingClock() });
  api = apiOf(app);
});
afterEach(async () => {
  await app.close();
});

describe('behaviors', () => {
  it("a fresh account has Cloudflare's full default catalogue", async () => {
    const res = await api('GET', `${RISK}/behaviors`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ success: true, errors: [], messages: [], result: { behaviors: DEFAULT_BEHAVIORS } });
  });

  it('PUT reconfigures only the ids given, answers the whole new catalogue, and GET then shows it', async () => {
    const res = await api('PUT', `${RISK}/behaviors`, {
      behaviors: { imp_travel: { enabled: false, risk_level: 'medium' }, sentinel_one: { enabled: true, risk_level: 'high' } },
    });
    expect(res.statusCode).toBe(200);
    const expected = {
      ...DEFAULT_BEHAVIORS,
      imp_travel: { ...DEFAULT_BEHAVIORS.imp_travel, enabled: false, risk_level: 'medium' },
      sentinel_one: { ...DEFAULT_BEHAVIORS.sentinel_one, enabled: true, risk_level: 'high' },
    };
    expect(res.json()).toEqual({ success: true, errors: [], messages: [], result: { behaviors: expected } });
    expect((await api('GET', `${RISK}/behaviors`)).json().result.behaviors).toEqual(expected);
  });

  it('PUT tolerates the read-only name and description Terraform sends back', async () => {
    const res = await api('PUT', `${RISK}/behaviors`, {
      behaviors: { high_dlp: { ...DEFAULT_BEHAVIORS.high_dlp, name: 'ignored', enabled: false } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().result.behaviors.high_dlp).toEqual({ ...DEFAULT_BEHAVIORS.high_dlp, enabled: false });
  });

  it('PUT with no behaviors changes nothing', async () => {
    const res = await api('PUT', `${RISK}/behaviors`, { behaviors: {} });
    expect(res.json().result.behaviors).toEqual(DEFAULT_BEHAVIORS);
  });

  it('PUT naming an unknown id is a 400 naming it, and changes nothing (not even the known ids)', async () => {
    const res = await api('PUT', `${RISK}/behaviors`, {
      behaviors: {
        imp_travel: { enabled: false, risk_level: 'low' },
        teleport: { enabled: true, risk_level: 'high' },
        'a/b': { enabled: true, risk_level: 'high' },
      },
    });
    expect(res.statusCode).toBe(400);
    const known =
      'imp_travel, high_dlp, sentinel_one, crowdstrike_low_score, crowdstrike_medium_score, malicious_file, security_domain, high_risk_domain';
    expect(res.json()).toEqual(
      failure([
        { code: 1201, message: `Unknown risk behavior "teleport"; known behaviors: ${known}`, source: { pointer: '/behaviors/teleport' } },
        { code: 1201, message: `Unknown risk behavior "a/b"; known behaviors: ${known}`, source: { pointer: '/behaviors/a~1b' } },
      ]),
    );
    expect((await api('GET', `${RISK}/behaviors`)).json().result.behaviors).toEqual(DEFAULT_BEHAVIORS);
  });

  it.each([
    [{}, [{ code: 1001, message: 'behaviors is required', source: { pointer: '/behaviors' } }]],
    [{ behaviors: [] }, [{ code: 1001, message: 'behaviors must be object', source: { pointer: '/behaviors' } }]],
    [
      { behaviors: { imp_travel: { enabled: 'false', risk_level: 'high' } } },
      [{ code: 1001, message: 'behaviors.imp_travel.enabled must be boolean', source: { pointer: '/behaviors/imp_travel/enabled' } }],
    ],
    [
      { behaviors: { imp_travel: { enabled: true } } },
      [{ code: 1001, message: 'behaviors.imp_travel.risk_level is required', source: { pointer: '/behaviors/imp_travel/risk_level' } }],
    ],
    [
      { behaviors: { imp_travel: { enabled: true, risk_level: 'HIGH' } } },
      [
        {
          code: 1001,
          message: 'behaviors.imp_travel.risk_level must be one of: "low", "medium", "high"',
          source: { pointer: '/behaviors/imp_travel/risk_level' },
        },
      ],
    ],
  ])('PUT %j is refused with exact errors and changes nothing', async (body, errors) => {
    const res = await api('PUT', `${RISK}/behaviors`, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(failure(errors));
    expect((await api('GET', `${RISK}/behaviors`)).json().result.behaviors).toEqual(DEFAULT_BEHAVIORS);
  });

  it('are per account', async () => {
    await api('PUT', `${RISK}/behaviors`, { behaviors: { imp_travel: { enabled: false, risk_level: 'low' } } });
    const other = await api('GET', `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/behaviors`);
    expect(other.json().result.behaviors).toEqual(DEFAULT_BEHAVIORS);
  });
});

describe('injecting risk events', () => {
  it('records one event and answers it with the user\'s new level', async () => {
    const res = await inject(alice('imp_travel', { timestamp: '2025-03-20T08:00:00+01:00', event_details: { from: 'Lisbon', to: 'Tokyo' } }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        id: EV1,
        user_id: ALICE,
        email: 'alice@example.com',
        name: 'Alice Liddell',
        behavior: 'imp_travel',
        risk_level: 'high',
        timestamp: '2025-03-20T07:00:00Z',
        event_details: { from: 'Lisbon', to: 'Tokyo' },
        counted: true,
        user_risk_level: 'high',
      },
    });
  });

  it('records a bulk array in order, with the level after each event, and needs no credentials', async () => {
    const res = await inject([
      alice('high_dlp'),
      { user_id: BOB, email: 'bob@example.com', name: 'Bob', behavior: 'sentinel_one' },
      alice('imp_travel'),
    ]);
    expect(res.statusCode).toBe(200);
    const result = res.json().result;
    expect(result.map((e: { id: string; user_risk_level: string; counted: boolean; timestamp: string }) => [e.id, e.counted, e.user_risk_level, e.timestamp])).toEqual([
      [EV1, true, 'medium', '2025-03-19T19:53:56Z'],
      [EV2, false, 'low', '2025-03-19T19:53:57Z'],
      [EV3, true, 'high', '2025-03-19T19:53:58Z'],
    ]);
  });

  it('an event of a disabled behavior is recorded but does not raise the score, even once the behavior is enabled', async () => {
    await inject(alice('sentinel_one', { timestamp: '2025-03-19T10:00:00Z' }));
    expect((await api('GET', `${RISK}/${ALICE}`)).json().result).toEqual({
      name: 'Alice Liddell',
      email: 'alice@example.com',
      risk_level: 'low',
      last_reset_time: null,
      events: [{ id: EV1, name: 'SentinelOne Infection Detected', risk_level: 'medium', timestamp: '2025-03-19T10:00:00Z', event_details: {} }],
    });
    await api('PUT', `${RISK}/behaviors`, { behaviors: { sentinel_one: { enabled: true, risk_level: 'medium' } } });
    expect((await api('GET', `${RISK}/${ALICE}`)).json().result.risk_level).toBe('low');
    await inject(alice('sentinel_one'));
    expect((await api('GET', `${RISK}/${ALICE}`)).json().result.risk_level).toBe('medium');
  });

  it('refuses an unknown behavior with a 400 naming it, and records nothing of the batch', async () => {
    const res = await inject([alice('imp_travel'), alice('teleport')]);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { code: 1201, message: expect.stringMatching(/^Unknown risk behavior "teleport"; known behaviors: imp_travel, /), source: { pointer: '/1/behavior' } },
    ]);
    expect((await api('GET', `${RISK}/${ALICE}`)).statusCode).toBe(404);
  });

  it.each([
    [
      { user_id: 'alice', email: 'alice@example.com', name: 'A', behavior: 'imp_travel' },
      [{ code: 1001, message: 'user_id must be a valid uuid', source: { pointer: '/user_id' } }],
    ],
    [
      { user_id: ALICE, email: 'not-an-email', behavior: 'imp_travel' },
      [
        { code: 1001, message: 'name is required', source: { pointer: '/name' } },
        { code: 1001, message: 'email must be a valid email', source: { pointer: '/email' } },
      ],
    ],
    [
      { ...alice('imp_travel'), timestamp: 'yesterday' },
      [{ code: 1001, message: 'timestamp must be a valid date-time', source: { pointer: '/timestamp' } }],
    ],
    [[], [{ code: 1001, message: 'request body must NOT have fewer than 1 items', source: { pointer: '/' } }]],
    [
      [alice('imp_travel'), { ...alice('high_dlp'), behavior: 7 }],
      [{ code: 1001, message: '1.behavior must be string', source: { pointer: '/1/behavior' } }],
    ],
    ['"imp_travel"', [{ code: 1001, message: 'request body must be a JSON object', source: { pointer: '/' } }]],
  ])('refuses %j with exact errors, recording nothing', async (body, errors) => {
    const res = await app.inject({
      method: 'POST',
      url: `/__emulator/v1/accounts/${ACCOUNT}/risk-events`,
      headers: { 'content-type': 'application/json' },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(failure(errors));
    expect((await api('GET', `${RISK}/summary`)).json().result.users).toEqual([]);
  });

  it('refuses a leap-second timestamp, valid RFC 3339 but not a representable time, with a 400 not a 500', async () => {
    const res = await inject([alice('imp_travel'), alice('imp_travel', { timestamp: '2016-12-31T23:59:60Z' })]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      failure([{ code: 1001, message: '2016-12-31T23:59:60Z is not a representable time', source: { pointer: '/1/timestamp' } }]),
    );
    expect((await api('GET', `${RISK}/summary`)).json().result.users).toEqual([]);
  });

  it('refuses a malformed account id as an unroutable path', async () => {
    const res = await inject(alice('imp_travel'), 'not-an-account');
    expect(res.statusCode).toBe(404);
    expect(res.json().errors.map((e: { code: number }) => e.code)).toEqual([7003, 7000]);
  });

  it('refuses more than 1000 events in one call', async () => {
    const res = await inject(Array.from({ length: 1001 }, () => alice('imp_travel')));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ code: 1001, message: 'request body must NOT have more than 1000 items', source: { pointer: '/' } }]);
  });
});

describe('per-user risk', () => {
  it('answers level, events newest first and result_info; upper-case ids are the same user', async () => {
    await inject([
      alice('high_dlp', { timestamp: '2025-03-19T10:00:00Z' }),
      alice('imp_travel', { timestamp: '2025-03-19T12:00:00Z', event_details: { ip: '203.0.113.7' } }),
      { ...alice('high_dlp', { timestamp: '2025-03-19T11:00:00Z' }), email: 'alice@new.example.com', name: 'Alice L.' },
    ]);
    const res = await api('GET', `${RISK}/${ALICE.toUpperCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        name: 'Alice L.',
        email: 'alice@new.example.com',
        risk_level: 'high',
        last_reset_time: null,
        events: [
          { id: EV2, name: 'Impossible Travel', risk_level: 'high', timestamp: '2025-03-19T12:00:00Z', event_details: { ip: '203.0.113.7' } },
          { id: EV3, name: 'High Number of DLP Policies Triggered', risk_level: 'medium', timestamp: '2025-03-19T11:00:00Z', event_details: {} },
          { id: EV1, name: 'High Number of DLP Policies Triggered', risk_level: 'medium', timestamp: '2025-03-19T10:00:00Z', event_details: {} },
        ],
      },
      result_info: { count: 3, page: 1, per_page: 3, total_count: 3, total_pages: 1 },
    });
  });

  it('follows behavior reconfiguration: disabling lowers it, re-enabling restores it, a new level applies', async () => {
    await inject([alice('imp_travel'), alice('high_dlp')]);
    const level = async () => (await api('GET', `${RISK}/${ALICE}`)).json().result.risk_level;
    expect(await level()).toBe('high');
    await api('PUT', `${RISK}/behaviors`, { behaviors: { imp_travel: { enabled: false, risk_level: 'high' } } });
    expect(await level()).toBe('medium');
    await api('PUT', `${RISK}/behaviors`, { behaviors: { high_dlp: { enabled: true, risk_level: 'low' } } });
    expect(await level()).toBe('low');
    await api('PUT', `${RISK}/behaviors`, { behaviors: { imp_travel: { enabled: true, risk_level: 'medium' } } });
    expect(await level()).toBe('medium');
  });

  it('is 404 for a user without events and for another account\'s user', async () => {
    await inject(alice('imp_travel'));
    for (const path of [`${RISK}/${BOB}`, `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/${ALICE}`]) {
      const res = await api('GET', path);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(failure([{ code: 1202, message: `No risk score for user ${path.split('/').pop()}` }]));
    }
  });

  it('a user id that is not a UUID cannot be routed', async () => {
    for (const path of [`${RISK}/alice`, `${RISK}/alice/reset`]) {
      const res = await api(path.endsWith('reset') ? 'POST' : 'GET', path);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(
        failure([
          { code: 7003, message: `Could not route to /client/v4${path}, perhaps your object identifier is invalid?` },
          { code: 7000, message: 'No route for that URI' },
        ]),
      );
    }
  });
});

describe('route precedence', () => {
  it('integrations, behaviors and summary are never taken for a user id', async () => {
    expect((await api('GET', `${RISK}/integrations`)).json()).toEqual({ success: true, errors: [], messages: [], result: [] });
    expect(Object.keys((await api('GET', `${RISK}/behaviors`)).json().result.behaviors)).toHaveLength(8);
    expect((await api('GET', `${RISK}/summary`)).json().result).toEqual({ users: [] });
    const res = await api('POST', `${RISK}/summary`);
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET');
  });
});

describe('summary', () => {
  it('lists one row per user with events, most recent activity first, with result_info', async () => {
    await inject([
      alice('high_dlp', { timestamp: '2025-03-19T10:00:00Z' }),
      { user_id: BOB, email: 'bob@example.com', name: 'Bob', behavior: 'sentinel_one', timestamp: '2025-03-19T11:00:00Z' },
      alice('high_dlp', { timestamp: '2025-03-19T09:00:00Z' }),
    ]);
    const res = await api('GET', `${RISK}/summary`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        users: [
          { user_id: BOB, name: 'Bob', email: 'bob@example.com', max_risk_level: 'low', event_count: 1, last_event: '2025-03-19T11:00:00Z' },
          { user_id: ALICE, name: 'Alice Liddell', email: 'alice@example.com', max_risk_level: 'medium', event_count: 2, last_event: '2025-03-19T10:00:00Z' },
        ],
      },
      result_info: { count: 2, page: 1, per_page: 2, total_count: 2, total_pages: 1 },
    });
    expect((await api('GET', `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/summary`)).json().result.users).toEqual([]);
  });
});

describe('reset', () => {
  it('answers null, returns the level to low, clears the events and sets last_reset_time; later events count again', async () => {
    await inject(alice('imp_travel'));
    const res = await api('POST', `${RISK}/${ALICE}/reset`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, errors: [], messages: [], result: null });
    expect((await api('GET', `${RISK}/${ALICE}`)).json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: { name: 'Alice Liddell', email: 'alice@example.com', risk_level: 'low', last_reset_time: '2025-03-19T19:53:57Z', events: [] },
      result_info: { count: 0, page: 1, per_page: 0, total_count: 0, total_pages: 1 },
    });
    expect((await api('GET', `${RISK}/summary`)).json().result.users).toEqual([]);

    await inject(alice('high_dlp'));
    const after = (await api('GET', `${RISK}/${ALICE}`)).json().result;
    expect(after.risk_level).toBe('medium');
    expect(after.last_reset_time).toBe('2025-03-19T19:53:57Z');
    expect(after.events.map((e: { id: string }) => e.id)).toEqual([EV2]);
  });

  it('is 404 for an unknown user and for another account\'s user, changing nothing', async () => {
    await inject(alice('imp_travel'));
    expect((await api('POST', `${RISK}/${BOB}/reset`)).json()).toEqual(failure([{ code: 1202, message: `No risk score for user ${BOB}` }]));
    expect((await api('POST', `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/${ALICE}/reset`)).statusCode).toBe(404);
    expect((await api('GET', `${RISK}/${ALICE}`)).json().result.risk_level).toBe('high');
  });
});

/** Every Cloudflare risk operation, as method and path. */
const CLOUDFLARE_RISK_ROUTES = [
  ['GET', `${RISK}/behaviors`],
  ['PUT', `${RISK}/behaviors`],
  ['GET', `${RISK}/summary`],
  ['GET', `${RISK}/${ALICE}`],
  ['POST', `${RISK}/${ALICE}/reset`],
] as const;

describe('credentials', () => {
  it('every Cloudflare risk path needs them; the emulator injection path does not', async () => {
    for (const [method, url] of CLOUDFLARE_RISK_ROUTES) {
      const res = await app.inject({ method, url: `/client/v4${url}` });
      expect(res.statusCode, `${method} ${url}`).toBe(400);
      expect(res.json().errors[0].code).toBe(9106);
    }
    expect((await inject(alice('imp_travel'))).statusCode).toBe(200);
  });

  it('routes declare the permission group Cloudflare requires', async () => {
    const permissions: string[] = [];
    const probe = await buildApp(testConfig());
    probe.addHook('preHandler', async (request) => {
      permissions.push(`${request.method} ${request.routeOptions.url} ${request.routeOptions.config.permission}`);
    });
    await probe.ready();
    for (const [method, url] of CLOUDFLARE_RISK_ROUTES) {
      await probe.inject({ method, url, headers: AUTH, ...(method === 'PUT' ? { payload: { behaviors: {} } } : {}) });
    }
    await probe.close();
    expect(permissions).toEqual([
      'GET /accounts/:account_id/zt_risk_scoring/behaviors read',
      'PUT /accounts/:account_id/zt_risk_scoring/behaviors write',
      'GET /accounts/:account_id/zt_risk_scoring/summary pii',
      'GET /accounts/:account_id/zt_risk_scoring/:user_id pii',
      'POST /accounts/:account_id/zt_risk_scoring/:user_id/reset write',
    ]);
  });
});
