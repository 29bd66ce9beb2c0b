// A state with rows in every per-account table, made through the API as a user would make it, for the state tests.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { startReceiver } from '../ssf/receiver.js';
import { outboxWhen } from '../ssf/support.js';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, sequentialIds, tickingClock } from '../support/app.js';

export const CAEP_EVENT = 'https://schemas.openid.net/secevent/caep/event-type/risk-level-change';
export const ADA = '0f3c7c38-2b5b-4c84-b43e-0b0c1f7a6e11';
const GRACE = '6c2f0b7e-4b1e-4f3a-9a55-0d5b0e6b8f22';

/** A fresh app as every state test starts from: in memory, ids and clock pinned, pushes tried once. */
export async function stateApp(): Promise<FastifyInstance> {
  const app = await buildApp(testConfig({ ssfDeliveryAttempts: 1, ssfPollWaitMs: 0 }), { newId: sequentialIds(), now: tickingClock() });
  await app.ready();
  return app;
}

async function ok(res: { statusCode: number; body: string; json(): unknown }, status = 200) {
  if (res.statusCode !== status) throw new Error(`${res.statusCode}: ${res.body}`);
  return res.json() as { result: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * Two accounts: ACCOUNT with an active integration (event profile set, a push stream with an Authorization value,
 * a poll stream with subjects), a reconfigured behavior, two users with events (one reset), SETs pushed, queued and
 * polled (so signed, with a key); OTHER_ACCOUNT with an integration, a poll stream, a user and SETs of its own.
 * Every receiver is on loopback. Returns the whole answer of the full export (?secrets=true).
 */
export async function fixtureDocument(): Promise<{ result: Record<string, unknown> } & Record<string, unknown>> {
  const receiver = await startReceiver();
  const app = await stateApp();
  try {
    const api = apiOf(app);
    const integration = (await ok(
      await api('POST', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, { integration_type: 'Okta', tenant_url: `${receiver.url}/tenant`, reference_id: 'idp-1' }),
    )).result;
    const other = (await ok(
      await api('POST', `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/integrations`, { integration_type: 'Okta', tenant_url: `${receiver.url}/other`, reference_id: 'idp-b' }),
    )).result;
    const id = integration.id as string;
    await ok(await app.inject({ method: 'PUT', url: `/__emulator/v1/ssf/integrations/${id}/event-profile`, payload: { event_profile: 'caep' } }));
    await ok(await api('PUT', `/accounts/${ACCOUNT}/zt_risk_scoring/behaviors`, { behaviors: { sentinel_one: { enabled: true, risk_level: 'high' } } }));
    const streams = (body: unknown) =>
      app.inject({ method: 'POST', url: `/ssf/${id}/streams`, headers: { authorization: 'Bearer receiver-token' }, payload: body as object });
    await ok(
      await streams({
        delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${receiver.url}/events`, authorization_header: 'Bearer push-secret' },
        events_requested: [CAEP_EVENT],
        description: 'push receiver',
      }),
      201,
    );
    const poll = (await ok(await streams({ delivery: { method: 'urn:ietf:rfc:8936' } }), 201)) as unknown as { stream_id: string };
    await ok(await app.inject({ method: 'POST', url: `/ssf/${String(other.id)}/streams`, headers: { authorization: 'Bearer receiver-token' }, payload: {} }), 201);
    const subjects = (action: string, subject: unknown) =>
      app.inject({ method: 'POST', url: `/ssf/${id}/streams/subjects/${action}`, headers: { authorization: 'Bearer receiver-token' }, payload: { stream_id: poll.stream_id, subject } as object });
    if ((await subjects('remove', { format: 'email', email: 'Grace@Example.com' })).statusCode !== 204) throw new Error('subject not removed');
    if ((await subjects('add', { format: 'opaque', id: ADA })).statusCode !== 200) throw new Error('subject not added');
    const events = (account: string, body: unknown) => app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${account}/risk-events`, payload: body as object });
    await ok(
      await events(ACCOUNT, [
        { user_id: ADA, email: 'ada@example.com', name: 'Ada', behavior: 'imp_travel', timestamp: '2025-03-19T19:00:00Z', event_details: { ip: '192.0.2.1' } },
        { user_id: GRACE, email: 'grace@example.com', name: 'Grace', behavior: 'high_dlp' },
      ]),
    );
    await ok(await api('POST', `/accounts/${ACCOUNT}/zt_risk_scoring/${GRACE}/reset`));
    await ok(await events(OTHER_ACCOUNT, { user_id: ADA, email: 'ada@b.example', name: 'Ada B', behavior: 'high_dlp' }));
    // Polling signs the queued SETs, which makes the account's first signing key.
    await ok(await app.inject({ method: 'POST', url: `/ssf/${id}/streams/${poll.stream_id}/poll`, headers: { authorization: 'Bearer receiver-token' }, payload: { returnImmediately: true } }));
    await outboxWhen(app, '', (entries) => entries.every((e) => e.status !== 'pending'));
    return await ok(await app.inject({ method: 'GET', url: '/__emulator/v1/state?secrets=true' }));
  } finally {
    await app.close();
    await receiver.close();
  }
}
