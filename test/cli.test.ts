// The `bin` as a user runs it: --help, --version, flags over env, bad values, and SEED_FILE.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { OPTIONS, loadConfig } from '../src/config.js';
import { readMigrations } from '../src/db/database.js';
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
    expect(loadConfig([], {}).journalSize).toBe(200);
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

describe('start-up failures: one error line, exit 2', () => {
  /** Runs the bin until it exits; a server that starts instead is a failure of the test. */
  function failing(env: Record<string, string>, options: { uid?: number } = {}) {
    const result = spawnSync(process.execPath, ['dist/cli.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: ':memory:', ...env },
      encoding: 'utf8',
      timeout: 20_000,
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    return { status: result.status, stdout: result.stdout, lines: result.stderr.split('\n').filter((l) => l !== '') };
  }

  it('a port in use names the address and what to do', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { status, lines } = failing({ PORT: String(port) });
      expect(status).toBe(2);
      expect(lines).toEqual([
        `error: cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE), often by an emulator started earlier; stop it, or choose another port with --port (0 picks a free one)`,
      ]);
    } finally {
      holder.close();
    }
  });

  it('a host that is not this machine names the host', () => {
    const { status, lines } = failing({ HOST: 'no-such-host.invalid' });
    expect(status).toBe(2);
    expect(lines).toEqual([
      `error: cannot listen on host "no-such-host.invalid": not an address of this machine (ENOTFOUND); use 127.0.0.1, 0.0.0.0 or one of its interfaces' addresses with --host`,
    ]);
  });

  it('a file that is not a database, a corrupt one, a directory', () => {
    const notDb = join(dir, 'not-a-db.db');
    writeFileSync(notDb, 'hello, this is text\n'.repeat(100));
    expect(failing({ DATABASE_PATH: notDb })).toMatchObject({
      status: 2,
      lines: [
        `error: DATABASE_PATH ${notDb}: is not an SQLite database, or a corrupt one: file is not a database (SQLITE_NOTADB); point DATABASE_PATH at another file, or move this one away to start afresh`,
      ],
    });
    const good = join(dir, 'good.db');
    const db = new BetterSqlite3(good);
    db.exec('CREATE TABLE t (x TEXT); CREATE TABLE u (y TEXT)');
    for (let i = 0; i < 200; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(500));
    db.close();
    const bytes = readFileSync(good);
    bytes.fill(0x5a, 4096 * 1, 4096 * 3); // pages 2 and 3: b-tree pages turned to noise
    const corrupt = join(dir, 'corrupt.db');
    writeFileSync(corrupt, bytes);
    const { status, lines } = failing({ DATABASE_PATH: corrupt });
    expect(status).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^error: DATABASE_PATH ${corrupt}: is a corrupt SQLite database \\(quick_check: .+\\); move it away to start afresh, or restore a copy$`));
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expect(failing({ DATABASE_PATH: folder })).toMatchObject({
      status: 2,
      lines: [`error: DATABASE_PATH ${folder}: is a directory; give a file path, such as ${join(folder, 'emulator.db')}`],
    });
  });

  it('a database from a newer version is refused, and not written', async () => {
    const file = join(dir, 'newer.db');
    const server = await startServer({ DATABASE_PATH: file });
    await server.stop();
    const db = new BetterSqlite3(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(9999, '9999_future', '2030-01-01T00:00:00Z');
    db.close();
    const before = readFileSync(file);
    const { status, lines } = failing({ DATABASE_PATH: file });
    expect(status).toBe(2);
    expect(lines).toEqual([
      `error: DATABASE_PATH ${file}: was written by a newer version of the emulator (schema version 9999; this one knows up to ${Math.max(...readMigrations().map((m) => m.version))}); run that version or a later one, or choose another DATABASE_PATH`,
    ]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  // Root writes anywhere: as root, the server runs as nobody to meet a file it may not write.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534 } : {};
  it('a read-only file or directory', () => {
    const roDir = join(dir, 'read-only');
    mkdirSync(roDir);
    const file = join(roDir, 'emulator.db');
    const db = new BetterSqlite3(file);
    db.exec('CREATE TABLE t (x)');
    db.close();
    chmodSync(file, 0o444);
    chmodSync(roDir, 0o555);
    chmodSync(dir, 0o755);
    try {
      const { status, lines } = failing({ DATABASE_PATH: file }, asNobody);
      expect(status).toBe(2);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^error: DATABASE_PATH ${file}: cannot be opened for writing: .+ \\(SQLITE_READONLY\\w*\\); give the emulator write access to the file and its directory`),
      );
      const fresh = join(roDir, 'fresh.db');
      const created = failing({ DATABASE_PATH: fresh }, asNobody);
      expect(created.status).toBe(2);
      expect(created.lines).toEqual([
        `error: DATABASE_PATH ${fresh}: cannot be opened for writing: unable to open database file (SQLITE_CANTOPEN); give the emulator write access to the file and its directory (SQLite keeps its write-ahead log and index files beside it), or choose another path`,
      ]);
    } finally {
      chmodSync(roDir, 0o755);
    }
  });

  it('shows the stack only at LOG_LEVEL=debug', () => {
    const folder = join(dir, 'not-a-db-2.db');
    writeFileSync(folder, 'text');
    const quiet = failing({ DATABASE_PATH: folder });
    expect(quiet.lines).toHaveLength(1);
    const verbose = failing({ DATABASE_PATH: folder, LOG_LEVEL: 'debug' });
    expect(verbose.status).toBe(2);
    expect(verbose.lines[0]).toBe(quiet.lines[0]);
    expect(verbose.lines[1]).toMatch(/^SqliteError: file is not a database$/);
    expect(verbose.lines.slice(2).every((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('an empty EMULATOR_ADMIN_TOKEN is a configuration error', () => {
    expect(failing({ EMULATOR_ADMIN_TOKEN: '' })).toMatchObject({
      status: 2,
      lines: ['error: EMULATOR_ADMIN_TOKEN is set but empty; give it a token, or unset it to leave the control API open'],
    });
  });
});

describe('the ready line', () => {
  it.each(['fatal', 'error', 'warn', 'info', 'debug'])('shows at LOG_LEVEL=%s', async (level) => {
    const server = await startServer({ LOG_LEVEL: level });
    try {
      const line = server.output().split('\n').find((l) => l.includes('listening on'));
      expect(JSON.parse(line as string)).toMatchObject({
        url: `${server.url}/client/v4`,
        database: ':memory:',
        msg: `risk-scoring emulator listening on ${server.url}/client/v4 (database: :memory:)`,
      });
    } finally {
      await server.stop();
    }
  });

  it('does not show at LOG_LEVEL=silent', async () => {
    const child = spawn(process.execPath, ['dist/cli.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(out).toBe('');
  });
});
