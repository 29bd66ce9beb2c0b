// `npm run test:clients`: the emulator proven by clients other than our own TypeScript tests. Each suite gets a
// server of its own (`node dist/server.js`, a real port, a file database) and its tools installed in the checkout:
// - package: `npm pack`, installed in a scratch directory with production dependencies only (scripts/test-pack.mjs);
// - python: Cloudflare's Python SDK, pytest (clients/python);
// - go: Cloudflare's Go SDK, go test (clients/go);
// - schemathesis: the served OpenAPI document fuzzed against the server (clients/schemathesis).
// A suite whose tool is missing (python3, go) is skipped with one line saying why; under CI=true that fails the run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CI = process.env.CI === 'true';

/** Runs a command, its output shown as it comes; resolves with its exit code and everything it printed. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    const show = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('error', (error) => resolve({ code: 127, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function has(command, args = ['--version']) {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `node dist/server.js` on a free port with a fresh database file; resolves once /readyz answers 200. */
async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-clients-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'emulator.db'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the server was not ready within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A venv inside the checkout (git-ignored), with the pinned requirements installed. */
async function venv(dir) {
  const python = join(ROOT, dir, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    const made = await run('python3', ['-m', 'venv', join(dir, '.venv')]);
    if (made.code !== 0) return { error: 'python3 -m venv failed (on Debian: apt-get install python3-venv)' };
  }
  const installed = await run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', join(dir, 'requirements.txt')]);
  return installed.code === 0 ? { python } : { error: 'pip install failed' };
}

/** Runs `test(url)` against a server of its own. */
async function withServer(test) {
  const server = await startServer();
  try {
    return await test(server.url);
  } finally {
    await server.stop();
  }
}

const suites = [
  {
    name: 'package',
    needs: () => (has('npm') ? undefined : 'npm not found'),
    async run() {
      const { code, output } = await run(process.execPath, ['scripts/test-pack.mjs']);
      const passed = Number(/^pack: (\d+) checks passed$/m.exec(output)?.[1] ?? 0);
      return { ok: code === 0, count: `${passed} checks` };
    },
  },
  {
    name: 'python',
    needs: () => (has('python3') ? undefined : 'python3 not found'),
    async run() {
      const env = await venv('clients/python');
      if (env.error) return { ok: false, count: env.error };
      return withServer(async (url) => {
        const { code, output } = await run(env.python, ['-m', 'pytest', '-q', 'clients/python'], { env: { ...process.env, EMULATOR_URL: url } });
        const passed = Number(/(\d+) passed/.exec(output)?.[1] ?? 0);
        const failed = Number(/(\d+) failed/.exec(output)?.[1] ?? 0);
        return { ok: code === 0 && passed > 0, count: `${passed} passed, ${failed} failed` };
      });
    },
  },
  {
    name: 'go',
    needs: () => (has('go', ['version']) ? undefined : 'go not found'),
    async run() {
      const cwd = join(ROOT, 'clients/go');
      const downloaded = await run('go', ['mod', 'download'], { cwd });
      if (downloaded.code !== 0) return { ok: false, count: 'go mod download failed' };
      return withServer(async (url) => {
        const { code, output } = await run('go', ['test', '-count=1', '-v', './...'], { cwd, env: { ...process.env, EMULATOR_URL: url } });
        // Top-level tests only: `--- PASS: TestName (` without the subtests' indentation.
        const passed = (output.match(/^--- PASS: /gm) ?? []).length;
        const failed = (output.match(/^--- FAIL: /gm) ?? []).length;
        return { ok: code === 0 && passed > 0, count: `${passed} tests passed, ${failed} failed` };
      });
    },
  },
  {
    name: 'schemathesis',
    needs: () => (has('python3') ? undefined : 'python3 not found'),
    async run() {
      const env = await venv('clients/schemathesis');
      if (env.error) return { ok: false, count: env.error };
      const bin = join(ROOT, 'clients/schemathesis/.venv/bin/schemathesis');
      return withServer(async (url) => {
        const { code, output } = await run(bin, ['--config-file', 'clients/schemathesis/schemathesis.toml', 'run', `${url}/openapi.json`], {
          env: { ...process.env, EMULATOR_URL: url, NO_COLOR: '1', COLUMNS: '160' },
        });
        // Schemathesis wraps its summary to the terminal's width: "Test cases:" and its figures may be on two lines.
        const cases = /Test cases:\s+(\d+) generated, (\d+) passed/.exec(output);
        const operations = /Operations:\s+(\d+) selected/.exec(output);
        return { ok: code === 0 && cases !== null, count: cases ? `${operations?.[1] ?? '?'} operations, ${cases[2]} of ${cases[1]} test cases passed` : 'no summary' };
      });
    },
  },
];

if (!existsSync(join(ROOT, 'dist/server.js'))) {
  console.error('dist/server.js is missing: run npm ci (or npm run build) first');
  process.exit(1);
}
const results = [];
for (const suite of suites) {
  const missing = suite.needs();
  if (missing) {
    console.log(`skipped: ${suite.name} suite: ${missing}`);
    results.push({ name: suite.name, status: CI ? 'FAILED (skipped under CI=true)' : 'skipped', count: missing });
    continue;
  }
  console.log(`\n=== ${suite.name}`);
  let outcome;
  try {
    outcome = await suite.run();
  } catch (error) {
    outcome = { ok: false, count: error.message };
  }
  results.push({ name: suite.name, status: outcome.ok ? 'passed' : 'FAILED', count: outcome.count });
}
console.log('\nclient suites:');
for (const r of results) console.log(`  ${r.name.padEnd(13)} ${r.status.padEnd(31)} ${r.count}`);
process.exit(results.every((r) => r.status === 'passed' || r.status === 'skipped') ? 0 : 1);
