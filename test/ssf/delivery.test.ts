// The push worker against hostile and broken receivers and stored rows: every push ends within its timeout, a slow
// destination delays only itself, every failure is a counted attempt with backoff, redirects are not followed, a
// receiver's answer is read only so far, SETs go only where SSF_PUSH allows, and old ones are pruned.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { isLocalHost } from '../../src/ssf/pushPolicy.js';
import { retryAfterMs } from '../../src/ssf/delivery.js';
import { ACCOUNT, AUTH } from '../support/app.js';
import { gate, OKTA_PATH, startReceiver, type Receiver } from './receiver.js';
import { change, createIntegration, listeningApp, outbox, outboxWhen, type Running } from './support.js';

let receiver: Receiver;
let running: Running | undefined;
let dir: string;

beforeEach(async () => {
  receiver = await startReceiver();
  dir = mkdtempSync(join(tmpdir(), 'ssf-delivery-'));
});
afterEach(async () => {
  await running?.app.close();
  running = undefined;
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A server on loopback whose handler the test writes; closed after the test. */
async function server(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close: () => Promise<void>; server: Server }> {
  const s = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, server: s, close: () => new Promise((resolve) => (s.closeAllConnections(), s.close(() => resolve()))) };
}

describe('one transaction', () => {
  it('a change whose SETs cannot be recorded is refused with 500 code 1000, and neither is stored', async () => {
    const databasePath = join(dir, 'db.sqlite');
    running = await listeningApp({ databasePath });
    await createIntegration(running.api, receiver.url);
    const observer: Database = openDatabase(databasePath);
    try {
      observer.exec(`CREATE TRIGGER no_sets BEFORE INSERT ON ssf_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END;`);
      const user = '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234';
      const injected = await running.app.inject({
        method: 'POST',
        url: `/__emulator/v1/accounts/${ACCOUNT}/risk-events`,
        payload: { user_id: user, email: 'ada@example.com', name: 'Ada', behavior: 'imp_travel' },
      });
      expect(injected.statusCode).toBe(500);
      expect(injected.json()).toEqual({ success: false, errors: [{ code: 1000, message: 'Internal server error' }], messages: [], result: null });
      expect((await running.api('GET', `/accounts/${ACCOUNT}/zt_risk_scoring/${user}`)).statusCode).toBe(404);
      expect(observer.prepare('SELECT count(*) FROM risk_events').pluck().get()).toBe(0);
      expect(observer.prepare('SELECT count(*) FROM ssf_outbox').pluck().get()).toBe(0);

      observer.exec('DROP TRIGGER no_sets');
      running.levelChanges.publish(change());
      expect((await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered')).length).toBe(1);
    } finally {
      observer.close();
    }
  });
});

describe('timeouts and lanes', () => {
  it('ends a push to a receiver that never answers at SSF_DELIVERY_TIMEOUT_MS, under API load, while other destinations go on', async () => {
    running = await listeningApp({ ssfDeliveryTimeoutMs: 300, ssfRetryDelayMs: 60_000 });
    const hanging = gate();
    receiver.answer({ status: 202, after: hanging.opened });
    const slow = await createIntegration(running.api, receiver.url);
    const other = await startReceiver();
    try {
      // A second account: its own integration, its own destination.
      const OTHER = 'f037e56e89293a057740de681ac9abbe';
      const fast = await createIntegration(running.api, other.url, OTHER);
      running.levelChanges.publish(change());
      await receiver.nth(1, OKTA_PATH);
      running.levelChanges.publish(change({ accountId: OTHER }));
      // API load all along, over real HTTP.
      let load = true;
      const url = `${running.origin}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${slow.id}`;
      const loader = (async () => {
        while (load) expect((await fetch(url, { headers: AUTH })).status).toBe(200);
      })();
      const fastDone = await outboxWhen(running.app, `integration_id=${fast.id}`, (e) => e[0]?.status === 'delivered');
      expect(fastDone[0]?.http_status).toBe(202);
      const [timedOut] = await outboxWhen(running.app, `integration_id=${slow.id}`, (e) => e[0]?.attempts === 1);
      load = false;
      await loader;
      // The receiver still holds the request open: the push ended on our side.
      expect(receiver.received).toHaveLength(1);
      expect(timedOut).toMatchObject({ status: 'pending', http_status: null, error: 'timed out waiting for the receiver' });
      expect(timedOut?.attempt_log).toEqual([
        { at: expect.any(String), http_status: null, error: 'timed out waiting for the receiver', answer: null, location: null },
      ]);
      // The next try waits for the backoff (60 s), it is not repeated at once.
      expect(Date.parse(timedOut?.next_attempt_at as string) - Date.now()).toBeGreaterThan(50_000);
    } finally {
      hanging.open();
      await other.close();
    }
  });

  it('reads only what is due: the oldest pending SET of each lane, through the due index', async () => {
    const databasePath = join(dir, 'db.sqlite');
    running = await listeningApp({ databasePath, ssfRetryDelayMs: 60_000 });
    receiver.answer({ status: 503 });
    await createIntegration(running.api, receiver.url);
    for (let i = 0; i < 50; i++) running.levelChanges.publish(change({ current: i % 2 ? 'low' : 'high' }));
    await outboxWhen(running.app, 'limit=1', (e) => e[0]?.attempts === 1);
    const observer = openDatabase(databasePath);
    try {
      const heads = observer.prepare("SELECT count(*) FROM ssf_outbox WHERE status = 'pending' AND next_attempt_at IS NOT NULL").pluck().get();
      expect(heads).toBe(1);
      expect(observer.prepare("SELECT count(*) FROM ssf_outbox WHERE status = 'pending'").pluck().get()).toBe(50);
      const plan = observer
        .prepare(
          "EXPLAIN QUERY PLAN SELECT * FROM ssf_outbox WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
        )
        .all(Date.now(), 32) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('; ')).toContain('USING INDEX ssf_outbox_due');
    } finally {
      observer.close();
    }
    // Only the head was tried, once: the 49 behind it wait their turn.
    expect(receiver.received).toHaveLength(1);
  });
});

describe('every failure is an attempt with backoff', () => {
  it('a stored SET whose claims do not parse, or that has no target, is tried, counted and finally failed, never spun on', async () => {
    const databasePath = join(dir, 'db.sqlite');
    running = await listeningApp({ databasePath, ssfRetryDelayMs: 20, ssfDeliveryAttempts: 3 });
    const gateOpen = gate();
    receiver.answer({ status: 202, after: gateOpen.opened });
    await createIntegration(running.api, receiver.url);
    // The first SET holds the lane while the rows behind it are broken on purpose.
    running.levelChanges.publish(change());
    await receiver.nth(1, OKTA_PATH);
    running.levelChanges.publish(change({ current: 'medium' }));
    running.levelChanges.publish(change({ previous: 'medium', current: 'high' }));
    const observer = openDatabase(databasePath);
    try {
      observer.exec("UPDATE ssf_outbox SET claims = '{not json' WHERE seq = 2; UPDATE ssf_outbox SET target = NULL WHERE seq = 3;");
    } finally {
      observer.close();
    }
    gateOpen.open();
    const entries = await outboxWhen(running.app, '', (e) => e.length === 3 && e.every((x) => x.status !== 'pending'));
    expect(entries.map((e) => [e.status, e.attempts])).toEqual([
      ['delivered', 1],
      ['failed', 3],
      ['failed', 3],
    ]);
    expect(entries[1]?.error).toMatch(/^gave up after 3 attempts: the SET could not be signed: /);
    expect(entries[2]?.error).toBe('gave up after 3 attempts: the SET has no target to push to');
    expect(entries[1]?.attempt_log).toHaveLength(3);
    // Nothing else reached the receiver.
    expect(receiver.received).toHaveLength(1);
  });

  it('retries 5xx, 408 and 429 (honouring Retry-After), gives up on any other 4xx at once', async () => {
    running = await listeningApp({ ssfRetryDelayMs: 10, ssfDeliveryAttempts: 5 });
    receiver.answer(
      { status: 500, body: '{"err":"internal"}' },
      { status: 408 },
      { status: 503, body: 'later' },
      { status: 202 },
      { status: 400, body: '{"err":"invalid_request","description":"bad aud"}' },
    );
    await createIntegration(running.api, receiver.url);
    running.levelChanges.publish(change());
    running.levelChanges.publish(change({ current: 'medium' }));
    const entries = await outboxWhen(running.app, '', (e) => e.length === 2 && e.every((x) => x.status !== 'pending'));
    expect(entries.map((e) => [e.status, e.attempts, e.http_status, e.error])).toEqual([
      ['delivered', 4, 202, null],
      ['failed', 1, 400, 'invalid_request: bad aud'],
    ]);
    expect(entries[0]?.attempt_log.map((a) => [a.http_status, a.error, a.answer])).toEqual([
      [500, 'internal', '{"err":"internal"}'],
      [408, 'HTTP 408', null],
      [503, 'HTTP 503', 'later'],
      [202, null, null],
    ]);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-03-19T19:53:56Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Wed, 19 Mar 2025 19:54:06 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Wed, 19 Mar 2025 19:50:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('waits as long as a 429 Retry-After says', async () => {
    running = await listeningApp({ ssfRetryDelayMs: 10 });
    const limited = await server((_req, res) => {
      res.writeHead(429, { 'retry-after': '120' });
      res.end();
    });
    try {
      await createIntegration(running.api, limited.url);
      running.levelChanges.publish(change());
      const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.attempts === 1);
      // About the two minutes asked for, not the 10 ms backoff.
      expect(Date.parse(entry?.next_attempt_at as string) - Date.now()).toBeGreaterThan(100_000);
      expect(Date.parse(entry?.next_attempt_at as string) - Date.now()).toBeLessThanOrEqual(120_000);
    } finally {
      await limited.close();
    }
  });
});

describe("a receiver's answer", () => {
  it('is never followed when it redirects: the attempt fails and records the Location, and nothing reaches the other port', async () => {
    running = await listeningApp({ ssfRetryDelayMs: 10, ssfDeliveryAttempts: 2 });
    const elsewhere = await startReceiver();
    const redirecting = await server((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/steal` });
      res.end();
    });
    try {
      await createIntegration(running.api, redirecting.url);
      running.levelChanges.publish(change());
      const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.status === 'failed');
      expect(entry).toMatchObject({ attempts: 2, http_status: 302, error: 'gave up after 2 attempts: HTTP 302: redirects are not followed' });
      expect(entry?.attempt_log.map((a) => a.location)).toEqual([`${elsewhere.url}/steal`, `${elsewhere.url}/steal`]);
      expect(elsewhere.received).toEqual([]);
    } finally {
      await redirecting.close();
      await elsewhere.close();
    }
  });

  it('is read up to 64 KiB: the rest of a huge answer is cancelled, not buffered', async () => {
    running = await listeningApp();
    let written = 0;
    let aborted = false;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const flooding = await server((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.on('close', () => (aborted = !res.writableEnded));
      const pump = () => {
        while (written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    try {
      await createIntegration(running.api, flooding.url);
      running.levelChanges.publish(change());
      const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered');
      expect(entry?.attempt_log[0]?.answer).toBe('x'.repeat(1024));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(aborted).toBe(true);
      expect(written).toBeLessThan(200 * 1024 * 1024);
    } finally {
      await flooding.close();
    }
  });
});

describe('SSF_PUSH', () => {
  it('decides which hosts are local from the URL alone', () => {
    const local = [
      'http://127.0.0.1:9000',
      'http://127.8.9.10',
      'http://[::1]:9000',
      'http://10.1.2.3',
      'http://172.16.0.1',
      'http://172.31.255.255',
      'http://192.168.1.1',
      'http://169.254.1.1',
      'http://[fd12:3456::1]',
      'http://[fe80::1]',
      'http://[::ffff:192.168.0.1]',
      'http://localhost:9000',
      'http://okta.localhost',
      'http://receiver:8080',
      'http://host.docker.internal:9000',
    ];
    const remote = [
      'https://example.okta.com',
      'http://172.32.0.1',
      'http://11.0.0.1',
      'http://8.8.8.8',
      'http://[2001:db8::1]',
      'http://[::ffff:8.8.8.8]',
      'http://localhost.example.com',
      'http://docker.internal',
      'not a url',
    ];
    expect(local.filter((url) => !isLocalHost(url))).toEqual([]);
    expect(remote.filter((url) => isLocalHost(url))).toEqual([]);
  });

  it('local (the default): a SET for an internet tenant is held with the reason, readable in the outbox and by poll, logged once', async () => {
    const lines: string[] = [];
    running = await listeningApp({ logLevel: 'warn' }, 0, { write: (line: string) => void lines.push(line) });
    const internet = await createIntegration(running.api, 'https://example.okta.com');
    running.levelChanges.publish(change());
    running.levelChanges.publish(change({ current: 'medium' }));
    const held = await outbox(running.app, 'status=held');
    expect(held.map((e) => [e.integration_id, e.status, e.attempts, e.error, e.target])).toEqual([
      [internet.id, 'held', 0, 'held: SSF_PUSH=local pushes only to local hosts, not to example.okta.com', 'https://example.okta.com/security/api/v1/security-events'],
      [internet.id, 'held', 0, 'held: SSF_PUSH=local pushes only to local hosts, not to example.okta.com', 'https://example.okta.com/security/api/v1/security-events'],
    ]);
    const told = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg.includes('SSF_PUSH'));
    expect(told.map((l) => l.msg)).toEqual([
      'held: SSF_PUSH=local pushes only to local hosts, not to example.okta.com; the SET waits in the outbox (GET /__emulator/v1/ssf/outbox?status=held). Start with SSF_PUSH=all to push to any host.',
    ]);

    const poll = (body: object) => running?.api('POST', `/ssf/${internet.id}/poll`, body) as ReturnType<Running['api']>;
    const first = await poll({ maxEvents: 1, returnImmediately: true });
    expect(first.statusCode).toBe(200);
    const [jti] = Object.keys(first.json().sets);
    expect(jti).toBe(held[0]?.jti);
    expect(first.json().moreAvailable).toBe(true);
    const acked = await poll({ ack: [jti], returnImmediately: true });
    expect(Object.keys(acked.json().sets)).toEqual([held[1]?.jti]);
    expect((await outbox(running.app)).map((e) => e.status)).toEqual(['acknowledged', 'held']);
  });

  it('all pushes to any host; off pushes to none, even loopback', async () => {
    running = await listeningApp({ ssfPush: 'off' });
    await createIntegration(running.api, receiver.url);
    running.levelChanges.publish(change());
    expect((await outbox(running.app)).map((e) => [e.status, e.error])).toEqual([['held', 'held: SSF_PUSH=off pushes nothing']]);
    expect(receiver.received).toEqual([]);
    await running.app.close();

    running = await listeningApp({ ssfPush: 'all' });
    await createIntegration(running.api, receiver.url);
    running.levelChanges.publish(change());
    expect((await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered'))[0]?.http_status).toBe(202);
  });
});

describe('state import', () => {
  it('wakes the worker: a pending SET of an imported document is pushed at once, whatever its backoff said', async () => {
    running = await listeningApp({ ssfRetryDelayMs: 600_000 });
    receiver.answer({ status: 503 });
    await createIntegration(running.api, receiver.url);
    running.levelChanges.publish(change());
    await outboxWhen(running.app, '', (e) => e[0]?.attempts === 1);
    const exported = await running.app.inject({ method: 'GET', url: `/__emulator/v1/accounts/${ACCOUNT}/state?secrets=true` });
    expect((await running.app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${ACCOUNT}/reset` })).statusCode).toBe(200);
    const imported = await running.app.inject({ method: 'PUT', url: `/__emulator/v1/accounts/${ACCOUNT}/state`, payload: exported.json() as object });
    expect(imported.statusCode).toBe(200);
    const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered');
    expect(entry?.attempts).toBe(2);
    expect(receiver.received).toHaveLength(2);
  });
});

describe('retention', () => {
  it('keeps the newest SSF_OUTBOX_RETENTION finished SETs of each integration', async () => {
    running = await listeningApp({ ssfOutboxRetention: 3 });
    await createIntegration(running.api, receiver.url);
    for (let i = 0; i < 6; i++) running.levelChanges.publish(change({ current: i % 2 ? 'low' : 'high' }));
    await receiver.nth(6, OKTA_PATH);
    const kept = await outboxWhen(running.app, '', (e) => e.length === 3 && e.every((x) => x.status === 'delivered'));
    const sent = receiver.received.map((r) => JSON.parse(Buffer.from(r.body.split('.')[1] as string, 'base64url').toString()).jti as string);
    expect(kept.map((e) => e.jti)).toEqual(sent.slice(3));
  });
});

describe('the tenant poll endpoint', () => {
  it('needs a credential like the stream endpoints', async () => {
    running = await listeningApp();
    const integration = await createIntegration(running.api, 'https://example.okta.com');
    const res = await running.app.inject({ method: 'POST', url: `/ssf/${integration.id}/poll`, payload: { returnImmediately: true } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe(9106);
    const ok = await running.app.inject({ method: 'POST', url: `/ssf/${integration.id}/poll`, headers: AUTH, payload: { returnImmediately: true } });
    expect(ok.json()).toEqual({ sets: {}, moreAvailable: false });
  });
});
