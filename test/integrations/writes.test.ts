// Writes to integrations as a client and the other features observe them: each is announced inside the transaction
// that stores it, so what a subscriber records is committed with it, or not at all. A second connection to the same
// file sees only committed rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { IntegrationEvents, type IntegrationEvent } from '../../src/integrations/events.js';
import { ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const BASE = `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let dir: string;
let app: FastifyInstance;
let api: Api;
let observer: Database;
let integrationEvents: IntegrationEvents;
const committedIds = (): string[] => observer.prepare('SELECT id FROM integrations ORDER BY rowid').pluck().all() as string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-routes-'));
  const databasePath = join(dir, 'db.sqlite');
  integrationEvents = new IntegrationEvents();
  app = await makeApp({ databasePath }, { newId: sequentialIds(), now: tickingClock(), integrationEvents });
  api = apiOf(app);
  observer = openDatabase(databasePath);
});
afterEach(async () => {
  observer.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const create = (tenant: string, referenceId?: string) =>
  api('POST', BASE, { integration_type: 'Okta', tenant_url: `https://${tenant}.okta.com`, ...(referenceId ? { reference_id: referenceId } : {}) });

describe('writes to integrations', () => {
  it('announces each create once, in order, before its transaction commits', async () => {
    const seen: { id: string; committed: boolean }[] = [];
    integrationEvents.subscribe((event: IntegrationEvent) => {
      if (event.kind === 'created') seen.push({ id: event.integration.id, committed: committedIds().includes(event.integration.id) });
    });
    const answers = await Promise.all([create('a', 'ref-a'), create('b', 'ref-b'), create('c', 'ref-c')]);
    expect(answers.map((r) => [r.statusCode, r.json().result.id, r.json().result.created_at])).toEqual([
      [200, id(1), '2025-03-19T19:53:56Z'],
      [200, id(2), '2025-03-19T19:53:57Z'],
      [200, id(3), '2025-03-19T19:53:58Z'],
    ]);
    expect(seen).toEqual([
      { id: id(1), committed: false },
      { id: id(2), committed: false },
      { id: id(3), committed: false },
    ]);
    expect(committedIds()).toEqual([id(1), id(2), id(3)]);
  });

  it('announces updates and deletes inside their transaction, with the integration as it was just before', async () => {
    const first = (await create('a', 'ref-a')).json().result;
    const second = (await create('b', 'ref-b')).json().result;
    const seen: string[] = [];
    integrationEvents.subscribe((event: IntegrationEvent) => {
      const stored = observer.prepare('SELECT tenant_url FROM integrations WHERE id = ?').pluck().get(event.integration.id) ?? 'gone';
      const before = event.kind === 'updated' ? ` from ${event.before.tenant_url}` : '';
      seen.push(`${event.kind} ${event.integration.id} to ${event.integration.tenant_url}${before}; committed: ${String(stored)}`);
    });
    const answers = await Promise.all([
      api('PUT', `${BASE}/${first.id}`, { tenant_url: 'https://v1.okta.com', active: true }),
      api('DELETE', `${BASE}/${second.id}`),
      api('DELETE', `${BASE}/${second.id}`),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 404]);
    // Announced before the commit: another connection still sees the rows as they were.
    expect(seen.sort()).toEqual([
      `deleted ${second.id} to https://b.okta.com; committed: https://b.okta.com`,
      `updated ${first.id} to https://v1.okta.com from https://a.okta.com; committed: https://a.okta.com`,
    ]);
  });

  it('refuses only the duplicate among creates sent together; the others are stored', async () => {
    const answers = await Promise.all([create('a', 'same'), create('b', 'same'), create('c', 'other')]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 400, 200]);
    expect(answers[1]?.json()).toEqual({
      success: false,
      errors: [
        {
          code: 1102,
          message: `reference_id "same" is already used by integration ${id(1)} in this account`,
          source: { pointer: '/reference_id' },
        },
      ],
      messages: [],
      result: null,
    });
    expect(committedIds()).toEqual([id(1), id(3)]);
  });

  it('answers a failed COMMIT with the 500 failure envelope, stores nothing, and keeps working', async () => {
    const events: IntegrationEvent[] = [];
    integrationEvents.subscribe((event) => events.push(event));
    // A deferred foreign key that a trigger breaks for one tenant: the INSERT succeeds, the COMMIT is refused.
    observer.exec(`
      CREATE TABLE commit_guard_parent (id INTEGER PRIMARY KEY);
      CREATE TABLE commit_guard (parent INTEGER REFERENCES commit_guard_parent (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER break_commit AFTER INSERT ON integrations WHEN NEW.tenant_url = 'https://doomed.okta.com'
      BEGIN INSERT INTO commit_guard (parent) VALUES (1); END;`);
    const res = await create('doomed');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ success: false, errors: [{ code: 1000, message: 'Internal server error' }], messages: [], result: null });
    expect(committedIds()).toEqual([]);
    // The subscriber saw the create inside the transaction; whatever it wrote there was rolled back with it.
    expect(events.map((e) => e.kind)).toEqual(['created']);

    const after = await create('after');
    expect(after.statusCode).toBe(200);
    expect(committedIds()).toEqual([after.json().result.id]);
    expect(events.map((e) => e.kind)).toEqual(['created', 'created']);
  });

  it('fails the write with 500 code 1000 when a subscriber fails, and stores nothing', async () => {
    const unsubscribe = integrationEvents.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const res = await create('a', 'ref-a');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ success: false, errors: [{ code: 1000, message: 'Internal server error' }], messages: [], result: null });
    expect(committedIds()).toEqual([]);
    unsubscribe();
    expect((await create('a', 'ref-a')).statusCode).toBe(200);
    expect(committedIds()).toEqual([id(2)]);
  });
});
