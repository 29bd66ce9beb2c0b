// The image as users run it: built from the Dockerfile, published on a loopback port, data on a named volume,
// driven with fetch and the official SDK, stopped with `stop`, restarted on the same volume.
// Engine: CONTAINER_ENGINE, else `docker` when a Docker engine answers, else `podman`.
// Build command: CONTAINER_BUILD (e.g. "bash ../shared/tools/container/build.sh" in .ci/run), else `<engine> build`.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort } from '../support/server.js';

const run = promisify(execFile);
const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const TOKEN = 'Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY';
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const INTEGRATIONS = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const BASE_IMAGE = 'node:20-bookworm-slim';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

async function engineAnswers(engine: string): Promise<boolean> {
  try {
    await run(engine, ['info'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const ENGINE = process.env.CONTAINER_ENGINE || ((await engineAnswers('docker')) ? 'docker' : 'podman');
const BUILD = (process.env.CONTAINER_BUILD || `${ENGINE} build`).trim().split(/\s+/);
const IMAGE = process.env.CONTAINER_IMAGE || 'cf-zt-risk-emulator:test';
const PREFIX = `cf-zt-risk-emulator-test-${process.pid}`;
const VOLUME = `${PREFIX}-data`;
const containers: string[] = [];

/** Runs the engine CLI; resolves with trimmed stdout, rejects with stderr in the message. */
async function engine(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run(ENGINE, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const e = error as Error & { stderr?: string; stdout?: string };
    throw new Error(`${ENGINE} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Builds the image with the build output streamed to the console, as a user would see it. */
function buildImage(): Promise<void> {
  const [command, ...args] = BUILD as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, '-t', IMAGE, '.'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${BUILD.join(' ')} exited with ${code}`))));
  });
}

interface Started {
  name: string;
  /** The published address on the host's loopback. */
  url: string;
}

/** `run -d` with a published loopback port (given to `env` to build PUBLIC_URL) and the named volume on /data. */
async function startContainer(env: (hostPort: number) => Record<string, string> = () => ({}), containerPort = 4010): Promise<Started> {
  const name = `${PREFIX}-${containers.length + 1}`;
  const port = await freePort();
  const envArgs = Object.entries(env(port)).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  containers.push(name);
  // --pull=never: the image was built here a moment ago; no registry is involved.
  await engine('run', '-d', '--pull=never', '--name', name, '-p', `127.0.0.1:${port}:${containerPort}`, '-v', `${VOLUME}:/data`, ...envArgs, IMAGE);
  return { name, url: `http://127.0.0.1:${port}` };
}

async function healthStatus(name: string): Promise<string> {
  // Docker and podman 4.x both expose the health state under State.Health.
  return engine('inspect', '--format', '{{.State.Health.Status}}', name);
}

