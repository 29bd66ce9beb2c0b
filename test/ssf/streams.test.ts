// SSF 1.0 stream management and RFC 8936 poll, driven over HTTP as a generic receiver would.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OKTA_PATH, startReceiver, verifySet, type Receiver } from './receiver.js';
import { change, createIntegration, listeningApp, outbox, setActive, type Integration, type Running } from './support.js';

const OKTA_EVENT = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
const CAEP_EVENT = 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';
const SUPPORTED = [OKTA_EVENT, CAEP_EVENT, VERIFICATION, STREAM_UPDATED];
const BEARER = { authorization: 'Bearer receiver-token' };

let receiver: Receiver;
let running: Running;
let integration: Integration;
let document: Record<string, string>;

/** A call to one of the transmitter's endpoints, as a receiver makes it: over HTTP, with a bearer token. */
async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = BEARER) {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createStream(body: unknown) {
  const res = await call('POST', document.configuration_endpoint as string, body);
  expect(res.status).toBe(201);
  return res.body as { stream_id: string; delivery: { endpoint_url: string } };
}

const poll = (url: string, body: unknown) => call('POST', url, body);

beforeEach(async () => {
  receiver = await startReceiver();
  running = await listeningApp();
  integration = await createIntegration(running.api, `${receiver.url}/tenant`);
  document = await (await fetch(integration.well_known_url)).json();
});
afterEach(async () => {
  await running.app.close();
  await receiver.close();
});

describe('stream configuration', () => {
  it('creates (201), reads, updates, replaces and deletes (204) a stream', async () => {
    const endpoint = document.configuration_endpoint as string;
    const created = await call('POST', endpoint, {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events`, authorization_header: 'Bearer push-secret' },
      events_requested: [CAEP_EVENT, 'https://example.com/unknown'],
      description: 'my receiver',
      iss: 'ignored: transmitter-supplied',
    });
    expect(created.status).toBe(201);
    const id = created.body.stream_id as string;
    const expected = {
      stream_id: id,
      iss: `${running.origin}/${integration.id}`,
      aud: integration.tenant_url,
      events_supported: SUPPORTED,
      events_requested: [CAEP_EVENT, 'https://example.com/unknown'],
      events_delivered: [CAEP_EVENT],
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events` },
      description: 'my receiver',
    };
    expect(created.body).toEqual(expected);
    expect(await call('GET', `${endpoint}?stream_id=${id}`)).toEqual({ status: 200, body: expected });
    expect(await call('GET', endpoint)).toEqual({ status: 200, body: [expected] });

    const patched = await call('PATCH', endpoint, { stream_id: id, description: 'renamed' });
    expect(patched).toEqual({ status: 200, body: { ...expected, description: 'renamed' } });

    // PUT replaces: what it leaves out returns to the defaults (poll delivery, the integration's profile).
    const replaced = await call('PUT', endpoint, { stream_id: id });
    expect(replaced).toEqual({
      status: 200,
      body: {
        stream_id: id,
        iss: expected.iss,
        aud: expected.aud,
        events_supported: SUPPORTED,
        events_delivered: [OKTA_EVENT],
        delivery: { method: 'urn:ietf:rfc:8936', endpoint_url: `${running.origin}/ssf/${integration.id}/streams/${id}/poll` },
      },
    });

    expect(await call('DELETE', `${endpoint}?stream_id=${id}`)).toEqual({ status: 204, body: undefined });
    const gone = await call('GET', `${endpoint}?stream_id=${id}`);
    expect(gone).toEqual({ status: 404, body: { success: false, errors: [{ code: 1301, message: `Stream ${id} not found` }], messages: [], result: null } });
    expect(await call('GET', endpoint)).toEqual({ status: 200, body: [] });
  });

  it('needs a well-formed credential, and refuses push without endpoint_url', async () => {
    const endpoint = document.configuration_endpoint as string;
    const anonymous = await call('POST', endpoint, {}, {});
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors).toEqual([{ code: 9106, message: 'Missing X-Auth-Key, X-Auth-Email or Authorization headers' }]);
    expect((await call('GET', endpoint, undefined, { authorization: 'Basic abc' })).body.errors[0].code).toBe(6003);

    const noUrl = await call('POST', endpoint, { delivery: { method: 'urn:ietf:rfc:8935' } });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.errors).toEqual([
      { code: 1302, message: 'delivery.endpoint_url is required for push delivery (urn:ietf:rfc:8935)', source: { pointer: '/delivery/endpoint_url' } },
    ]);
    const badMethod = await call('POST', endpoint, { delivery: { method: 'push' } });
    expect(badMethod.status).toBe(400);
    expect(await call('GET', endpoint)).toEqual({ status: 200, body: [] });
  });
});

