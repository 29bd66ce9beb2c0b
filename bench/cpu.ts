// Where GET one's CPU time goes, from Linux `perf`: the same comparison as get-one.ts, but in CPU samples
// (user and kernel, every thread of the server) taken during exactly the measured requests, with whole
// call stacks through V8's JIT code (node --perf-prof, then `perf inject --jit`). Unlike a V8 CPU profile
// (bench/profile.ts), which samples wall time, a server that is waiting or descheduled is not counted.
// Usage: npm run bench:cpu   (needs `perf`; about 3 minutes)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AUTH, createBenchIntegration, json, startBaseline, startEmulator, type Instrument, type Running } from './lib/processes.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median, round } from './lib/stats.js';

/** V8 writes a jitdump file per process into its working directory; `perf inject --jit` reads it. */
const V8_PERF_FLAGS = ['--perf-prof', '--interpreted-frames-native-stack'];
const SAMPLES_PER_SECOND = 4000;

/** One sample: its weight in nanoseconds of CPU, and its stack, innermost frame first. */
interface Sample {
  ns: number;
  frames: { sym: string; dso: string }[];
}

/**
 * Where a sample's time goes, first match wins. The garbage collector and the optimizing compiler are
 * recognised anywhere in the stack (their own threads included); the rest by the innermost frame.
 */
const CATEGORIES: { name: string; test: (s: Sample) => boolean }[] = [
  { name: 'garbage collection', test: (s) => s.frames.some((f) => /^v8::internal::(Heap::|Scavenger|ScavengerCollector|ConcurrentMarking|MarkCompactCollector|Sweeper|MinorGCJob|IncrementalMarking)/.test(f.sym)) },
  { name: "V8's compilers (warm-up left over)", test: (s) => s.frames.some((f) => /^v8::internal::(compiler::|maglev::|Compiler::|baseline::)/.test(f.sym)) },
  { name: 'kernel: the socket write (and loopback delivery)', test: (s) => isKernel(s) && s.frames.some((f) => f.sym === 'node::StreamBase::Writev') },
  { name: 'kernel: a file read (pread)', test: (s) => isKernel(s) && s.frames.some((f) => f.sym === '__libc_pread') },
  { name: 'kernel: the rest (socket read, epoll, timers)', test: isKernel },
  // V8's builtins (property access, calls, string and array operations) live in the node binary.
  { name: 'JavaScript (JIT code, V8 builtins, regexps)', test: (s) => /jitted-/.test(s.frames[0]?.dso ?? '') || /^Builtins?_/.test(s.frames[0]?.sym ?? '') },
  { name: 'SQLite (better-sqlite3)', test: (s) => /better_sqlite3/.test(s.frames[0]?.dso ?? '') },
  { name: 'node and V8 runtime (C++)', test: (s) => /\/node$|libstdc\+\+|libc\.so|libm\.so|vdso/.test(s.frames[0]?.dso ?? '') },
  { name: 'other', test: () => true },
];

function isKernel(s: Sample): boolean {
  return s.frames[0]?.dso === '[kernel.kallsyms]';
}

/**
 * Inclusive CPU time under some frames of the GET's path, each counted once per sample. Only frames that
 * exist in a stack qualify: C++ and C functions, and JS functions that V8 does not inline into their callers
 * (the credential check, the change stamp's JS and the log line are inlined, so they have no frame of
 * their own). A marker that matched nothing prints "not seen" rather than 0.
 */
const MARKERS: { name: string; frame: RegExp }[] = [
  { name: 'the socket write, from JS through the kernel (writev)', frame: /^node::StreamBase::Writev$/ },
  { name: 'params validation (Fastify and ajv validators)', frame: /^JS:[*~^+]?validate\d* / },
  { name: "the request's logger (Fastify's childLoggerFactory)", frame: /^JS:[*~^+]?(defaultChildLoggerFactory|requestLogger) / },
  { name: 'journal entry (its onResponse hook)', frame: /^JS:[*~^+]?record file:\S*\/dist\// },
  { name: 'SQLite statements (the change stamp: total_changes())', frame: /^Statement::JS_/ },
  { name: "pread (the change stamp: the -shm file's header)", frame: /^__libc_pread/ },
  { name: 'new Date()', frame: /^v8::internal::Builtin_DateConstructor$/ },
  { name: 'JSON.stringify', frame: /^v8::internal::Builtin_JsonStringify$/ },
];

function perfAvailable(): string | undefined {
  const probe = spawnSync('perf', ['record', '-q', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { encoding: 'utf8' });
  if (probe.error) return 'perf is not installed';
  if (probe.status !== 0) return `perf record does not work here: ${probe.stderr.trim()}`;
  return undefined;
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Parses `perf script -F period,ip,sym,dso`: a line with the period, then one indented line per frame. */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    const head = lines.shift();
    if (head === undefined) continue;
    const ns = Number(head.trim().split(/\s+/)[0]);
    if (!Number.isFinite(ns)) continue;
    const frames = lines.map((line) => {
      const m = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line);
      return m ? { sym: m[1] as string, dso: m[2] as string } : { sym: line.trim(), dso: '' };
    });
    samples.push({ ns, frames });
  }
  return samples;
}

