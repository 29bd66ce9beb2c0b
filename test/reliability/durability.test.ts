// kill -9 in the middle of concurrent creates, restart on the same file: every acknowledged create is there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, AUTH } from '../support/app.js';
import { startServer } from '../support/server.js';

const BASE = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const WORKERS = 8;
const KILL_AFTER = 200;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-durability-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('durability', () => {
  it('keeps every acknowledged create, identical, across kill -9 and a restart on the same file', async () => {
    // A fixed SSF base keeps well_known_url identical although the restarted server listens elsewhere.
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), SSF_BASE_URL: 'https://ssf.example.test' };
    const first = await startServer(env);
    const acknowledged: Record<string, unknown>[] = [];
    let killed = false;
    let refused = 0;

    const worker = async (w: number) => {
      // Each worker keeps creating until the kill cuts it off, so the kill lands mid-stream.
      for (let i = 0; ; i++) {
        try {
          const res = await fetch(`${first.url}${BASE}`, {
            method: 'POST',
            headers: { ...AUTH, 'content-type': 'application/json' },
            body: JSON.stringify({ integration_type: 'Okta', tenant_url: `https://w${w}.okta.com`, reference_id: `w${w}-${i}` }),
          });
          const body = (await res.json()) as { result: Record<string, unknown> };
          expect(res.status).toBe(200);
          acknowledged.push(body.result);
        } catch (error) {
          if (!killed) throw error;
          refused++;
          return;
        }
        if (acknowledged.length >= KILL_AFTER && !killed) {
          killed = true;
          // Requests of the other workers are in flight right now.
          first.process.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    expect(await first.stop()).toBeNull(); // killed by the signal, no clean exit
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(refused).toBe(WORKERS); // every worker was cut off by the kill

    const second = await startServer(env);
    try {
      const res = await fetch(`${second.url}${BASE}`, { headers: AUTH });
      const listed = ((await res.json()) as { result: Record<string, unknown>[] }).result;
      const byId = new Map(listed.map((i) => [i.id, i]));
      const missing = acknowledged.filter((a) => !byId.has(a.id));
      expect(missing).toEqual([]);
      for (const a of acknowledged) expect(byId.get(a.id)).toEqual(a);
      // Anything beyond the acknowledged ones was committed just before the kill: whole, never partial.
      for (const extra of listed.filter((i) => !acknowledged.some((a) => a.id === i.id))) {
        expect(extra).toMatchObject({ account_tag: ACCOUNT, integration_type: 'Okta', active: true });
      }
    } finally {
      await second.stop();
    }
  });
});
