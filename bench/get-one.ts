// GET one integration with 10 connections: req/s as a ratio of a bare Fastify 5 server returning the
// same bytes for the same GET (alternating rounds in one run, medians compared), and our p99 latency.
import { AUTH, createBenchIntegration, json, startBaseline, startEmulator } from './lib/processes.js';
import { load, warmUp, type LoadResult } from './lib/load.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median, round } from './lib/stats.js';

export async function measureGetOne(): Promise<Figure[]> {
  const emulator = await startEmulator();
  let baseline;
  try {
    const path = await createBenchIntegration(emulator.url);
    const ours = await json(`${emulator.url}${path}`);
    if (ours.status !== 200) throw new Error(`GET answered ${ours.status}: ${ours.text}`);
    baseline = await startBaseline(path, ours.text);

    const target = (url: string) => ({ url: `${url}${path}`, headers: AUTH });
    await warmUp(target(emulator.url));
    await warmUp(target(baseline.url));
    const runs: { emulator: LoadResult[]; baseline: LoadResult[] } = { emulator: [], baseline: [] };
    for (let round = 0; round < options.rounds; round++) {
      runs.emulator.push(await load(target(emulator.url), emulator.pid));
      runs.baseline.push(await load(target(baseline.url), baseline.pid));
    }
    const failures = runs.emulator.reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (failures > 0) throw new Error(`${failures} GETs failed under load`);
    const ourRps = median(runs.emulator.map((r) => r.rps));
    const baseRps = median(runs.baseline.map((r) => r.rps));
    const ratio = ourRps / baseRps;
    const p99 = median(runs.emulator.map((r) => r.p99));
    const ourCpu = median(runs.emulator.map((r) => r.cpuUsPerRequest ?? Number.NaN));
    const baseCpu = median(runs.baseline.map((r) => r.cpuUsPerRequest ?? Number.NaN));
    return [
      {
        figure: `GET one integration, ${options.connections} connections`,
        target: '>= 0.8x bare Fastify',
        measured: `${round(ratio)}x (${Math.round(ourRps)} vs ${Math.round(baseRps)} req/s; CPU/request ${round(baseCpu / ourCpu)}x: ${Math.round(ourCpu)} vs ${Math.round(baseCpu)} µs)`,
        pass: ratio >= 0.8,
        detail: { ratio, emulator_rps: ourRps, baseline_rps: baseRps, cpu_ratio: baseCpu / ourCpu, emulator_cpu_us: ourCpu, baseline_cpu_us: baseCpu, runs },
      },
      {
        figure: 'its p99 latency',
        target: '<= 5 ms',
        measured: `${p99} ms (baseline ${median(runs.baseline.map((r) => r.p99))} ms)`,
        pass: p99 <= 5,
        detail: { p99_ms: p99, p50_ms: median(runs.emulator.map((r) => r.p50)) },
      },
    ];
  } finally {
    await baseline?.stop();
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'get-one', measureGetOne);
