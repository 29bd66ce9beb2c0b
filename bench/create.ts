// Create (durable): POSTs with 10 connections against the real server on a file database
// (WAL, synchronous=NORMAL: every acknowledged create survives kill -9, see test/reliability).
import { AUTH, INTEGRATIONS, json, startEmulator } from './lib/processes.js';
import { failures, load, warmUp, type LoadResult } from './lib/load.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

const TARGET_RPS = 1500;

export async function measureCreate(): Promise<Figure[]> {
  const emulator = await startEmulator();
  try {
    // No reference_id: each create gets a fresh one, so every request must succeed.
    const target = {
      url: `${emulator.url}${INTEGRATIONS}`,
      method: 'POST' as const,
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://bench.okta.com' }),
    };
    await warmUp(target);
    const runs: LoadResult[] = [];
    for (let round = 0; round < options.rounds; round++) runs.push(await load(target));
    const failed = failures(runs);
    if (failed > 0) throw new Error(`${failed} creates failed under load`);
    const list = await json(`${emulator.url}${INTEGRATIONS}`);
    const stored = (list.body as { result: unknown[] }).result.length;
    const acknowledged = runs.reduce((n, r) => n + r.total, 0);
    if (stored < acknowledged) throw new Error(`${acknowledged} creates acknowledged but only ${stored} listed`);
    const rps = median(runs.map((r) => r.rps));
    const p99 = median(runs.map((r) => r.p99));
    return [
      {
        figure: 'create, durable',
        target: `>= ${TARGET_RPS.toLocaleString('en')} req/s`,
        measured: `${Math.round(rps).toLocaleString('en')} req/s (p99 ${p99} ms)`,
        pass: rps >= TARGET_RPS,
        detail: { rps, p99_ms: p99, stored, runs },
      },
    ];
  } finally {
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'create', measureCreate);