interface Breakdown {
  requests: number;
  /** CPU µs per GET: all of it, by category, and under each marker. */
  totalUs: number;
  categories: Record<string, number>;
  markers: Record<string, number>;
  /**
   * CPU µs per GET whose stack holds JIT code perf could not name (no jitdump record covers its address): the
   * markers of JS functions can miss these samples, so they are a lower bound by up to this much.
   */
  unnamedJitUs: number;
}

function breakDown(samples: Sample[], requests: number): Breakdown {
  const us = (ns: number) => ns / 1000 / requests;
  const categories: Record<string, number> = Object.fromEntries(CATEGORIES.map((c) => [c.name, 0]));
  const markers: Record<string, number> = Object.fromEntries(MARKERS.map((m) => [m.name, 0]));
  let total = 0;
  let unnamed = 0;
  for (const sample of samples) {
    total += sample.ns;
    if (sample.frames.some((f) => f.sym === '[unknown]' && /jitted-/.test(f.dso))) unnamed += sample.ns;
    const category = CATEGORIES.find((c) => c.test(sample)) as (typeof CATEGORIES)[number];
    categories[category.name] = (categories[category.name] as number) + sample.ns;
    for (const marker of MARKERS) {
      if (sample.frames.some((f) => marker.frame.test(f.sym))) markers[marker.name] = (markers[marker.name] as number) + sample.ns;
    }
  }
  for (const key of Object.keys(categories)) categories[key] = us(categories[key] as number);
  for (const key of Object.keys(markers)) markers[key] = us(markers[key] as number);
  return { requests, totalUs: us(total), categories, markers, unnamedJitUs: us(unnamed) };
}

