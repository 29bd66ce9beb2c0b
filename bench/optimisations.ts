// What the two start-up optimisations still in the code buy, in figures (docs/performance.md):
// 1. the esbuild bundle of dist/ (scripts/build.js) against a plain `tsc` build of src/, same lazy schemas;
// 2. lazy schema compilation (src/schemaCompilers.ts) against Fastify's eager default, both on the tsc build
//    through bench/schema-switch-server.mjs (the shipped entry cannot turn it off).
// Each run: spawn to the first 200 of /readyz, then the first create and the first GET one as a user's first
// calls, the server's CPU time for each, and RSS. Variants alternate; BENCH_COLD_RUNS runs each; medians.
// Not part of `npm run bench`: `npx tsx bench/optimisations.ts`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUTH, INTEGRATIONS, ROOT, rssMb, startEmulator } from './lib/processes.js';
import { options } from './lib/options.js';
import { machineLine, printRows, saveResults } from './lib/report.js';
import { median, round } from './lib/stats.js';

const SWITCH = fileURLToPath(new URL('./schema-switch-server.mjs', import.meta.url));

/**
 * `tsc` of src/ alone, laid out as dist/ would be (src/x.ts -> <dir>/dist/x.js) beside links to package.json,
 * migrations/ and node_modules/, which the code finds relative to itself. Returns the dist directory.
 */
function tscBuild(dir: string): string {
  const out = join(dir, 'dist');
  for (const name of ['package.json', 'migrations', 'node_modules']) symlinkSync(join(ROOT, name), join(dir, name));
  const config = { extends: join(ROOT, 'tsconfig.json'), include: [join(ROOT, 'src')], compilerOptions: { rootDir: join(ROOT, 'src'), outDir: out } };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { stdio: 'inherit' });
  return out;
}

interface Sample {
  start_ms: number;
  first_create_ms: number;
  first_get_ms: number;
  /** The server's CPU time (user + system) when /readyz first answered, and after the first GET. */
  start_cpu_ms: number;
  first_calls_cpu_ms: number;
  rss_mb: number;
}

/**
 * CPU milliseconds a process has used, from /proc/<pid>/stat (Linux; 10 ms ticks). Beside the wall-clock
 * figures because, on a machine others share, CPU time shows what a variant costs, not what the others took.
 */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (which may hold spaces) the fields start at state; utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function timed(url: string, init: RequestInit = {}): Promise<{ ms: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { ...init, headers: { ...AUTH, 'content-type': 'application/json' } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return { ms, text };
}

async function sample(entry: string, env: Record<string, string>): Promise<Sample> {
  const emulator = await startEmulator(env, entry);
  const startCpu = cpuMs(emulator.pid);
  try {
    const created = await timed(`${emulator.url}${INTEGRATIONS}`, {
      method: 'POST',
      body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://first.okta.com' }),
    });
    const { id } = (JSON.parse(created.text) as { result: { id: string } }).result;
    const got = await timed(`${emulator.url}${INTEGRATIONS}/${id}`);
    const cpu = cpuMs(emulator.pid);
    return { start_ms: emulator.startMs, first_create_ms: created.ms, first_get_ms: got.ms, start_cpu_ms: startCpu, first_calls_cpu_ms: cpu - startCpu, rss_mb: rssMb(emulator.pid) };
  } finally {
    await emulator.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'tsc-build-'));
try {
  process.stderr.write('building src/ with tsc...\n');
  const tscDist = tscBuild(dir);
  const variants: Array<{ name: string; entry: string; env: Record<string, string> }> = [
    { name: 'esbuild bundle, lazy schemas (shipped: dist/server.js)', entry: join(ROOT, 'dist/server.js'), env: {} },
    { name: 'tsc build, lazy schemas (server.js)', entry: join(tscDist, 'server.js'), env: {} },
    { name: 'tsc build, lazy schemas (switch entry)', entry: SWITCH, env: { BENCH_APP_DIR: tscDist } },
    { name: 'tsc build, eager schemas (switch entry)', entry: SWITCH, env: { BENCH_APP_DIR: tscDist, BENCH_EAGER_SCHEMAS: '1' } },
  ];
  const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
  // One run of each to fill the OS file cache, as every measured run then finds it.
  for (const v of variants) await sample(v.entry, v.env);
  for (let i = 0; i < options.coldRuns; i++) {
    for (const v of variants) samples.get(v.name)!.push(await sample(v.entry, v.env));
  }
  const med = (name: string, key: keyof Sample) => median(samples.get(name)!.map((s) => s[key]));
  const rows = variants.map(({ name }) => {
    const first = med(name, 'start_ms') + med(name, 'first_create_ms');
    return [
      name,
      `${Math.round(med(name, 'start_ms'))} ms`,
      `${Math.round(med(name, 'first_create_ms'))} ms`,
      `${round(med(name, 'first_get_ms'), 1)} ms`,
      `${Math.round(first)} ms`,
      `${Math.round(med(name, 'start_cpu_ms'))} + ${Math.round(med(name, 'first_calls_cpu_ms'))} ms`,
      `${round(med(name, 'rss_mb'), 1)} MB`,
    ];
  });
  console.log(machineLine());
  console.log(`medians of ${options.coldRuns} runs each\n`);
  printRows(['variant', 'spawn to /readyz 200', 'first create', 'then first GET', 'spawn to first create answered', 'server CPU: start + first calls', 'RSS then'], rows);
  const results = variants.map(({ name, entry }) => ({ variant: name, entry, samples: samples.get(name) }));
  console.log(`\nresults: ${saveResults('optimisations', results)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
