// Okta-style push: every level change reaches each active integration's tenant as a verified SET.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ACCOUNT } from '../support/app.js';
import { freePort } from '../support/server.js';
import { gate, OKTA_PATH, startReceiver, verifySet, type Receiver } from './receiver.js';
import { change, createIntegration, listeningApp, NOW_SECONDS, outbox, outboxWhen, setActive, type Running } from './support.js';

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const OKTA_EVENT = 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change';
const CAEP_EVENT = 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change';

let receiver: Receiver;
let running: Running | undefined;

beforeEach(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await running?.app.close();
  running = undefined;
  await receiver.close();
});

describe('discovery', () => {
  it('serves the transmitter configuration at well_known_url, with and without a trailing slash, and under the SSF 1.0 name', async () => {
    running = await listeningApp();
    const { api, origin } = running;
    const integration = await createIntegration(api, receiver.url);
    expect(integration.well_known_url).toBe(`${origin}/.well-known/sse-configuration/${ID(1)}`);
    const expected = {
      spec_version: '1_0',
      issuer: `${origin}/${ID(1)}`,
      jwks_uri: `${origin}/ssf/${ID(1)}/jwks`,
      delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
      configuration_endpoint: `${origin}/ssf/${ID(1)}/streams`,
      status_endpoint: `${origin}/ssf/${ID(1)}/streams/status`,
      add_subject_endpoint: `${origin}/ssf/${ID(1)}/streams/subjects/add`,
      remove_subject_endpoint: `${origin}/ssf/${ID(1)}/streams/subjects/remove`,
      verification_endpoint: `${origin}/ssf/${ID(1)}/streams/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    };
    for (const url of [integration.well_known_url, `${integration.well_known_url}/`, `${origin}/.well-known/ssf-configuration/${ID(1)}`]) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(expected);
    }
    // The spec's well-known rule maps the issuer to the URL: insert the well-known segment after the host.
    const issuer = new URL(expected.issuer);
    expect(`${issuer.origin}/.well-known/sse-configuration${issuer.pathname}`).toBe(integration.well_known_url);
  });

  it('answers 404 in the failure envelope for an unknown or deleted integration', async () => {
    running = await listeningApp();
    const { api, origin } = running;
    const integration = await createIntegration(api, receiver.url);
    await api('DELETE', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${integration.id}`);
    for (const id of [integration.id, ID(99)]) {
      for (const url of [`${origin}/.well-known/sse-configuration/${id}`, `${origin}/.well-known/ssf-configuration/${id}`, `${origin}/ssf/${id}/jwks`]) {
        const res = await fetch(url);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({
          success: false,
          errors: [{ code: 1101, message: `Integration ${id} not found` }],
          messages: [],
          result: null,
        });
      }
    }
  });

  it('keeps the issuer on SSF_BASE_URL while jwks_uri and the endpoints point at the emulator itself', async () => {
    running = await listeningApp({ ssfBaseUrl: 'https://ssf.risk-score.teams.cloudflare.com' });
    const { api, origin } = running;
    const integration = await createIntegration(api, receiver.url);
    expect(integration.well_known_url).toBe(`https://ssf.risk-score.teams.cloudflare.com/.well-known/sse-configuration/${ID(1)}`);
    const document = await (await fetch(`${origin}/.well-known/sse-configuration/${ID(1)}`)).json();
    expect(document.issuer).toBe(`https://ssf.risk-score.teams.cloudflare.com/${ID(1)}`);
    expect(document.jwks_uri).toBe(`${origin}/ssf/${ID(1)}/jwks`);
  });
});

