// Starts the servers under test as child processes on loopback: the real compiled emulator
// (dist/server.js, as `npm start` runs it) and the bare-Fastify baseline.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { options } from './options.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASELINE = fileURLToPath(new URL('../baseline-server.mjs', import.meta.url));

export const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
export const AUTH = { authorization: 'Bearer bench-token-0123456789' };
export const INTEGRATIONS = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;

export interface Running {
  url: string;
  pid: number;
  /** Milliseconds from spawn() to the first 200 of the readiness path. */
  startMs: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** One GET on loopback; resolves with the status, or 0 when the connection fails. */
function probe(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** How long to wait for a server, and how to probe and run it. */
interface Launch {
  /** Give up (and kill the process) when it is not ready after this long. */
  timeoutMs?: number;
  /** Headers of the readiness probe (a mock that checks credentials wants one). */
  headers?: Record<string, string>;
  /**
   * Run this instead of node, in its own process group, and stop the whole group: `npm exec` starts the
   * server as a grandchild, which a signal to npm alone would not reach.
   */
  command?: string;
}

/** Spawns `command args` (stdout and stderr to `logFile`) and waits until `readyPath` on `port` answers 200. */
export async function spawnAndWait(args: string[], env: Record<string, string>, port: number, readyPath: string, logFile: string, launch: Launch = {}) {
  const { timeoutMs = 20_000, headers = {}, command } = launch;
  const log = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(command ?? process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
    detached: command !== undefined,
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (command !== undefined) {
      try {
        process.kill(-(child.pid as number), name);
      } catch {
        // the group is already gone
      }
    } else child.kill(name);
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${[command ?? 'node', ...args].join(' ')} exited with ${child.exitCode}; see ${logFile}`);
    if ((await probe(port, readyPath, headers)) === 200) break;
    if (performance.now() - started > timeoutMs) {
      signal('SIGKILL');
      throw new Error(`${[command ?? 'node', ...args].join(' ')} not ready within ${timeoutMs / 1000} s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const startMs = performance.now() - started;
  const stop = async () => {
    signal('SIGTERM');
    await exited;
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number, startMs, stop };
}

/**
 * Runs a server entry on a fresh temporary database file, as `npm start` runs dist/server.js (plain `node`,
 * no flags); stdout goes to a log file beside the database, as in a container.
 */
export async function startEmulator(extraEnv: Record<string, string> = {}, entry = join(ROOT, 'dist/server.js')): Promise<Running> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'emulator-bench-'));
  const port = await freePort();
  const running = await spawnAndWait(
    [entry],
    { PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'bench.db'), LOG_LEVEL: options.logLevel, ...extraEnv },
    port,
    '/readyz',
    join(dir, 'server.log'),
  );
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bare Fastify 5 server answering `path` with exactly `body` (and the emulator's content type); checked before it is returned. */
export async function startBaseline(path: string, body: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'baseline-bench-'));
  const port = await freePort();
  const running = await spawnAndWait([BASELINE], { PORT: String(port), BASELINE_PATH: path, BASELINE_BODY: body }, port, path, join(dir, 'baseline.log'));
  const stop = async () => {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const answered = await fetch(`${running.url}${path}`).then((r) => r.text());
  if (answered !== body) {
    await stop();
    throw new Error('the baseline does not answer the same bytes');
  }
  return { ...running, stop };
}

/** Creates the integration the GET benchmarks read on `url`'s server; its id and the path of its GET. */
export async function createBenchIntegration(url: string, tenantUrl = 'https://bench.okta.com'): Promise<{ id: string; path: string }> {
  const created = await json(`${url}${INTEGRATIONS}`, {
    method: 'POST',
    body: JSON.stringify({ integration_type: 'Okta', tenant_url: tenantUrl, reference_id: 'bench-1' }),
  });
  if (created.status !== 200) throw new Error(`create answered ${created.status}: ${created.text}`);
  const { id } = (created.body as { result: { id: string } }).result;
  return { id, path: `${INTEGRATIONS}/${id}` };
}

/** Resident set size of a process in MB, from /proc/<pid>/status (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Samples RSS every `everyMs` until stopped; each sample is [seconds since start, MB]. */
export function sampleRss(pid: number, everyMs: number): { stop(): Array<[number, number]> } {
  const t0 = performance.now();
  const samples: Array<[number, number]> = [];
  const take = () => samples.push([(performance.now() - t0) / 1000, rssMb(pid)]);
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url, { ...init, headers: { ...AUTH, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown, text };
}
