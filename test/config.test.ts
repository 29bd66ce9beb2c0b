import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicOrigin } from '../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig([], {})).toMatchObject({
      port: 4010,
      host: '127.0.0.1',
      databasePath: './data/emulator.db',
      logLevel: 'info',
      publicUrl: undefined,
      ssfBaseUrl: undefined,
      requestTimeoutMs: 30_000,
      journalMaxBytes: 33_554_432,
      adminToken: undefined,
    });
  });

  it('reads REQUEST_TIMEOUT_MS and JOURNAL_MAX_BYTES, flags first', () => {
    expect(loadConfig(['--request-timeout-ms', '1500'], { REQUEST_TIMEOUT_MS: '9000', JOURNAL_MAX_BYTES: '2097152' })).toMatchObject({
      requestTimeoutMs: 1500,
      journalMaxBytes: 2_097_152,
    });
  });

  it('refuses an empty EMULATOR_ADMIN_TOKEN instead of leaving the control API open', () => {
    expect(() => loadConfig([], { EMULATOR_ADMIN_TOKEN: '' })).toThrow(
      new ConfigError('EMULATOR_ADMIN_TOKEN is set but empty; give it a token, or unset it to leave the control API open'),
    );
    expect(() => loadConfig(['--admin-token='], {})).toThrow(ConfigError);
    expect(loadConfig([], {}).adminToken).toBeUndefined();
  });

  it('reads env vars, and a flag wins over its env var', () => {
    const env = { PORT: '5000', HOST: '0.0.0.0', DATABASE_PATH: ':memory:', LOG_LEVEL: 'WARN', PUBLIC_URL: 'http://emulator:5000/', SSF_BASE_URL: 'https://ssf.risk-score.teams.cloudflare.com' };
    expect(loadConfig([], env)).toMatchObject({
      port: 5000,
      host: '0.0.0.0',
      databasePath: ':memory:',
      logLevel: 'warn',
      publicUrl: 'http://emulator:5000',
      ssfBaseUrl: 'https://ssf.risk-score.teams.cloudflare.com',
    });
    expect(loadConfig(['--port', '6000', '--db=/tmp/x.db'], env)).toMatchObject({ port: 6000, databasePath: '/tmp/x.db' });
  });

  it.each([
    [['--port', 'abc'], {}, 'invalid value for --port: "abc" (expected an integer from 0 to 65535)'],
    [[], { PORT: '70000' }, 'invalid value for PORT: "70000" (expected an integer from 0 to 65535)'],
    [[], { LOG_LEVEL: 'loud' }, 'invalid value for LOG_LEVEL: "loud" (expected one of fatal, error, warn, info, debug, trace, silent)'],
    [[], { PUBLIC_URL: 'ftp://x' }, 'invalid value for PUBLIC_URL: "ftp://x" (expected an absolute http(s) URL)'],
    [[], { SSF_BASE_URL: 'not a url' }, 'invalid value for SSF_BASE_URL: "not a url" (expected an absolute http(s) URL)'],
    [['--nope', '1'], {}, 'unknown option "--nope" (see --help)'],
    [['--port'], {}, 'option --port needs a value'],
    [[], { REQUEST_TIMEOUT_MS: '0' }, 'invalid value for REQUEST_TIMEOUT_MS: "0" (expected an integer from 100 to 3600000)'],
    [[], { JOURNAL_MAX_BYTES: '1000' }, 'invalid value for JOURNAL_MAX_BYTES: "1000" (expected an integer from 1048576 to 4294967296)'],
  ])('rejects %j %j naming the option', (argv, env, message) => {
    expect(() => loadConfig(argv, env)).toThrow(new ConfigError(message));
  });

  it('derives the public origin from HOST and the listening port; a wildcard host means loopback', () => {
    const config = loadConfig([], { HOST: '0.0.0.0', PORT: '0' });
    expect(publicOrigin(config, 43210)).toBe('http://127.0.0.1:43210');
    expect(publicOrigin(loadConfig([], { HOST: '::1' }))).toBe('http://[::1]:4010');
    expect(publicOrigin(loadConfig([], { PUBLIC_URL: 'https://emu.example.test' }), 1)).toBe('https://emu.example.test');
  });
});
