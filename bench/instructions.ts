// Instructions per GET, counted by valgrind's callgrind: the same comparison as get-one.ts, but
// nearly deterministic. req/s and CPU per request move by ±15 % on a shared 2-core machine; instruction
// counts under `node --predictable` repeat within about 2 %, so a change of a few microseconds shows. They count
// user-space work only (no time in the kernel, no cache misses), so they complement get-one.ts.
// Usage: npm run bench:instructions   (needs valgrind; about 5 minutes)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AUTH, INTEGRATIONS, ROOT, freePort, json, startFlags } from './lib/processes.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { round } from './lib/stats.js';

const BASELINE = join(ROOT, 'bench/baseline-server.mjs');
const WARM = Math.ceil(options.instructionWarmUp);
const COUNTED = Math.ceil(options.instructionRequests);

interface Counted {
  url: string;
  pid: number;
  /** callgrind_control finds the process by names that include HOST, so it runs with the child's env. */
  env: NodeJS.ProcessEnv;
  dir: string;
  child: ChildProcess;
  dumps: number;
}

function valgrindAvailable(): boolean {
  const probe = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && spawnSync('callgrind_control', ['--version']).status === 0;
}

/** Starts `node <args>` under callgrind and waits until `readyPath` answers 200 (slow: ~50x under valgrind). */
async function startCounted(args: string[], extraEnv: (dir: string) => Record<string, string>, readyPath: string): Promise<Counted> {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-instructions-'));
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), ...extraEnv(dir) };
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--cache-sim=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'cg.%p')}`, process.execPath, '--predictable', ...args],
    { cwd: ROOT, env, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`valgrind ${args.join(' ')} exited with ${child.exitCode}`);
    const status = await fetch(`${url}${readyPath}`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (performance.now() - started > 180_000) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} under valgrind not ready within 180 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, pid: child.pid as number, env, dir, child, dumps: 0 };
}

function control(server: Counted, flag: '-d'): void {
  const result = spawnSync('callgrind_control', [flag, String(server.pid)], { env: server.env, encoding: 'utf8' });
  if (result.status !== 0 || /error/i.test(result.stderr)) throw new Error(`callgrind_control ${flag}: ${result.stderr || result.stdout}`);
}

/** Instructions per request for COUNTED requests to `path`, after WARM requests that are not counted. */
async function count(server: Counted, path: string): Promise<number> {
  const target = { url: `${server.url}${path}`, headers: AUTH, connections: 10 };
  const warm = await autocannon({ ...target, amount: WARM });
  // A dump closes a part of the counts: the part after this one holds the counted requests alone.
  control(server, '-d');
  const measured = await autocannon({ ...target, amount: COUNTED });
  control(server, '-d');
  server.dumps += 2;
  const failed = warm.non2xx + warm.errors + measured.non2xx + measured.errors;
  if (failed > 0) throw new Error(`${failed} requests to ${path} failed`);
  const file = join(server.dir, `cg.${server.pid}.${server.dumps}`);
  const totals = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!totals) throw new Error(`no instruction total in ${file}`);
  return Number(totals[1]) / measured.requests.total;
}

async function stop(server: Counted): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  }
  rmSync(server.dir, { recursive: true, force: true });
}

export async function measureInstructions(): Promise<Figure[]> {
  if (!valgrindAvailable()) throw new Error('valgrind (with callgrind_control) is not installed');
  const emulatorEnv =
    (extra: Record<string, string> = {}) =>
    (dir: string) => ({ HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'bench.db'), LOG_LEVEL: 'warn', ...extra });
  const ours = await startCounted([...startFlags(), 'dist/server.js'], emulatorEnv(), '/readyz');
  const servers: Counted[] = [ours];
  try {
    const created = await json(`${ours.url}${INTEGRATIONS}`, {
      method: 'POST',
      body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://bench.okta.com', reference_id: 'bench-1' }),
    });
    const path = `${INTEGRATIONS}/${(created.body as { result: { id: string } }).result.id}`;
    const body = (await json(`${ours.url}${path}`)).text;
    const baseline = await startCounted([BASELINE], () => ({ BASELINE_PATH: path, BASELINE_BODY: body }), path);
    servers.push(baseline);
    if ((await fetch(`${baseline.url}${path}`).then((r) => r.text())) !== body) throw new Error('the baseline does not answer the same bytes');
    // The two are counted side by side, one core each.
    const [ourGet, baseGet] = await Promise.all([count(ours, path), count(baseline, path)]);
    await stop(baseline);
    servers.pop();
    const quiet = await startCounted([...startFlags(), 'dist/server.js'], emulatorEnv({ JOURNAL_SIZE: '0' }), '/readyz');
    servers.push(quiet);
    const createdQuiet = await json(`${quiet.url}${INTEGRATIONS}`, { method: 'POST', body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://bench.okta.com' }) });
    const quietGet = await count(quiet, `${INTEGRATIONS}/${(createdQuiet.body as { result: { id: string } }).result.id}`);
    const k = (n: number) => `${Math.round(n / 1000)}k`;
    return [
      {
        figure: 'GET one, instructions per request (callgrind)',
        target: 'information: >= 0.8x bare Fastify is the req/s target',
        measured: `${round(baseGet / ourGet)}x (${k(ourGet)} vs ${k(baseGet)}); with JOURNAL_SIZE=0 ${k(quietGet)} (${round(baseGet / quietGet)}x)`,
        pass: baseGet / ourGet >= 0.8,
        detail: { warm: WARM, counted: COUNTED, emulator_get: ourGet, baseline_get: baseGet, emulator_get_journal_off: quietGet },
      },
    ];
  } finally {
    for (const server of servers) await stop(server);
  }
}

runIfMain(import.meta.url, 'instructions', measureInstructions);
