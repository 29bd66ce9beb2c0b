// State lives in a real SQLite file: it outlives restarts and a kill -9; migrations run once, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, readMigrations } from '../../src/db/database.js';
import { ACCOUNT, AUTH, apiOf, makeApp } from '../support/app.js';
import { startServer } from '../support/server.js';

const PATH = `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'risk-emulator-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('creates the database file and its folder, and keeps data across an app restart', async () => {
    const file = join(dir, 'nested', 'state.db');
    const first = await makeApp({ databasePath: file });
    const created = (await apiOf(first)('POST', PATH, { integration_type: 'Okta', tenant_url: 'https://a.okta.com' })).json().result;
    await first.close();

    const second = await makeApp({ databasePath: file });
    const listed = (await apiOf(second)('GET', PATH)).json().result;
    expect(listed).toEqual([created]);
    await second.close();
  });

  it('an acknowledged write survives kill -9 of the server process', async () => {
    const file = join(dir, 'state.db');
    const server = await startServer({ DATABASE_PATH: file });
    const res = await fetch(`${server.url}/client/v4${PATH}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'survivor' }),
    });
    expect(res.status).toBe(200);
    const created = ((await res.json()) as { result: unknown }).result;
    expect(await server.stop('SIGKILL')).toBeNull();

    const again = await startServer({ DATABASE_PATH: file, PORT: String(server.port) });
    const got = await fetch(`${again.url}/client/v4${PATH}/reference_id/survivor`, { headers: AUTH });
    expect(((await got.json()) as { result: unknown }).result).toEqual(created);
    expect(await again.stop()).toBe(0);
  });
});

describe('migrations', () => {
  it('apply in order, each once, and are recorded', () => {
    const db = openDatabase(join(dir, 'm.db'));
    const all = readMigrations();
    expect(all.map((m) => m.version)).toEqual([...all.map((m) => m.version)].sort((a, b) => a - b));
    expect(migrate(db)).toEqual(all.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      all.map((m) => ({ version: m.version, name: m.name })),
    );
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('a failing migration leaves nothing half-applied', () => {
    const db = openDatabase(':memory:');
    expect(() =>
      migrate(db, [
        { version: 1, name: '0001_ok', sql: 'CREATE TABLE a (x INTEGER);' },
        { version: 2, name: '0002_broken', sql: 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);' },
      ]),
    ).toThrow(/no such table: nowhere/);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['a', 'schema_migrations']);
    expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([1]);
    db.close();
  });
});
