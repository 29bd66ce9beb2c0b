// The package as a user installs it: `npm pack`, then the tarball installed with production dependencies only in a
// scratch directory outside the repository. From there the bin answers --help, starts and answers a create, and the
// API starts in-process from ESM and from CommonJS, answers Cloudflare's SDK, closes, and lets the script exit on its
// own; its types check. Run by `npm run test:clients` (installing compiles better-sqlite3: a minute or two).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const scratch = mkdtempSync(join(tmpdir(), 'emulator-pack-'));
let checks = 0;
const check = (name, fn) => {
  fn();
  checks++;
  console.log(`ok - ${name}`);
};

/** Spawns a command in the scratch project; resolves with its exit code and output, failing after `ms`. */
function runIn(command, args, ms) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${ms / 1000} s (open handles?):\n${output}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

try {
  // 1. The tarball holds only what it needs.
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' }));
  const tarball = join(scratch, packed.filename);
  const tops = [...new Set(packed.files.map((f) => f.path.split('/')[0]))].sort();
  check(`the tarball holds dist/, migrations/, openapi.yaml, README, LICENSE and package.json only (${packed.files.length} files)`, () =>
    assert.deepEqual(tops, ['LICENSE', 'README.md', 'dist', 'migrations', 'openapi.yaml', 'package.json']),
  );

  // 2. Installed in a fresh project, production dependencies only, with the SDK a user's tests would use.
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
  const sdk = JSON.parse(readFileSync(join(ROOT, 'node_modules/cloudflare/package.json'), 'utf8')).version;
  execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball, `cloudflare@${sdk}`], { cwd: scratch, stdio: 'inherit' });

  // 3. The bin.
  const help = await runIn('npx', ['--no-install', 'cf-zt-risk-emulator', '--help'], 30_000);
  check('npx cf-zt-risk-emulator --help', () => {
    assert.equal(help.code, 0);
    assert.match(help.output, /^Usage: cf-zt-risk-emulator \[options\]$/m);
  });

  // The bin itself (what npx runs), so that SIGTERM reaches the server and not an npm process in between.
  const bin = join(scratch, 'node_modules', '.bin', 'cf-zt-risk-emulator');
  const server = spawn(bin, ['--port', '0', '--db', join(scratch, 'data', 'emulator.db')], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout.on('data', (chunk) => (log += chunk));
  server.stderr.on('data', (chunk) => (log += chunk));
  const started = Date.now();
  while (!/listening on (http:\/\/\S+)\/client\/v4/.test(log)) {
    if (server.exitCode !== null || Date.now() - started > 30_000) throw new Error(`the bin did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const origin = /listening on (http:\/\/\S+)\/client\/v4/.exec(log)[1];
  const created = await fetch(`${origin}/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, {
    method: 'POST',
    headers: { authorization: 'Bearer any-token', 'content-type': 'application/json' },
    body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9000', reference_id: 'idp-1' }),
  });
  const body = await created.json();
  check('the installed bin starts and answers a create', () => {
    assert.equal(created.status, 200);
    assert.equal(body.success, true);
    assert.equal(body.result.reference_id, 'idp-1');
    assert.equal(body.result.well_known_url, `${origin}/.well-known/sse-configuration/${body.result.id}`);
  });
  server.kill('SIGTERM');
  const exitCode = await new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  check('the bin stops on SIGTERM with exit code 0', () => assert.equal(exitCode, 0));

  // 4. The in-process API, from ESM and from CommonJS: each script must exit on its own after close().
  const scenario = (load) => `${load}
const emu = await startEmulator({ port: 0, databasePath: ':memory:', logLevel: 'warn' });
const cf = new Cloudflare({ apiToken: 'any-token', baseURL: emu.apiUrl });
const made = await cf.zeroTrust.riskScoring.integrations.create({ account_id: '${ACCOUNT}', integration_type: 'Okta', tenant_url: 'http://127.0.0.1:9000' });
const list = await cf.zeroTrust.riskScoring.integrations.list({ account_id: '${ACCOUNT}' });
await emu.reset('${ACCOUNT}');
const after = await cf.zeroTrust.riskScoring.integrations.list({ account_id: '${ACCOUNT}' });
await emu.close();
console.log(JSON.stringify({ url: emu.url, apiUrl: emu.apiUrl, made: made.active, listed: list.result.length, after: after.result.length }));
`;
  writeFileSync(join(scratch, 'esm.mjs'), scenario("import { startEmulator } from 'cf-zt-risk-emulator';\nimport Cloudflare from 'cloudflare';"));
  writeFileSync(
    join(scratch, 'cjs.cjs'),
    `const { startEmulator } = require('cf-zt-risk-emulator');\nconst Cloudflare = require('cloudflare');\n(async () => {\n${scenario('')}})();\n`,
  );
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    const { code, output } = await runIn(process.execPath, [file], 30_000);
    const line = output.trim().split('\n').at(-1);
    check(`startEmulator from ${file === 'esm.mjs' ? 'ESM (import)' : 'CommonJS (require)'} answers the SDK, closes, and the script exits on its own`, () => {
      assert.equal(code, 0, output);
      const seen = JSON.parse(line);
      assert.match(seen.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(seen.apiUrl, `${seen.url}/client/v4`);
      assert.deepEqual({ made: seen.made, listed: seen.listed, after: seen.after }, { made: true, listed: 1, after: 0 });
    });
  }

  // 5. The types ship with it: a TypeScript user's misuse is a compile error, correct use compiles.
  writeFileSync(
    join(scratch, 'use.ts'),
    `import { startEmulator, type Emulator, type EmulatorOptions } from 'cf-zt-risk-emulator';
const options: EmulatorOptions = { port: 0, databasePath: ':memory:', logLevel: 'warn', corsOrigins: ['http://localhost:3000'] };
export const started: Promise<Emulator> = startEmulator(options);
export const apiUrl: Promise<string> = started.then((emu) => emu.apiUrl);
// @ts-expect-error port is a number
void startEmulator({ port: 'x' });
`,
  );
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const typed = await runIn(process.execPath, [tsc, '-p', 'tsconfig.json'], 60_000);
  check('the package ships its types (exports.types)', () => assert.equal(typed.code, 0, typed.output));

  console.log(`pack: ${checks} checks passed`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
