// Instructions per GET, counted by valgrind's callgrind: the same comparison as get-one.ts, but steadier.
// req/s and CPU per request move by ±15 % on a shared 2-core machine; instruction counts under
// `node --predictable` repeat closely at the same settings. They count user-space work only (no time in the kernel;
// cache misses only with BENCH_IR_CACHE=1), so they complement get-one.ts. `--predictable` also moves V8's
// optimizing compiler onto the main thread, where it is counted; its share is reported and left out.
// Usage: npm run bench:instructions   (needs valgrind; about 8 minutes)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AUTH, ROOT, createBenchIntegration, freePort, json, spawnAndWait, startFlags, type Running } from './lib/processes.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { round } from './lib/stats.js';

const BASELINE = join(ROOT, 'bench/baseline-server.mjs');
const WARM = Math.ceil(options.instructionWarmUp);
const COUNTED = Math.ceil(options.instructionRequests);

interface Counted extends Running {
  /** callgrind_control finds the process by names that include HOST, so it runs with the child's env. */
  env: NodeJS.ProcessEnv;
  dir: string;
  dumps: number;
}

function valgrindAvailable(): boolean {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && spawnSync('callgrind_control', ['--version']).status === 0;
}

/** Starts `node <args>` under callgrind and waits until `readyPath` answers 200; valgrind's output goes to valgrind.log. */
async function startCounted(args: string[], extraEnv: (dir: string) => Record<string, string>, readyPath: string): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-instructions-'));
  const port = await freePort();
  const env = { PORT: String(port), ...extraEnv(dir) };
  const callgrind = ['--tool=callgrind', `--cache-sim=${options.instructionCacheSim ? 'yes' : 'no'}`, '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'cg.%p')}`];
  const running = await spawnAndWait([...callgrind, process.execPath, '--predictable', ...args], env, port, readyPath, join(dir, 'valgrind.log'), {
    command: 'valgrind',
    timeoutMs: 180_000,
    pollMs: 250,
  });
  return { ...running, env: { ...process.env, ...env }, dir, dumps: 0 };
}

function control(server: Counted, flag: '-d'): void {
  const result = spawnSync('callgrind_control', [flag, String(server.pid)], { env: server.env, encoding: 'utf8' });
  if (result.status !== 0 || /error/i.test(result.stderr)) throw new Error(`callgrind_control ${flag}: ${result.stderr || result.stdout}`);
}

/** The events of a run with the cache simulation; without it, Ir alone. */
const CACHE_EVENTS = ['Ir', 'I1mr', 'D1mr', 'D1mw', 'ILmr', 'DLmr', 'DLmw'] as const;
/**
 * V8's optimizing compiler (TurboFan). Under `--predictable` it runs on the main thread, so its work lands in
 * the counts: about three quarters of them after 1,000 warm-up requests. That is warm-up, not a cost of each
 * request, so it is counted apart and left out of the per-request figures.
 */
const OPTIMIZING_COMPILER = 'v8::internal::Compiler::CompileOptimized(';
/** V8's garbage collections: a real cost of the requests, so kept in, but lumpy (one major GC weighs much in a short window). */
const GARBAGE_COLLECTOR = 'v8::internal::Heap::CollectGarbage(';

/** Per-request counts of one callgrind part, the optimizing compiler's share left out. */
interface Counts {
  /** Instructions. */
  Ir: number;
  /** The optimizing compiler's instructions, not in `Ir`. */
  compilerIr: number;
  /** The garbage collector's instructions, in `Ir`. */
  gcIr: number;
  /** With the cache simulation: level-1 misses (instruction and data). */
  L1m?: number;
  /** With the cache simulation: last-level misses. */
  LLm?: number;
  /** With the cache simulation: KCachegrind's cycle estimate, Ir + 10 L1m + 100 LLm. */
  CEst?: number;
}

/** One event's total in a callgrind part, and the parts of it spent inside the optimizing compiler and the GC. */
function eventTotals(file: string, event: string): { total: number; compiler: number; gc: number } {
  const result = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', `--show=${event}`, `--sort=${event}`, file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`callgrind_annotate ${file}: ${result.stderr}`);
  const lines = result.stdout.split('\n');
  const first = (line: string | undefined) => Number(line?.trim().split(/\s+/)[0]?.replaceAll(',', ''));
  const total = first(lines.find((line) => line.includes('PROGRAM TOTALS')));
  if (!Number.isFinite(total)) throw new Error(`no ${event} total in ${file}`);
  const inside = (fn: string) => {
    const line = lines.find((l) => l.includes(fn));
    return line === undefined ? 0 : first(line);
  };
  return { total, compiler: inside(OPTIMIZING_COMPILER), gc: inside(GARBAGE_COLLECTOR) };
}

function perRequest(file: string, requests: number): Counts {
  const events = options.instructionCacheSim ? CACHE_EVENTS : (['Ir'] as const);
  const totals = Object.fromEntries(events.map((event) => [event, eventTotals(file, event)]));
  const net = (event: string) => ((totals[event]?.total ?? 0) - (totals[event]?.compiler ?? 0)) / requests;
  const counts: Counts = { Ir: net('Ir'), compilerIr: (totals.Ir?.compiler ?? 0) / requests, gcIr: (totals.Ir?.gc ?? 0) / requests };
  if (options.instructionCacheSim) {
    counts.L1m = net('I1mr') + net('D1mr') + net('D1mw');
    counts.LLm = net('ILmr') + net('DLmr') + net('DLmw');
    counts.CEst = counts.Ir + 10 * counts.L1m + 100 * counts.LLm;
  }
  return counts;
}

