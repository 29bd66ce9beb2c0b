// Cold start: spawn() of `node dist/server.js` on a fresh database file to the first 200 from /readyz.
// Several runs, median; the bare Fastify baseline's spawn-to-200 is shown beside it as the floor.
import { startBaseline, startEmulator } from './lib/processes.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median, round } from './lib/stats.js';

const TARGET_S = 0.6;

export async function measureColdStart(): Promise<Figure[]> {
  const ours: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < options.coldRuns; i++) {
    const emulator = await startEmulator();
    ours.push(emulator.startMs);
    await emulator.stop();
    const baseline = await startBaseline('/readyz', '{"status":"ready"}');
    floor.push(baseline.startMs);
    await baseline.stop();
  }
  const ms = median(ours);
  return [
    {
      figure: 'cold start, `node dist/server.js` spawn to first 200',
      target: `<= ${TARGET_S} s`,
      measured: `${round(ms / 1000, 3)} s (median of ${ours.length}; bare Fastify ${round(median(floor) / 1000, 3)} s)`,
      pass: ms <= TARGET_S * 1000,
      detail: { median_ms: ms, runs_ms: ours.map((v) => round(v, 1)), baseline_median_ms: median(floor), baseline_runs_ms: floor.map((v) => round(v, 1)) },
    },
  ];
}

runIfMain(import.meta.url, 'cold-start', measureColdStart);
