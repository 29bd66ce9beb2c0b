// The peer: Stoplight Prism, the mock server most OpenAPI users reach for, serving Cloudflare's own schema
// (the copy the contract tests use) at its fastest setting (`-v silent`). Fetched by npm on demand, pinned,
// never a dependency of the project.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTH, freePort, ROOT, spawnAndWait, type Running } from './processes.js';

const PRISM_PACKAGE = '@stoplight/prism-cli@5.16.0';
const CLOUDFLARE_SCHEMA = join(ROOT, 'test/fixtures/cloudflare-zt-risk-scoring.openapi.json');

/**
 * Setup, before anything is measured: lets npm download Prism into its cache (the only step that may use
 * the network). Resolves with Prism's version; rejects with npm's last words when it cannot be fetched.
 */
export function fetchPrism(timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['exec', '--yes', `--package=${PRISM_PACKAGE}`, '--', 'prism', '--version'], { cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        // npm's first error lines say why (ETARGET, ENOTFOUND...); the rest points at its log.
        const said = `${stderr}`.split('\n').filter((l) => l.startsWith('npm error')).slice(0, 2).join(' ').slice(0, 200);
        reject(new Error(`${PRISM_PACKAGE} could not be fetched (${error.killed ? 'timed out' : `exit ${error.code}`})${said ? `: ${said}` : ''}`));
      } else resolve(stdout.trim());
    });
  });
}

/**
 * `prism mock` on Cloudflare's schema, ready once `readyPath` answers 200 to our credential (Prism checks the
 * schema's security). Prism serves the schema's paths at its root: without the `/client/v4` of the server URL.
 * npm is told to use its cache, so nothing but loopback is touched once fetchPrism() has run.
 */
export async function startPrism(readyPath: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'prism-bench-'));
  const port = await freePort();
  const args = ['exec', '--yes', '--prefer-offline', `--package=${PRISM_PACKAGE}`, '--'];
  args.push('prism', 'mock', '-v', 'silent', '-h', '127.0.0.1', '-p', String(port), CLOUDFLARE_SCHEMA);
  // On failure the log stays, for the error message names it.
  const running = await spawnAndWait(args, {}, port, readyPath, join(dir, 'prism.log'), { command: 'npm', headers: AUTH, timeoutMs: 60_000 });
  return {
    ...running,
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