/** Records `server` with perf during exactly `options.cpuRequests` GETs of `target`; `round` names the files. */
async function profile(server: Running, target: autocannon.Options, dir: string, round: number): Promise<Breakdown> {
  const data = join(dir, `perf-${round}.data`);
  const jitData = join(dir, `perf-${round}.jit.data`);
  const perf = spawn('perf', ['record', '-q', '-k', '1', '-g', '-F', String(SAMPLES_PER_SECOND), '-e', 'cpu-clock', '-p', String(server.pid), '-o', data], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let perfErr = '';
  perf.stderr.on('data', (chunk: Buffer) => (perfErr += chunk.toString()));
  const perfExit = new Promise<number | null>((resolve) => perf.once('exit', (code) => resolve(code)));
  // perf prints nothing once attached; the server is idle until the load starts, so a margin costs no samples.
  await new Promise((r) => setTimeout(r, 500));
  const measured = await autocannon({ ...target, amount: options.cpuRequests });
  perf.kill('SIGINT');
  const code = await perfExit;
  if (code !== 0 && code !== null) throw new Error(`perf record exited with ${code}: ${perfErr}`);
  if (measured.non2xx + measured.errors > 0) throw new Error(`${measured.non2xx + measured.errors} GETs of ${target.url} failed`);
  run('perf', ['inject', '--jit', '-i', data, '-o', jitData], dir);
  const text = run('perf', ['script', '-i', jitData, '-F', 'period,ip,sym,dso'], dir);
  if (!options.cpuKeepFiles) for (const file of [data, jitData]) rmSync(file, { force: true });
  return breakDown(parseSamples(text), measured.requests.total);
}

/** The median of each figure over the rounds. */
function medianOf(rounds: Breakdown[]): Breakdown {
  const of = (pick: (b: Breakdown) => Record<string, number>) =>
    Object.fromEntries(Object.keys(pick(rounds[0] as Breakdown)).map((k) => [k, median(rounds.map((r) => pick(r)[k] as number))]));
  return {
    requests: median(rounds.map((r) => r.requests)),
    totalUs: median(rounds.map((r) => r.totalUs)),
    categories: of((r) => r.categories),
    markers: of((r) => r.markers),
    unnamedJitUs: median(rounds.map((r) => r.unnamedJitUs)),
  };
}

function printBreakdown(ours: Breakdown, base: Breakdown, rounds: { emulator: Breakdown[]; baseline: Breakdown[] }): void {
  const fmt = (n: number) => n.toFixed(1).padStart(6);
  const each = (list: Breakdown[]) => list.map((r) => r.totalUs.toFixed(0)).join(', ');
  console.log(`CPU µs per GET (perf; medians of ${rounds.emulator.length} alternating rounds of ${options.cpuRequests} GETs, ${options.connections} connections)`);
  console.log(`rounds: emulator ${each(rounds.emulator)}; bare Fastify ${each(rounds.baseline)}\n`);
  console.log(`${'emulator'.padStart(8)} ${'bare'.padStart(6)} ${'diff'.padStart(6)}`);
  const row = (a: number, b: number, name: string, unseen = false) => console.log(`${unseen ? 'not seen' : fmt(a).padStart(8)} ${fmt(b)} ${fmt(a - b)}  ${name}`);
  for (const name of Object.keys(ours.categories)) row(ours.categories[name] as number, base.categories[name] as number, name);
  row(ours.totalUs, base.totalUs, 'all');
  console.log('\ninclusive, under these frames (a sample counts once per line; lines overlap):');
  for (const { name } of MARKERS) row(ours.markers[name] as number, base.markers[name] as number, name, ours.markers[name] === 0);
  row(ours.unnamedJitUs, base.unnamedJitUs, 'samples with JIT code perf could not name (the lines above can miss up to this)');
  console.log('');
}

export async function measureCpu(): Promise<Figure[]> {
  const missing = perfAvailable();
  if (missing) throw new Error(missing);
  const dirs = { emulator: mkdtempSync(join(tmpdir(), 'emulator-cpu-')), baseline: mkdtempSync(join(tmpdir(), 'baseline-cpu-')) };
  const instrument = (cwd: string): Instrument => ({ nodeFlags: V8_PERF_FLAGS, cwd });
  const servers: Running[] = [];
  try {
    const emulator = await startEmulator({}, instrument(dirs.emulator));
    servers.push(emulator);
    const path = await createBenchIntegration(emulator.url);
    const body = (await json(`${emulator.url}${path}`)).text;
    const baseline = await startBaseline(path, body, instrument(dirs.baseline));
    servers.push(baseline);
    const target = (server: Running) => ({ url: `${server.url}${path}`, headers: AUTH, connections: options.connections });
    for (const server of servers) {
      const warm = await autocannon({ ...target(server), amount: options.cpuWarmUp });
      if (warm.non2xx + warm.errors > 0) throw new Error(`${warm.non2xx + warm.errors} warm-up GETs failed`);
    }
    // Alternating rounds, one server at a time (neither takes the other's core), medians compared.
    const rounds: { emulator: Breakdown[]; baseline: Breakdown[] } = { emulator: [], baseline: [] };
    for (let round = 0; round < options.rounds; round++) {
      rounds.emulator.push(await profile(emulator, target(emulator), dirs.emulator, round));
      rounds.baseline.push(await profile(baseline, target(baseline), dirs.baseline, round));
    }
    const ours = medianOf(rounds.emulator);
    const base = medianOf(rounds.baseline);
    printBreakdown(ours, base, rounds);
    return [
      {
        figure: 'GET one, CPU per request (perf)',
        target: 'information: >= 0.8x bare Fastify is the req/s target',
        measured: `${round(base.totalUs / ours.totalUs)}x (${Math.round(ours.totalUs)} vs ${Math.round(base.totalUs)} µs)`,
        pass: base.totalUs / ours.totalUs >= 0.8,
        detail: { emulator: ours, baseline: base, rounds },
      },
    ];
  } finally {
    for (const server of servers) await server.stop();
    if (options.cpuKeepFiles) console.error(`perf files kept in ${dirs.emulator} and ${dirs.baseline}`);
    else for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, 'cpu', measureCpu);
