import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { makeApp } from '../support/app.js';
import { migrate, openDatabase, readMigrations } from '../../src/db/database.js';
import { healthRoutes } from '../../src/health/routes.js';

describe('health probes', () => {
  it('answer without credentials: alive, and ready at the latest schema version', async () => {
    const app = await makeApp();
    const latest = Math.max(...readMigrations().map((m) => m.version));
    const live = await app.inject({ method: 'GET', url: '/healthz' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', schema_version: latest });
    await app.close();
  });

  it('readyz answers 503 once the database is closed', async () => {
    const db = openDatabase(':memory:');
    const migrations = readMigrations();
    migrate(db, migrations);
    const app = Fastify();
    await app.register(healthRoutes, { db, expectedVersion: Math.max(...migrations.map((m) => m.version)) });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    db.close();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable' });
    await app.close();
  });
});
