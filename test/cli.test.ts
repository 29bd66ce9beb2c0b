// The `bin` as a user runs it: --help, --version, flags over env, bad values, and SEED_FILE.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS, loadConfig } from '../src/config.js';
import { ACCOUNT, OTHER_ACCOUNT, AUTH } from './support/app.js';
import { ROOT, startServer } from './support/server.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['dist/cli.js', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DATABASE_PATH: ':memory:', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const row = (account: string, id: string, ref: string) => ({
  id,
  account_tag: account,
  integration_type: 'Okta',
  reference_id: ref,
  tenant_url: `https://${ref}.okta.com`,
  active: 1,
  created_at: '2024-06-01T12:00:00Z',
});

describe('the bin', () => {
  it('is dist/cli.js, starting with a node shebang', () => {
    expect(Object.values(pkg.bin)).toEqual(['dist/cli.js']);
    expect(readFileSync(join(ROOT, 'dist/cli.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--help lists every option with its flag, env var and default', () => {
    const { status, stdout } = cli(['--help']);
    expect(status).toBe(0);
    for (const option of OPTIONS) {
      expect(stdout).toContain(option.flag);
      expect(stdout).toContain(`env: ${option.env}    default: ${option.defaultText}`);
      for (const alias of option.aliases ?? []) expect(stdout).toContain(alias);
    }
    expect(stdout).toContain('a flag wins over the variable, the variable over the default');
  });

  it('--version prints the package version', () => {
    const { status, stdout } = cli(['--version']);
    expect(status).toBe(0);
    expect(stdout).toBe(`${pkg.version}\n`);
  });

  it.each([
    [['--port', '70000'], {}, 'error: invalid value for --port: "70000" (expected an integer from 0 to 65535)'],
    [[], { JOURNAL_SIZE: '-1' }, 'error: invalid value for JOURNAL_SIZE: "-1" (expected an integer from 0 to 1000000)'],
    [['--auth-mode', 'open'], {}, 'error: invalid value for --auth-mode: "open" (expected one of any, strict, off)'],
    [[], { CORS_ORIGINS: 'localhost:3000' }, 'error: invalid value for CORS_ORIGINS: "localhost:3000"'],
    [['--frobnicate', '1'], {}, 'error: unknown option "--frobnicate" (see --help)'],
  ])('rejects %j %j at start-up, naming the option', (args, env, message) => {
    const { status, stderr } = cli(args, env);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
  });

  it("the README's option table lists every option", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const option of OPTIONS) expect(readme).toMatch(new RegExp(`\\| \`${option.flag}\`.*\\| \`${option.env}\` \\|`));
  });

  it('takes a flag over the env var, and the env var over the default', () => {
    expect(loadConfig(['--journal-size', '5'], { JOURNAL_SIZE: '7' }).journalSize).toBe(5);
    expect(loadConfig([], { JOURNAL_SIZE: '7' }).journalSize).toBe(7);
    expect(loadConfig([], {}).journalSize).toBe(1000);
    expect(loadConfig(['--seed=a.json'], { SEED_FILE: 'b.json' }).seedFile).toBe('a.json');
  });
});

describe('SEED_FILE', () => {
  it('loads a state document (the whole export answer works too) at start-up', async () => {
    const file = join(dir, 'seed.json');
    const document = { tables: { integrations: [row(ACCOUNT, '11111111-1111-4111-8111-111111111111', 'seeded')] } };
    writeFileSync(file, JSON.stringify({ success: true, errors: [], messages: [], result: document }));
    const server = await startServer({}, ['--seed', file]);
    try {
      const res = await fetch(`${server.url}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, { headers: AUTH });
      expect((await res.json()).result.map((i: { reference_id: string; created_at: string }) => [i.reference_id, i.created_at])).toEqual([
        ['seeded', '2024-06-01T12:00:00Z'],
      ]);
      expect(server.output()).toContain(`seeded 1 rows for 1 accounts from ${file}`);
    } finally {
      await server.stop();
    }
  });

  it('a bad seed file stops start-up with a message naming the problem, and loads nothing', async () => {
    const db = join(dir, 'bad-seed.db');
    const file = join(dir, 'bad-seed.json');
    writeFileSync(
      file,
      JSON.stringify({
        // The first row is good; the second has a value the API would refuse: nothing is loaded.
        tables: { integrations: [row(ACCOUNT, '22222222-2222-4222-8222-222222222222', 'good'), { ...row(OTHER_ACCOUNT, '33333333-3333-4333-8333-333333333333', 'bad'), integration_type: 'okta' }] },
      }),
    );
    const { status, stderr } = cli(['--seed-file', file, '--db', db, '--port', '0']);
    expect(status).toBe(2);
    expect(stderr).toBe(
      `error: SEED_FILE ${file}: at /tables/integrations/1/integration_type: tables.integrations[1].integration_type must be "Okta"; nothing was loaded\n`,
    );
    const server = await startServer({ DATABASE_PATH: db });
    try {
      const state = await (await fetch(`${server.url}/__emulator/v1/state`)).json();
      expect(state.result.tables.integrations).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a seed file with a SET the push worker cannot read stops start-up with the pointer, instead of crashing at the first push', () => {
    const file = join(dir, 'bad-claims.json');
    const integration = row(ACCOUNT, '44444444-4444-4444-8444-444444444444', 'tenant');
    const set = {
      jti: '55555555-5555-4555-8555-555555555555',
      account_tag: ACCOUNT,
      integration_id: integration.id,
      stream_id: null,
      txn: '66666666-6666-4666-8666-666666666666',
      event_type: 'https://schemas.okta.com/secevent/okta/event-type/user-risk-change',
      delivery: 'push',
      target: 'http://127.0.0.1:9/security/api/v1/security-events',
      claims: '{"iss": "https://ssf.example/44444444-4444-4444-8444-444444444444",',
      status: 'pending',
      created_at: '2024-06-01T12:00:00.000Z',
    };
    writeFileSync(file, JSON.stringify({ success: true, result: { tables: { integrations: [integration], ssf_outbox: [set] } } }));
    const { status, stderr } = cli(['--seed-file', file, '--port', '0']);
    expect(stderr).toBe(`error: SEED_FILE ${file}: at /result/tables/ssf_outbox/0/claims: tables.ssf_outbox[0].claims is not valid JSON; nothing was loaded\n`);
    expect(status).toBe(2);
  });

  it('a missing or malformed seed file is named too', () => {
    expect(cli(['--seed', join(dir, 'nope.json')]).stderr).toContain(`error: SEED_FILE ${join(dir, 'nope.json')}: cannot be read (ENOENT)`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"tables": ');
    expect(cli(['--seed', broken]).stderr).toContain(`error: SEED_FILE ${broken}: not valid JSON`);
  });
});
