// Every knob of the benchmarks, read once from the environment (and `--soak` on the command line).
function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

const soakFlag = process.argv.includes('--soak');

export const options = {
  /** Seconds of each measured load run (after a 1 s warm-up). */
  duration: num('BENCH_DURATION', 5),
  /** Rounds per comparison; emulator and baseline alternate, the medians are compared. */
  rounds: num('BENCH_ROUNDS', 3),
  connections: num('BENCH_CONNECTIONS', 10),
  /** Spawn-to-ready measurements for the cold start median. */
  coldRuns: num('BENCH_COLD_RUNS', 7),
  /** The mixed load after which RSS is read. */
  mixedSeconds: num('BENCH_MIXED_SECONDS', 30),
  /** The soak whose RSS trend is computed; `--soak` runs the full 5 minutes. */
  soakSeconds: soakFlag ? 300 : num('BENCH_SOAK_SECONDS', 60),
  /** bench/drain.ts: give up on the 10,000 SETs after this many seconds and report the rate so far. */
  drainTimeoutSeconds: num('BENCH_DRAIN_TIMEOUT', 120),
  /**
   * LOG_LEVEL of the emulator under test. `warn` is what we document for load and CI runs where the
   * per-request line is not wanted; set BENCH_LOG_LEVEL=info to measure the default.
   */
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
};
