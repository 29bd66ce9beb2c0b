// Shared setup of the Shared Signals tests: a listening app with pinned ids and clock, and small helpers.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { LevelChanges, type LevelChange } from '../../src/risk/levelChanges.js';
import { ACCOUNT, apiOf, sequentialIds, type Api } from '../support/app.js';

const NOW = '2025-03-19T19:53:56.000Z';
export const NOW_SECONDS = Date.parse(NOW) / 1000;

export interface Running {
  app: FastifyInstance;
  api: Api;
  origin: string;
  /** Where the app's risk feature announces level changes: a test publishes here to cause SETs directly. */
  levelChanges: LevelChanges;
}

/** A built app that really listens on loopback, with fast retries and pinned ids and clock. */
export async function listeningApp(overrides: Partial<Config> = {}, port = 0, logStream?: DestinationStream): Promise<Running> {
  const levelChanges = new LevelChanges();
  const app = await buildApp(testConfig({ ssfRetryDelayMs: 5, ssfDeliveryAttempts: 3, ...overrides }), {
    newId: sequentialIds(),
    now: () => new Date(NOW),
    levelChanges,
    ...(logStream ? { logStream } : {}),
  });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  const listening = typeof address === 'object' && address ? address.port : 0;
  return { app, api: apiOf(app), origin: `http://127.0.0.1:${listening}`, levelChanges };
}

export interface Integration {
  id: string;
  tenant_url: string;
  well_known_url: string;
  active: boolean;
}

export async function createIntegration(api: Api, tenantUrl: string, account = ACCOUNT): Promise<Integration> {
  const res = await api('POST', `/accounts/${account}/zt_risk_scoring/integrations`, { integration_type: 'Okta', tenant_url: tenantUrl });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json().result as Integration;
}

export async function setActive(api: Api, integration: Integration, active: boolean): Promise<void> {
  const res = await api('PUT', `/accounts/${ACCOUNT}/zt_risk_scoring/integrations/${integration.id}`, { tenant_url: integration.tenant_url, active });
  if (res.statusCode !== 200) throw new Error(res.body);
}

export function change(overrides: Partial<LevelChange> = {}): LevelChange {
  return {
    accountId: ACCOUNT,
    userId: 'c6a2a5b1-5ad7-4b4f-9e39-4f0d1d3a7a11',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    previous: 'low',
    current: 'high',
    reason: 'Impossible travel triggered',
    cause: 'event',
    at: '2025-03-19T19:50:00Z',
    ...overrides,
  };
}

export interface OutboxEntry {
  jti: string;
  txn: string;
  integration_id: string;
  stream_id: string | null;
  event_type: string;
  delivery: 'push' | 'poll';
  target: string | null;
  status: string;
  attempts: number;
  http_status: number | null;
  error: string | null;
  kid: string | null;
  claims: Record<string, unknown>;
  token: string | null;
  next_attempt_at: string | null;
  attempt_log: Array<{ at: string; http_status: number | null; error: string | null; answer: string | null; location: string | null }>;
}

export async function outbox(app: FastifyInstance, query = ''): Promise<OutboxEntry[]> {
  const res = await app.inject({ method: 'GET', url: `/__emulator/v1/ssf/outbox${query ? `?${query}` : ''}` });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json().result as OutboxEntry[];
}

/** Re-reads the outbox until `done` holds (the worker records an answer just after the receiver sends it). */
export async function outboxWhen(app: FastifyInstance, query: string, done: (entries: OutboxEntry[]) => boolean): Promise<OutboxEntry[]> {
  for (;;) {
    const entries = await outbox(app, query);
    if (done(entries)) return entries;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
