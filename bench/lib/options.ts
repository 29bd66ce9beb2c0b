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
  /** bench/instructions.ts: requests before counting starts (JIT, caches), then requests counted. */
  instructionWarmUp: num('BENCH_IR_WARM', 5000),
  instructionRequests: num('BENCH_IR_REQUESTS', 5000),
  /**
   * bench/instructions.ts: also simulate the caches (callgrind --cache-sim=yes, which runs slower) and report
   * cache misses and the estimated cycles per request.
   */
  instructionCacheSim: process.env.BENCH_IR_CACHE === '1',
  /** bench/instructions.ts: keep callgrind's files (for callgrind_annotate) instead of deleting them. */
  instructionKeepFiles: process.env.BENCH_IR_KEEP === '1',
  /** bench/cpu.ts: requests before perf starts recording, then requests recorded. */
  cpuWarmUp: num('BENCH_CPU_WARM', 30000),
  cpuRequests: num('BENCH_CPU_REQUESTS', 100000),
  /**
   * bench/cpu.ts: keep perf's files (perf-<round>.data, perf-<round>.jit.data, V8's jitdump) for `perf report`.
   * Each round's `perf inject` rewrites the jitted-*.so files beside them, so only the last round's JIT
   * frames are named right afterwards.
   */
  cpuKeepFiles: process.env.BENCH_CPU_KEEP === '1',
  /** The mixed load after which RSS is read. */
  mixedSeconds: num('BENCH_MIXED_SECONDS', 30),
  /** The soak whose RSS trend is computed; `--soak` runs the full 5 minutes. */
  soakSeconds: soakFlag ? 300 : num('BENCH_SOAK_SECONDS', 60),
  /**
   * LOG_LEVEL of the emulator under test. `warn` is what we document for load and CI runs where the
   * per-request line is not wanted; set BENCH_LOG_LEVEL=info to measure the default.
   */
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
};