/** Waits until /readyz answers through the published port, then until the image's HEALTHCHECK reports healthy. */
async function waitHealthy({ name, url }: Started): Promise<void> {
  const deadline = Date.now() + 60_000;
  const fail = async (what: string) => {
    throw new Error(`${name}: ${what} within 60 s\n${await engine('logs', name).catch(String)}`);
  };
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) await fail('/readyz did not answer 200');
    await new Promise((r) => setTimeout(r, 250));
  }
  for (;;) {
    // Podman runs health checks from systemd timers; where there is no systemd, run the check on demand.
    // Either way it is the image's HEALTHCHECK command that decides.
    if (ENGINE === 'podman') await engine('healthcheck', 'run', name).catch(() => undefined);
    const status = await healthStatus(name);
    if (status === 'healthy') return;
    if (Date.now() > deadline) await fail(`health status is still "${status}"`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function api(url: string, method: string, path = '', body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${url}${INTEGRATIONS}${path}`, {
    method,
    headers: AUTH,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  console.log(`container test: engine ${ENGINE}, build command: ${BUILD.join(' ')} -t ${IMAGE} .`);
  await buildImage();
  await engine('volume', 'create', VOLUME);
});

afterAll(async () => {
  for (const name of containers) await engine('rm', '-f', '-v', name).catch((e: Error) => console.error(e.message));
  await engine('volume', 'rm', '-f', VOLUME).catch((e: Error) => console.error(e.message));
});

describe(`the container image (${ENGINE})`, () => {
  let first: Started;
  let kept: Record<string, unknown>;

  it('stays within 50 MB of its base image', async () => {
    const size = Number(await engine('image', 'inspect', '--format', '{{.Size}}', IMAGE));
    // BuildKit keeps the FROM image in its own cache, not in `docker images`: fetch it to measure it.
    const baseSize = () => engine('image', 'inspect', '--format', '{{.Size}}', BASE_IMAGE);
    const base = Number(await baseSize().catch(async () => (await engine('pull', BASE_IMAGE), baseSize())));
    console.log(`image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB; base ${BASE_IMAGE}: ${(base / 1e6).toFixed(1)} MB; added ${((size - base) / 1e6).toFixed(1)} MB`);
    expect(base).toBeGreaterThan(0);
    expect(size - base).toBeLessThan(50_000_000);
  });

  it('starts with the image defaults and becomes healthy on a published loopback port', async () => {
    first = await startContainer();
    await waitHealthy(first);
    const ready = await fetch(`${first.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', schema_version: expect.any(Number) });
    const logs = await engine('logs', first.name);
    // HOST=0.0.0.0, PORT=4010 and DATABASE_PATH=/data/emulator.db come from the image's ENV.
    expect(logs).toContain('listening on http://127.0.0.1:4010/client/v4 (database: /data/emulator.db)');
  });

  it('serves the API: create and list over HTTP', async () => {
    const created = await api(first.url, 'POST', '', { integration_type: 'Okta', tenant_url: 'https://kept.okta.com', reference_id: 'kept-1' });
    expect(created.status).toBe(200);
    kept = created.json.result as Record<string, unknown>;
    expect(created.json).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        id: expect.stringMatching(UUID),
        account_tag: ACCOUNT,
        integration_type: 'Okta',
        reference_id: 'kept-1',
        tenant_url: 'https://kept.okta.com',
        well_known_url: `http://127.0.0.1:4010/.well-known/sse-configuration/${kept.id as string}`,
        active: true,
        created_at: expect.stringMatching(RFC3339),
      },
    });
    const listed = await api(first.url, 'GET');
    expect(listed.status).toBe(200);
    expect(listed.json.result).toEqual([kept]);
  });

  it('serves the official cloudflare SDK: create, get, list, update, delete', async () => {
    const client = new Cloudflare({ apiToken: TOKEN, baseURL: `${first.url}/client/v4`, maxRetries: 0 });
    const integrations = client.zeroTrust.riskScoring.integrations;
    const created = await integrations.create({ account_id: ACCOUNT, integration_type: 'Okta', tenant_url: 'https://sdk.okta.com' });
    expect(created).toMatchObject({ account_tag: ACCOUNT, tenant_url: 'https://sdk.okta.com', active: true });
    const got = await integrations.get(created.id, { account_id: ACCOUNT });
    expect(got).toEqual(created);
    const listed = [];
    for await (const integration of integrations.list({ account_id: ACCOUNT })) listed.push(integration);
    expect(listed.map((i) => i.id).sort()).toEqual([kept.id as string, created.id].sort());
    const updated = await integrations.update(created.id, { account_id: ACCOUNT, tenant_url: 'https://sdk2.okta.com', active: false });
    expect(updated).toEqual({ ...created, tenant_url: 'https://sdk2.okta.com', active: false });
    expect(await integrations.delete(created.id, { account_id: ACCOUNT })).toBeNull();
    await expect(integrations.get(created.id, { account_id: ACCOUNT })).rejects.toMatchObject({ status: 404 });
  });

  it('stops on SIGTERM with exit code 0 within the 5 s grace period', async () => {
    const started = Date.now();
    // After 5 s the engine would SIGKILL, and the exit code would be 137, not 0.
    await engine('stop', '-t', '5', first.name);
    console.log(`${ENGINE} stop took ${Date.now() - started} ms`);
    expect(await engine('inspect', '--format', '{{.State.ExitCode}}', first.name)).toBe('0');
    expect(await engine('logs', first.name)).toContain('"signal":"SIGTERM","msg":"shutting down"');
  });

  describe('a new container on the same volume, configured through -e', () => {
    let second: Started;
    beforeAll(async () => {
      // PORT moves the listener (and the HEALTHCHECK must follow it); PUBLIC_URL is the published address.
      second = await startContainer((hostPort) => ({ PORT: '8080', PUBLIC_URL: `http://localhost:${hostPort}`, LOG_LEVEL: 'warn' }), 8080);
      await waitHealthy(second);
    });

    it('finds the data written by the first container', async () => {
      const listed = await api(second.url, 'GET');
      expect(listed.status).toBe(200);
      // well_known_url follows the server's current PUBLIC_URL; everything else is as stored.
      const published = second.url.replace('127.0.0.1', 'localhost');
      expect(listed.json.result).toEqual([{ ...kept, well_known_url: `${published}/.well-known/sse-configuration/${kept.id as string}` }]);
    });

    it('takes PORT, PUBLIC_URL and LOG_LEVEL from the environment', async () => {
      const created = await api(second.url, 'POST', '', { integration_type: 'Okta', tenant_url: 'https://second.okta.com' });
      const result = created.json.result as Record<string, unknown>;
      const published = second.url.replace('127.0.0.1', 'localhost');
      expect(result.well_known_url).toBe(`${published}/.well-known/sse-configuration/${result.id as string}`);
      // warn: the ready line only (it is written at every level but silent), none of the request lines.
      const logs = (await engine('logs', second.name)).trim().split('\n');
      expect(logs).toHaveLength(1);
      expect(JSON.parse(logs[0] as string)).toMatchObject({ level: 30, msg: `risk-scoring emulator listening on ${published}/client/v4 (database: /data/emulator.db)` });
    });

    it('runs the server as PID 1, as the unprivileged user node', async () => {
      expect(await engine('exec', second.name, 'id', '-un')).toBe('node');
      const status = await engine('exec', second.name, 'cat', '/proc/1/status');
      expect(status).toMatch(/^Uid:\t1000\t1000\t1000\t1000$/m);
      expect(status).toMatch(/^Gid:\t1000\t1000\t1000\t1000$/m);
      const cmdline = await engine('exec', second.name, 'cat', '/proc/1/cmdline');
      expect(cmdline.split('\0').filter(Boolean)).toEqual(['node', 'dist/server.js']);
    });
  });
});
