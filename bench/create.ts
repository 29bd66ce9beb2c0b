// Create (durable): POSTs with 10 connections against the real server on a file database
// (WAL, synchronous=NORMAL: every acknowledged create survives kill -9, see test/reliability).
import { AUTH, INTEGRATIONS, json, startEmulator } from './lib/processes.js';
import { load, warmUp, type LoadResult } from './lib/load.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median, round } from './lib/stats.js';

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
    for (let round = 0; round < options.rounds; round++) runs.push(await load(target, emulator.pid));
    const failures = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (failures > 0) throw new Error(`${failures} creates failed under load`);
    const list = await json(`${emulator.url}${INTEGRATIONS}`);
    const stored = (list.body as { result: unknown[] }).result.length;
    const acknowledged = runs.reduce((n, r) => n + r.total, 0);
    if (stored < acknowledged) throw new Error(`${acknowledged} creates acknowledged but only ${stored} listed`);
    const rps = median(runs.map((r) => r.rps));
    // Server CPU per create: steadier than req/s when others share the machine.
    const cpuUs = median(runs.map((r) => r.cpuUsPerRequest ?? Number.NaN));
    return [
      {
        figure: 'create (durable)',
        target: '>= 3,000 req/s',
        measured: `${Math.round(rps)} req/s (p99 ${median(runs.map((r) => r.p99))} ms; ${Math.round(cpuUs)} µs CPU/create)`,
        pass: rps >= 3000,
        detail: { rps, cpu_us_per_create: cpuUs, runs, stored: stored, p99_ms: median(runs.map((r) => r.p99)), rounded: round(rps, 0) },
      },
    ];
  } finally {
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'create', measureCreate);