describe('push streams', () => {
  it('sends a verification SET echoing state after answering 204', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events`, authorization_header: 'Bearer push-secret' } });
    const res = await call('POST', document.verification_endpoint as string, { stream_id: stream.stream_id, state: 'VGhpcyBpcyBhbiBleGFtcGxl' });
    expect(res).toEqual({ status: 204, body: undefined });
    const request = await receiver.nth(1, '/events');
    expect(request.headers.authorization).toBe('Bearer push-secret');
    expect(request.headers['content-type']).toBe('application/secevent+jwt');
    const set = await verifySet(request.body, integration.well_known_url, integration.tenant_url);
    expect(set.eventType).toBe(VERIFICATION);
    expect(set.event).toEqual({ state: 'VGhpcyBpcyBhbiBleGFtcGxl' });
    expect(set.claims.sub_id).toEqual({ format: 'opaque', id: stream.stream_id });
  });

  it('holds SETs while paused and replays them in order when enabled again; disabled drops them', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events` } });
    const status = document.status_endpoint as string;
    expect(await call('POST', status, { stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' })).toEqual({
      status: 200,
      body: { stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' },
    });
    expect(await call('GET', `${status}?stream_id=${stream.stream_id}`)).toEqual({
      status: 200,
      body: { stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' },
    });
    const { app } = running;
    running.levelChanges.publish(change({ previous: 'low', current: 'medium' }));
    running.levelChanges.publish(change({ previous: 'medium', current: 'high' }));
    running.levelChanges.publish(change({ previous: 'high', current: 'low' }));
    expect((await outbox(app, `stream_id=${stream.stream_id}`)).map((e) => e.status)).toEqual(['held', 'held', 'held']);

    await call('POST', status, { stream_id: stream.stream_id, status: 'enabled' });
    const levels = [];
    for (let n = 1; n <= 3; n++) {
      const set = await verifySet((await receiver.nth(n, '/events')).body, integration.well_known_url, integration.tenant_url);
      levels.push(set.event.current_level);
    }
    expect(levels).toEqual(['medium', 'high', 'low']);

    await call('POST', status, { stream_id: stream.stream_id, status: 'disabled' });
    running.levelChanges.publish(change({ previous: 'low', current: 'high' }));
    expect((await outbox(app, `stream_id=${stream.stream_id}`)).map((e) => e.event_type)).toHaveLength(3);
    // The Okta tenant push is not affected by the stream's status.
    expect(await outbox(app, `integration_id=${integration.id}&limit=1000`)).toHaveLength(7);
  });

  it('sends stream-updated SETs when the integration is deactivated and reactivated', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events` } });
    await setActive(running.api, integration, false);
    const off = await verifySet((await receiver.nth(1, '/events')).body, integration.well_known_url, integration.tenant_url);
    expect(off.eventType).toBe(STREAM_UPDATED);
    expect(off.event).toEqual({ status: 'disabled', reason: 'Integration deactivated' });
    expect((await call('GET', `${document.status_endpoint}?stream_id=${stream.stream_id}`)).body).toEqual({
      stream_id: stream.stream_id,
      status: 'disabled',
      reason: 'Integration deactivated',
    });

    await setActive(running.api, integration, true);
    const on = await verifySet((await receiver.nth(2, '/events')).body, integration.well_known_url, integration.tenant_url);
    expect(on.event).toEqual({ status: 'enabled', reason: 'Integration reactivated' });
    expect((await call('GET', `${document.status_endpoint}?stream_id=${stream.stream_id}`)).body.status).toBe('enabled');
  });

  it('stops sending about a removed subject, and resumes when it is added back', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events` } });
    const subject = { format: 'email', email: 'Ada@Example.com' };
    expect(await call('POST', document.remove_subject_endpoint as string, { stream_id: stream.stream_id, subject })).toEqual({ status: 204, body: undefined });
    running.levelChanges.publish(change({ current: 'medium' }));
    running.levelChanges.publish(change({ email: 'grace@example.com', current: 'medium' }));
    expect((await outbox(running.app, `stream_id=${stream.stream_id}`)).map((e) => (e.claims.sub_id as { email: string }).email)).toEqual([
      'grace@example.com',
    ]);
    expect(await call('POST', document.add_subject_endpoint as string, { stream_id: stream.stream_id, subject, verified: true })).toEqual({ status: 200, body: undefined });
    running.levelChanges.publish(change({ current: 'high' }));
    expect((await outbox(running.app, `stream_id=${stream.stream_id}`)).map((e) => (e.claims.sub_id as { email: string }).email)).toEqual([
      'grace@example.com',
      'ada@example.com',
    ]);
    const unknown = await call('POST', document.add_subject_endpoint as string, { stream_id: 'nope', subject });
    expect(unknown.status).toBe(404);
  });
});