describe('push to the Okta tenant', () => {
  it('POSTs one verified SET in the okta profile to {tenant_url}/security/api/v1/security-events', async () => {
    running = await listeningApp();
    const { app, api } = running;
    const integration = await createIntegration(api, receiver.url);
    running.levelChanges.publish(change());

    const request = await receiver.nth(1);
    expect(request.method).toBe('POST');
    expect(request.path).toBe(OKTA_PATH);
    expect(request.headers['content-type']).toBe('application/secevent+jwt');
    const set = await verifySet(request.body, integration.well_known_url, receiver.url);
    expect(set.claims).toEqual({
      iss: `${running.origin}/${integration.id}`,
      aud: receiver.url,
      iat: NOW_SECONDS,
      jti: ID(4),
      txn: ID(3),
      sub_id: { format: 'email', email: 'ada@example.com' },
      events: {
        [OKTA_EVENT]: {
          subject: { user: { format: 'email', email: 'ada@example.com' } },
          current_level: 'high',
          previous_level: 'low',
          initiating_entity: 'system',
          reason_admin: { en: 'Impossible travel triggered' },
          event_timestamp: Date.parse('2025-03-19T19:50:00Z') / 1000,
        },
      },
    });

    const [entry] = await outboxWhen(app, '', (e) => e[0]?.status === 'delivered');
    expect(entry).toMatchObject({
      jti: ID(4),
      txn: ID(3),
      integration_id: integration.id,
      stream_id: null,
      event_type: OKTA_EVENT,
      delivery: 'push',
      target: `${receiver.url}${OKTA_PATH}`,
      status: 'delivered',
      attempts: 1,
      http_status: 202,
      error: null,
      kid: set.header.kid,
      claims: set.claims,
      token: request.body,
    });
  });

  it('sends the caep profile when the integration is switched to it, and a reset as an admin act in okta', async () => {
    running = await listeningApp();
    const { app, api } = running;
    const okta = await createIntegration(api, `${receiver.url}/okta`);
    const caep = await createIntegration(api, `${receiver.url}/caep`);
    const set = await app.inject({ method: 'PUT', url: `/__emulator/v1/ssf/integrations/${caep.id}/event-profile`, payload: { event_profile: 'caep' } });
    expect(set.json().result).toEqual({ integration_id: caep.id, event_profile: 'caep', source: 'integration' });
    const other = await app.inject({ method: 'GET', url: `/__emulator/v1/ssf/integrations/${okta.id}/event-profile` });
    expect(other.json().result).toEqual({ integration_id: okta.id, event_profile: 'okta', source: 'default' });

    running.levelChanges.publish(change({ previous: 'high', current: 'low', cause: 'reset', reason: 'Risk score reset by an administrator' }));
    const caepSet = await verifySet((await receiver.nth(1, `/caep${OKTA_PATH}`)).body, caep.well_known_url, caep.tenant_url);
    const oktaSet = await verifySet((await receiver.nth(1, `/okta${OKTA_PATH}`)).body, okta.well_known_url, okta.tenant_url);
    expect(caepSet.claims.events).toEqual({
      [CAEP_EVENT]: {
        principal: 'USER',
        current_level: 'LOW',
        previous_level: 'HIGH',
        risk_reason: 'Risk score reset by an administrator',
        event_timestamp: Date.parse('2025-03-19T19:50:00Z') / 1000,
      },
    });
    expect(caepSet.claims.sub_id).toEqual({ format: 'email', email: 'ada@example.com' });
    expect(oktaSet.event).toMatchObject({ current_level: 'low', previous_level: 'high', initiating_entity: 'admin' });
    // One change, one transaction: both SETs share txn, each has its own jti.
    expect(caepSet.claims.txn).toBe(oktaSet.claims.txn);
    expect(caepSet.claims.jti).not.toBe(oktaSet.claims.jti);
  });

  it('uses SSF_EVENT_PROFILE for every integration without its own choice', async () => {
    running = await listeningApp({ ssfEventProfile: 'caep' });
    const integration = await createIntegration(running.api, receiver.url);
    running.levelChanges.publish(change());
    const set = await verifySet((await receiver.nth(1)).body, integration.well_known_url, receiver.url);
    expect(set.eventType).toBe(CAEP_EVENT);
    expect(set.event).toMatchObject({ current_level: 'HIGH', previous_level: 'LOW' });
  });

  it('rejects a profile that is not okta or caep, and an unknown integration, in the failure envelope', async () => {
    running = await listeningApp();
    const integration = await createIntegration(running.api, receiver.url);
    const bad = await running.app.inject({ method: 'PUT', url: `/__emulator/v1/ssf/integrations/${integration.id}/event-profile`, payload: { event_profile: 'OKTA' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ code: 1001, source: { pointer: '/event_profile' } });
    const unknown = await running.app.inject({ method: 'GET', url: `/__emulator/v1/ssf/integrations/${ID(99)}/event-profile` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errors).toEqual([{ code: 1101, message: `Integration ${ID(99)} not found` }]);
  });

  it('sends nothing for an inactive integration, and resumes when it is reactivated', async () => {
    running = await listeningApp();
    const { app, api } = running;
    const integration = await createIntegration(api, receiver.url);
    await setActive(api, integration, false);
    running.levelChanges.publish(change({ current: 'medium' }));
    // Recording is synchronous with the change: nothing was recorded, so nothing can ever be sent.
    expect(await outbox(app)).toEqual([]);

    await setActive(api, integration, true);
    running.levelChanges.publish(change({ current: 'high' }));
    const first = await verifySet((await receiver.nth(1)).body, integration.well_known_url, receiver.url);
    expect(first.event.current_level).toBe('high');
    expect((await outbox(app)).map((e) => e.event_type)).toEqual([OKTA_EVENT]);
  });

  it('stops sending a deleted integration, canceling what was still being retried', async () => {
    running = await listeningApp({ ssfRetryDelayMs: 600_000 });
    const { app, api } = running;
    const integration = await createIntegration(api, receiver.url);
    receiver.answer({ status: 503 });
    running.levelChanges.publish(change());
    await outboxWhen(app, '', (e) => e[0]?.attempts === 1);
    await api('DELETE', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${integration.id}`);
    running.levelChanges.publish(change({ current: 'medium' }));
    expect(await outbox(app)).toMatchObject([{ status: 'canceled', attempts: 1, http_status: 503, error: 'integration deleted' }]);
  });
});

describe('keys', () => {
  it('rotates the signing key: new SETs carry the new kid and the old one stays in the JWKS', async () => {
    running = await listeningApp();
    const { app, api, origin } = running;
    const integration = await createIntegration(api, receiver.url);
    running.levelChanges.publish(change({ current: 'medium' }));
    const before = (await receiver.nth(1)).body;
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${ACCOUNT}/ssf/keys/rotate` });
    expect(rotated.statusCode).toBe(200);
    const keys = rotated.json().result as Array<{ kid: string; current: boolean; retired_at: string | null }>;
    expect(keys).toHaveLength(2);
    expect(keys[1]).toMatchObject({ kid: oldKid, current: false });
    expect(keys[0]).toMatchObject({ current: true, retired_at: null });
    const newKid = keys[0]?.kid;
    expect(newKid).not.toBe(oldKid);

    running.levelChanges.publish(change({ previous: 'medium', current: 'high' }));
    const after = (await receiver.nth(2)).body;
    expect((await verifySet(after, integration.well_known_url, receiver.url)).header.kid).toBe(newKid);
    // A token signed before the rotation still verifies against the JWKS fetched now.
    expect((await verifySet(before, integration.well_known_url, receiver.url)).header.kid).toBe(oldKid);
    const jwks = await (await fetch(`${origin}/ssf/${integration.id}/jwks`)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([newKid, oldKid]);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    // RSA-2048: the modulus is 256 bytes.
    expect(Buffer.from(jwks.keys[0].n, 'base64url')).toHaveLength(256);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('delivery', () => {
  it('retries after a 500 and records both attempts; the receiver gets the same token twice', async () => {
    running = await listeningApp();
    const { app, api } = running;
    await createIntegration(api, receiver.url);
    receiver.answer({ status: 500, body: '{"err":"internal","description":"try later"}' });
    running.levelChanges.publish(change());
    const first = await receiver.nth(1);
    const second = await receiver.nth(2);
    expect(second.body).toBe(first.body);
    const [entry] = await outboxWhen(app, '', (e) => e[0]?.status === 'delivered');
    expect(entry).toMatchObject({ status: 'delivered', attempts: 2, http_status: 202, error: null });
  });

  it('records a 400 {err, description} and never retries it', async () => {
    running = await listeningApp();
    const { app, api } = running;
    await createIntegration(api, receiver.url);
    receiver.answer({ status: 400, body: '{"err":"invalid_issuer","description":"Unknown issuer"}' });
    running.levelChanges.publish(change({ current: 'medium' }));
    running.levelChanges.publish(change({ previous: 'medium', current: 'high' }));
    // SETs to one tenant go in order, the oldest first: a retry of the refused one would come before the next.
    await receiver.nth(2);
    const entries = await outboxWhen(app, '', (e) => e[1]?.status === 'delivered');
    expect(entries.map((e) => [e.status, e.attempts, e.http_status, e.error])).toEqual([
      ['failed', 1, 400, 'invalid_issuer: Unknown issuer'],
      ['delivered', 1, 202, null],
    ]);
    expect(receiver.received.map((r) => decodeJwt(r.body).jti)).toEqual(entries.map((e) => e.jti));
  });

  it('gives up after the configured attempts on network errors and 5xx', async () => {
    running = await listeningApp({ ssfDeliveryAttempts: 2 });
    const { app, api } = running;
    await createIntegration(api, receiver.url);
    receiver.answer({ status: 503 }, { status: 502 });
    running.levelChanges.publish(change());
    const [entry] = await outboxWhen(app, '', (e) => e[0]?.status === 'failed');
    expect(entry).toMatchObject({ attempts: 2, http_status: 502, error: 'gave up after 2 attempts: HTTP 502' });
    expect(receiver.received).toHaveLength(2);

    const closed = await freePort();
    const unreachable = await createIntegration(running.api, `http://127.0.0.1:${closed}`);
    running.levelChanges.publish(change({ current: 'medium' }));
    const failed = await outboxWhen(app, `integration_id=${unreachable.id}`, (e) => e[0]?.status === 'failed');
    expect(failed[0]).toMatchObject({ attempts: 2, http_status: null, error: 'gave up after 2 attempts: fetch failed: ECONNREFUSED' });
  });

  it('answers the call that caused a SET before a slow receiver has answered', async () => {
    running = await listeningApp();
    const { app, api } = running;
    const integration = await createIntegration(api, receiver.url);
    const slow = gate();
    receiver.answer({ status: 202, after: slow.opened }, { status: 202, after: slow.opened });

    // The change is recorded and published synchronously; the push has not even started.
    running.levelChanges.publish(change());
    expect(await outbox(app)).toMatchObject([{ status: 'pending', attempts: 0 }]);
    await receiver.nth(1);

    // A Cloudflare API call that causes SETs (a stream-updated one here) answers while the receiver still holds the first.
    const created = await app.inject({
      method: 'POST',
      url: `/ssf/${integration.id}/streams`,
      headers: { authorization: 'Bearer receiver-token' },
      payload: { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/stream` } },
    });
    expect(created.statusCode).toBe(201);
    const deactivated = await api('PUT', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${integration.id}`, { tenant_url: receiver.url, active: false });
    expect(deactivated.statusCode).toBe(200);
    const updated = await receiver.nth(1, '/stream');
    // Both requests are still open: no answer is recorded (the tenant push was canceled by the deactivation).
    expect((await outbox(app)).map((e) => [e.event_type, e.status, e.attempts])).toEqual([
      [OKTA_EVENT, 'canceled', 0],
      ['https://schemas.openid.net/secevent/ssf/event-type/stream-updated', 'pending', 0],
    ]);
    slow.open();
    const set = await verifySet(updated.body, integration.well_known_url, receiver.url);
    expect(set.event).toEqual({ status: 'disabled', reason: 'Integration deactivated' });
    // The canceled push stays canceled even though the receiver finally accepted it.
    const entries = await outboxWhen(app, '', (e) => e[1]?.status === 'delivered');
    expect(entries.map((e) => e.status)).toEqual(['canceled', 'delivered']);
  });

  it('delivers an undelivered SET after a restart on the same database file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssf-restart-'));
    try {
      const databasePath = join(dir, 'emulator.db');
      const port = await freePort();
      // First run: the receiver is down (503) and the next retry would be ten minutes away.
      const first = await listeningApp({ databasePath, ssfRetryDelayMs: 600_000 }, port);
      const integration = await createIntegration(first.api, receiver.url);
      receiver.answer({ status: 503 });
      first.levelChanges.publish(change());
      const [pending] = await outboxWhen(first.app, '', (e) => e[0]?.attempts === 1);
      expect(pending).toMatchObject({ status: 'pending', http_status: 503 });
      await first.app.close();

      // Second run on the same file and port: the SET goes out at once, the same token, with the same key.
      running = await listeningApp({ databasePath }, port);
      const again = await receiver.nth(2);
      expect(again.body).toBe(receiver.received[0]?.body);
      await verifySet(again.body, integration.well_known_url, receiver.url);
      const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered');
      expect(entry).toMatchObject({ jti: pending?.jti, status: 'delivered', attempts: 2, http_status: 202 });
    } finally {
      await running?.app.close();
      running = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('closing during a push keeps the SET pending without counting an attempt, and sends it after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssf-close-'));
    try {
      const databasePath = join(dir, 'emulator.db');
      const port = await freePort();
      const first = await listeningApp({ databasePath }, port);
      const integration = await createIntegration(first.api, receiver.url);
      const never = gate();
      receiver.answer({ status: 202, after: never.opened });
      first.levelChanges.publish(change());
      await receiver.nth(1);
      await first.app.close();

      running = await listeningApp({ databasePath }, port);
      const again = await receiver.nth(2);
      await verifySet(again.body, integration.well_known_url, receiver.url);
      const [entry] = await outboxWhen(running.app, '', (e) => e[0]?.status === 'delivered');
      // One attempt: the one cut short by the close did not count.
      expect(entry).toMatchObject({ attempts: 1, http_status: 202 });
      never.open();
    } finally {
      await running?.app.close();
      running = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('outbox', () => {
  it('filters by account, integration and status, and refuses a bad filter', async () => {
    running = await listeningApp();
    const { app, api } = running;
    const a = await createIntegration(api, `${receiver.url}/a`);
    await createIntegration(api, `${receiver.url}/b`);
    running.levelChanges.publish(change());
    expect((await outbox(app, `account_id=${ACCOUNT}`)).map((e) => e.integration_id)).toEqual([a.id, ID(3)]);
    expect((await outbox(app, `integration_id=${a.id}`)).map((e) => e.integration_id)).toEqual([a.id]);
    expect(await outbox(app, 'account_id=f037e56e89293a057740de681ac9abbe')).toEqual([]);
    expect(await outbox(app, 'status=acknowledged')).toEqual([]);
    expect(await outbox(app, 'limit=1')).toHaveLength(1);
    const bad = await app.inject({ method: 'GET', url: '/__emulator/v1/ssf/outbox?status=sent&limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { source: { pointer: string } }) => e.source.pointer)).toEqual(['/status', '/limit']);
  });
});