/** Counts per request for COUNTED requests to `path`, after WARM requests that are not counted. */
async function count(server: Counted, path: string): Promise<Counts> {
  const target = { url: `${server.url}${path}`, headers: AUTH, connections: 10 };
  const warm = await autocannon({ ...target, amount: WARM });
  // A dump closes a part of the counts: the part after this one holds the counted requests alone.
  control(server, '-d');
  const measured = await autocannon({ ...target, amount: COUNTED });
  control(server, '-d');
  server.dumps += 2;
  const failed = warm.non2xx + warm.errors + measured.non2xx + measured.errors;
  if (failed > 0) throw new Error(`${failed} requests to ${path} failed`);
  return perRequest(join(server.dir, `cg.${server.pid}.${server.dumps}`), measured.requests.total);
}

async function stop(server: Counted): Promise<void> {
  await server.stop();
  if (options.instructionKeepFiles) console.error(`callgrind files kept in ${server.dir}`);
  else rmSync(server.dir, { recursive: true, force: true });
}

export async function measureInstructions(): Promise<Figure[]> {
  if (!valgrindAvailable()) throw new Error('valgrind (with callgrind_control) is not installed');
  const emulatorEnv =
    (extra: Record<string, string> = {}) =>
    (dir: string) => ({ HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'bench.db'), LOG_LEVEL: 'warn', ...extra });
  const ourServer = await startCounted([...startFlags(), 'dist/server.js'], emulatorEnv(), '/readyz');
  const servers: Counted[] = [ourServer];
  try {
    const path = await createBenchIntegration(ourServer.url);
    const body = (await json(`${ourServer.url}${path}`)).text;
    const baseline = await startCounted([BASELINE], () => ({ BASELINE_PATH: path, BASELINE_BODY: body }), path);
    servers.push(baseline);
    if ((await fetch(`${baseline.url}${path}`).then((r) => r.text())) !== body) throw new Error('the baseline does not answer the same bytes');
    // The two are counted side by side, one core each.
    const [ours, base] = await Promise.all([count(ourServer, path), count(baseline, path)]);
    await stop(baseline);
    servers.pop();
    const quietServer = await startCounted([...startFlags(), 'dist/server.js'], emulatorEnv({ JOURNAL_SIZE: '0' }), '/readyz');
    servers.push(quietServer);
    const quiet = await count(quietServer, await createBenchIntegration(quietServer.url));
    const k = (n: number) => `${Math.round(n / 1000)}k`;
    const share = (c: Counts) => `${Math.round((100 * c.compilerIr) / (c.compilerIr + c.Ir))} %`;
    const figures: Figure[] = [
      {
        figure: 'GET one, instructions per request (callgrind)',
        target: 'information: >= 0.8x bare Fastify is the req/s target',
        measured:
          `${round(base.Ir / ours.Ir)}x (${k(ours.Ir)} vs ${k(base.Ir)}); with JOURNAL_SIZE=0 ${k(quiet.Ir)} (${round(base.Ir / quiet.Ir)}x); ` +
          `optimizing compiler, left out: ${share(ours)}, ${share(base)}, ${share(quiet)} of the counts; ` +
          `GC, kept in: ${k(ours.gcIr)}, ${k(base.gcIr)}, ${k(quiet.gcIr)}`,
        pass: base.Ir / ours.Ir >= 0.8,
        detail: { warm: WARM, counted: COUNTED, emulator: ours, baseline: base, emulator_journal_off: quiet },
      },
    ];
    if (options.instructionCacheSim) {
      const misses = (c: Counts) => `L1 ${Math.round(c.L1m ?? 0)}, LL ${Math.round(c.LLm ?? 0)}`;
      const cycles = (c: Counts) => c.CEst ?? Number.NaN;
      figures.push(
        {
          figure: 'GET one, cache misses per request (callgrind)',
          target: 'information',
          measured: `${misses(ours)} vs ${misses(base)}; with JOURNAL_SIZE=0 ${misses(quiet)}`,
          pass: true,
          detail: { emulator: ours, baseline: base, emulator_journal_off: quiet },
        },
        {
          figure: 'GET one, estimated cycles per request (Ir + 10 L1m + 100 LLm)',
          target: 'information: >= 0.8x bare Fastify is the req/s target',
          measured: `${round(cycles(base) / cycles(ours))}x (${k(cycles(ours))} vs ${k(cycles(base))}); with JOURNAL_SIZE=0 ${k(cycles(quiet))} (${round(cycles(base) / cycles(quiet))}x)`,
          pass: cycles(base) / cycles(ours) >= 0.8,
          detail: { emulator: cycles(ours), baseline: cycles(base), emulator_journal_off: cycles(quiet) },
        },
      );
    }
    return figures;
  } finally {
    for (const server of servers) await stop(server);
  }
}

runIfMain(import.meta.url, 'instructions', measureInstructions);
