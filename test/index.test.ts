// The package's API, startEmulator(): the CLI's options in camelCase with the same checks and messages, and a
// close() after which nothing of the emulator keeps a process alive.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, ConfigError, type Emulator } from '../src/index.js';
import { loadConfig } from '../src/config.js';
import { ACCOUNT } from './support/app.js';
import { ROOT } from './support/server.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('startEmulator', () => {
  it('listens on the port asked for (0: any free one) and answers the Cloudflare API at apiUrl', async () => {
    emulator = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'silent' });
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.apiUrl).toBe(`${emulator.url}/client/v4`);
    const res = await fetch(`${emulator.apiUrl}/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, { headers: { authorization: 'Bearer t' } });
    expect(await res.json()).toEqual({ success: true, errors: [], messages: [], result: [] });
  });

  it('checks its options as the CLI checks flags: the same message, naming the option', async () => {
    expect(() => loadConfig(['--port', '70000'], {})).toThrow('invalid value for --port: "70000" (expected an integer from 0 to 65535)');
    await expect(startEmulator({ port: 70000 })).rejects.toThrow(new ConfigError('invalid value for port: "70000" (expected an integer from 0 to 65535)'));
    await expect(startEmulator({ logLevel: 'loud' as never })).rejects.toThrow('invalid value for logLevel: "loud" (expected one of fatal, error, warn, info, debug, trace, silent)');
    await expect(startEmulator({ prot: 0 } as never)).rejects.toThrow(/^unknown option "prot" \(options: port, host, /);
    await expect(startEmulator({ authMode: 'strict' })).rejects.toThrow('AUTH_MODE=strict needs the credentials it accepts');
  });

  it('rejects with the CLI start-up message when the port is in use, and leaves nothing open', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startEmulator({ port, databasePath: ':memory:', logLevel: 'silent' })).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE), often by an emulator started earlier; stop it, or choose another port with --port (0 picks a free one)`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('reset(account) empties that account only; reset() every account', async () => {
    emulator = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'silent' });
    const other = 'f037e56e89293a057740de681ac9abbe';
    const list = async (account: string) =>
      ((await (await fetch(`${emulator?.apiUrl}/accounts/${account}/zt_risk_scoring/integrations`, { headers: { authorization: 'Bearer t' } })).json()) as { result: unknown[] }).result.length;
    for (const account of [ACCOUNT, other]) {
      await fetch(`${emulator.apiUrl}/accounts/${account}/zt_risk_scoring/integrations`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9' }),
      });
    }
    await emulator.reset(ACCOUNT);
    expect([await list(ACCOUNT), await list(other)]).toEqual([0, 1]);
    await emulator.reset();
    expect(await list(other)).toBe(0);
    await expect(emulator.reset('not-an-account')).rejects.toThrow('reset not-an-account failed: Could not route to');
  });

  it('close() stops the server, the push worker with a retry pending, and the database: the process exits on its own', async () => {
    // A separate process, as a test runner is: it must end by itself once close() resolved.
    const script = `
      import { startEmulator } from ${JSON.stringify(join(ROOT, 'dist/index.js'))};
      const emu = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'silent', ssfRetryDelayMs: 60000 });
      const headers = { authorization: 'Bearer t', 'content-type': 'application/json' };
      // A tenant nothing listens on: the push fails and its retry is a minute away.
      await fetch(emu.apiUrl + '/accounts/${ACCOUNT}/zt_risk_scoring/integrations', { method: 'POST', headers, body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9' }) });
      await fetch(emu.url + '/__emulator/v1/accounts/${ACCOUNT}/risk-events', { method: 'POST', headers, body: JSON.stringify({ user_id: '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234', email: 'a@example.com', name: 'A', behavior: 'imp_travel' }) });
      for (;;) {
        const outbox = await (await fetch(emu.url + '/__emulator/v1/ssf/outbox')).json();
        if (outbox.result[0]?.attempts === 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await emu.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(-1);
      }, 30_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'closed' });
  });
});
