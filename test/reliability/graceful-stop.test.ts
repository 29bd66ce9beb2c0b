// SIGTERM while requests are in flight: every one of them completes, then the process exits 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, AUTH } from '../support/app.js';
import { startServer } from '../support/server.js';

const BASE = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const IN_FLIGHT = 10;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-graceful-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A create whose body arrives in two parts: the server has its headers, and waits for `finish()`. */
function slowCreate(port: number, n: number) {
  const body = JSON.stringify({ integration_type: 'Okta', tenant_url: `https://slow${n}.okta.com`, reference_id: `slow-${n}` });
  let finish!: () => void;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: BASE,
        agent: false,
        headers: { ...AUTH, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    req.write(body.slice(0, 10));
    finish = () => req.end(body.slice(10));
  });
  return { answer, finish: () => finish() };
}

describe('graceful stop', () => {
  it('completes every in-flight request with 200 after SIGTERM, keeps their writes, and exits 0', async () => {
    const env = { DATABASE_PATH: join(dir, 'db.sqlite'), LOG_LEVEL: 'info' };
    const server = await startServer(env);
    const pending = Array.from({ length: IN_FLIGHT }, (_, n) => slowCreate(server.port, n));
    // A request sent after theirs has been answered: the server has read their headers.
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const exited = server.stop('SIGTERM');
    while (!server.output().includes('shutting down')) await new Promise((r) => setTimeout(r, 10));
    for (const p of pending) p.finish();
    const answers = await Promise.all(pending.map((p) => p.answer));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: IN_FLIGHT }, () => 200));
    expect(await exited).toBe(0);

    const again = await startServer(env);
    try {
      const listed = (await (await fetch(`${again.url}${BASE}`, { headers: AUTH })).json()) as { result: { reference_id: string }[] };
      expect(listed.result.map((i) => i.reference_id).sort()).toEqual(Array.from({ length: IN_FLIGHT }, (_, n) => `slow-${n}`).sort());
    } finally {
      await again.stop();
    }
  });
});
