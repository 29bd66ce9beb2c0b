import { describe, expect, it } from 'vitest';
import { makeApp } from '../support/app.js';
import { readMigrations } from '../../src/db/database.js';

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
    const app = await makeApp();
    app.emulator.db.close();
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable' });
    // onClose closes the database again: harmless for better-sqlite3.
    await app.close();
  });
});
