// The container HEALTHCHECK command (dist/health/check.js), run as Docker runs it: a process, judged by its exit code.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, startServer, type RunningServer } from '../support/server.js';

function runCheck(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/health/check.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('container health check', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('exits 0 when /readyz on $PORT answers 200, even with HOST=0.0.0.0 and an outside PUBLIC_URL', async () => {
    const result = await runCheck({ HOST: '0.0.0.0', PORT: String(server.port), PUBLIC_URL: 'http://emulator.invalid:1' });
    expect(result.code).toBe(0);
    expect(result.output).toContain(`http://127.0.0.1:${server.port}/readyz 200 {"status":"ready"`);
  });

  it('exits 1 when nothing listens on $PORT', async () => {
    const port = await freePort();
    const result = await runCheck({ HOST: '127.0.0.1', PORT: String(port) });
    expect(result.code).toBe(1);
    expect(result.output).toContain(`healthcheck: http://127.0.0.1:${port}/readyz connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('exits 1 on an invalid PORT instead of probing a default', async () => {
    const result = await runCheck({ PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.output).toContain('healthcheck: invalid value for PORT: "eighty"');
  });
});