describe('poll streams (RFC 8936)', () => {
  it('returns SETs until they are acknowledged, then the next ones', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8936' }, events_requested: [CAEP_EVENT] });
    const url = stream.delivery.endpoint_url;
    expect(url).toBe(`${running.origin}/ssf/${integration.id}/streams/${stream.stream_id}/poll`);
    expect(await poll(url, { returnImmediately: true })).toEqual({ status: 200, body: { sets: {}, moreAvailable: false } });

    running.levelChanges.publish(change({ current: 'medium' }));
    running.levelChanges.publish(change({ previous: 'medium', current: 'high' }));
    const first = await poll(url, { returnImmediately: true, maxEvents: 1 });
    expect(first.body.moreAvailable).toBe(true);
    const [jti1, token1] = Object.entries(first.body.sets as Record<string, string>)[0] as [string, string];
    const set1 = await verifySet(token1, integration.well_known_url, integration.tenant_url);
    expect(set1.claims.jti).toBe(jti1);
    expect(set1.eventType).toBe(CAEP_EVENT);
    expect(set1.event.current_level).toBe('MEDIUM');

    // Not acknowledged: it comes again, with the one after it.
    const again = await poll(url, { returnImmediately: true });
    const jtis = Object.keys(again.body.sets);
    expect(jtis[0]).toBe(jti1);
    expect(jtis).toHaveLength(2);
    expect(again.body.sets[jti1]).toBe(token1);

    const next = await poll(url, { returnImmediately: true, ack: [jti1] });
    expect(Object.keys(next.body.sets)).toEqual([jtis[1]]);
    const set2 = await verifySet(next.body.sets[jtis[1] as string], integration.well_known_url, integration.tenant_url);
    expect(set2.event.current_level).toBe('HIGH');

    expect(await poll(url, { returnImmediately: true, ack: [jtis[1]] })).toEqual({ status: 200, body: { sets: {}, moreAvailable: false } });
    const entries = await outbox(running.app, `stream_id=${stream.stream_id}`);
    expect(entries.map((e) => [e.delivery, e.status, e.attempts])).toEqual([
      ['poll', 'acknowledged', 2],
      ['poll', 'acknowledged', 2],
    ]);
  });

  it('records setErrs as failures that are not offered again', async () => {
    const stream = await createStream({});
    running.levelChanges.publish(change());
    const got = await poll(stream.delivery.endpoint_url, { returnImmediately: true });
    const [jti] = Object.keys(got.body.sets);
    const after = await poll(stream.delivery.endpoint_url, { returnImmediately: true, setErrs: { [jti as string]: { err: 'invalid_key', description: 'Unknown kid' } } });
    expect(after.body).toEqual({ sets: {}, moreAvailable: false });
    expect(await outbox(running.app, `stream_id=${stream.stream_id}`)).toMatchObject([{ jti, status: 'failed', error: 'invalid_key: Unknown kid' }]);
  });

  it('long-polls: a waiting poll answers as soon as a SET arrives', async () => {
    await running.app.close();
    running = await listeningApp({ ssfPollWaitMs: 600_000 });
    integration = await createIntegration(running.api, `${receiver.url}/tenant`);
    document = await (await fetch(integration.well_known_url)).json();
    const stream = await createStream({});
    const arrived = new Promise((resolve) => running.app.server.once('request', resolve));
    const waiting = poll(stream.delivery.endpoint_url, { maxEvents: 10 });
    // Once the poll waits, only the SET can answer it: the test would time out on the ten-minute wait.
    await arrived;
    await new Promise((resolve) => setTimeout(resolve, 50));
    running.levelChanges.publish(change());
    const answered = await waiting;
    expect(Object.keys(answered.body.sets)).toHaveLength(1);
  }, 10_000);

  it('refuses polling a push stream', async () => {
    const stream = await createStream({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events` } });
    const res = await poll(`${running.origin}/ssf/${integration.id}/streams/${stream.stream_id}/poll`, {});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ code: 1302, message: `Stream ${stream.stream_id} is delivered by push, not poll` }]);
  });
});

it('Okta pushes are unaffected by streams: the tenant still receives its own SET', async () => {
  await createStream({});
  running.levelChanges.publish(change());
  const request = await receiver.nth(1, `/tenant${OKTA_PATH}`);
  expect((await verifySet(request.body, integration.well_known_url, integration.tenant_url)).eventType).toBe(OKTA_EVENT);
});
