// Property-based: random methods, path segments, headers and bodies at every route (Cloudflare's, /ssf/*,
// /.well-known/*, /__emulator/*, with the admin token on and off) never get a 5xx or a hang; every refusal is
// the failure envelope, and no refused request changes anything (a control write that succeeds may).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ACCOUNT, AUTH, OTHER_ACCOUNT, makeApp } from '../support/app.js';
import { expectFailureEnvelope } from './envelope.js';
import { rawRequest } from './raw.js';
import { documentedPaths } from '../support/openapi.js';

let app: FastifyInstance;
let port: number;
const seeded: string[] = [];
const ADMIN_TOKEN = 'hostile-admin-token';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Every row of every account's tables (the state export) and the fault rules: "unchanged" means identical. */
async function snapshot(on: FastifyInstance = app): Promise<unknown> {
  const state = await on.inject({ method: 'GET', url: '/__emulator/v1/state?secrets=true', headers: ADMIN });
  const faults = await on.inject({ method: 'GET', url: '/__emulator/v1/faults', headers: ADMIN });
  if (state.statusCode !== 200 || faults.statusCode !== 200) throw new Error(state.body + faults.body);
  return { state: state.json().result, faults: faults.json().result };
}

async function seed(on: FastifyInstance): Promise<void> {
  for (const [account, ref] of [
    [ACCOUNT, 'idp-1'],
    [ACCOUNT, 'idp-2'],
    [OTHER_ACCOUNT, 'idp-1'],
  ] as const) {
    const res = await on.inject({
      method: 'POST',
      url: `/client/v4/accounts/${account}/zt_risk_scoring/integrations`,
      headers: AUTH,
      payload: { integration_type: 'Okta', tenant_url: 'https://seed.okta.com', reference_id: ref },
    });
    seeded.push(res.json().result.id);
  }
}

beforeAll(async () => {
  // A poll that waits would be a hang by this test's measure: polls answer at once.
  app = await makeApp({ ssfPollWaitMs: 0 });
  await seed(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
});

/** Route templates: every path the emulator documents (Cloudflare's, /ssf, /.well-known, controls, probes). */
let templates: string[] = [];
beforeAll(async () => {
  const probe = await makeApp();
  templates = Object.keys(await documentedPaths(probe));
  await probe.close();
});

const hostileSegment = fc.oneof(
  fc.uuid(),
  fc.constantFrom(...[0, 1, 2].map((i) => () => seeded[i] as string)).map((id) => id()),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('..', '%2e%2e', '%2F', '%00', '%ff', '%E0%A4%A', '{id}', ' ', '?x=1', '#', ';', 'a'.repeat(2000), 'reference_id'),
  fc.stringMatching(/^[0-9a-f]{32}$/),
);

const path = fc
  .record({
    template: fc.integer({ min: 0, max: 10_000 }).map((i) => templates[i % templates.length] as string),
    account: fc.oneof(fc.constantFrom(ACCOUNT, OTHER_ACCOUNT), hostileSegment),
    segment: hostileSegment,
    prefix: fc.constantFrom('/client/v4', '', '/client/v4/', '/client/v5'),
    extra: fc.option(fc.array(hostileSegment, { maxLength: 3 }), { nil: undefined }),
  })
  .map(({ template, account, segment, prefix, extra }) => {
    const filled = template
      .replace('{account_id}', encodeURI(account))
      .replace(/\{[a-z_]+\}/g, () => encodeURI(segment).replace(/\?/g, '%3F').replace(/#/g, '%23'));
    const tail = extra ? `/${extra.map((s) => encodeURIComponent(s)).join('/')}` : '';
    return `${template.startsWith('/accounts') ? prefix : ''}${filled}${tail}`.replace(/^(?!\/)/, '/');
  });

const credentials = fc.oneof(
  fc.constant(AUTH),
  fc.constant(ADMIN),
  fc.constant({}),
  fc.record({ authorization: fc.oneof(fc.string(), fc.constant('Bearer'), fc.constant('Basic dXNlcjpwYXNz')) }),
  fc.record({ 'x-auth-email': fc.string(), 'x-auth-key': fc.string() }, { requiredKeys: [] }),
);

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), printable, { maxKeys: 4 });
const contentType = fc.option(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', ''),
  { nil: undefined },
);

/** A valid create/update body with one field broken: always refused, never written. */
const brokenBody = fc
  .record({
    field: fc.constantFrom('integration_type', 'tenant_url', 'active', 'reference_id'),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('okta', 'ftp://x', 'not a url', '', 'true', 0, 'a'.repeat(3000))),
  })
  .map(({ field, value }) => {
    const body: Record<string, unknown> = { integration_type: 'Okta', tenant_url: 'https://x.okta.com', active: true };
    if (field === 'tenant_url' && typeof value === 'string' && /^https?:\/\/[^/?#\s]+/i.test(value)) value = 42;
    if (field === 'reference_id' && !(typeof value === 'string' && value.length > 0 && value.length <= 255)) body.reference_id = value;
    else if (field === 'reference_id') delete body.tenant_url;
    else body[field] = value;
    return JSON.stringify(body);
  });

const body = fc.option(
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    brokenBody,
    fc.integer({ min: 33, max: 5000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
    fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{', 'null', '"Okta"', '[]', '{}'),
  ),
  { nil: undefined },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
  url: path,
  credentials,
  headers: extraHeaders,
  contentType,
  body,
});

async function hostileRequests(on: FastifyInstance, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const headers: Record<string, string> = { ...r.headers, ...r.credentials };
      if (r.contentType !== undefined) headers['content-type'] = r.contentType;
      const before = await snapshot(on);
      const res = await on.inject({
        method: r.method as InjectOptions['method'],
        url: r.url,
        headers,
        ...(r.body === undefined ? {} : { payload: r.body }),
      });
      expect(res.statusCode).toBeLessThan(500);
      if (res.statusCode >= 400) {
        if (r.method !== 'HEAD') expectFailureEnvelope(res.body);
        expect(await snapshot(on)).toEqual(before);
      }
      // A fault rule that a random body happened to make would answer later requests with its own status.
      await on.inject({ method: 'DELETE', url: '/__emulator/v1/faults', headers: ADMIN });
    }),
    { numRuns, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
  );
}

describe('hostile input', () => {
  it('never answers 5xx, always answers a refusal with the failure envelope, and a refusal changes nothing', async () => {
    await hostileRequests(app, 400);
  });

  it('the same with EMULATOR_ADMIN_TOKEN set: control calls without it are refused and change nothing', async () => {
    const guarded = await makeApp({ ssfPollWaitMs: 0, adminToken: ADMIN_TOKEN });
    try {
      await seed(guarded);
      await hostileRequests(guarded, 300);
      const refused = await guarded.inject({ method: 'POST', url: '/__emulator/v1/reset' });
      expect(refused.statusCode).toBe(401);
      expect((await snapshot(guarded) as { state: { tables: { integrations: unknown[] } } }).state.tables.integrations.length).toBeGreaterThan(0);
    } finally {
      await guarded.close();
    }
  });

  it('over real HTTP, random raw requests each get a complete answer below 500', async () => {
    const line = fc.record({
      method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.stringMatching(/^[A-Z]{1,10}$/)),
      url: path,
      headers: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), printable), { maxLength: 5 }),
      auth: fc.boolean(),
      body: fc.option(fc.oneof(fc.string({ maxLength: 200 }), brokenBody), { nil: undefined }),
      garbage: fc.option(fc.uint8Array({ minLength: 1, maxLength: 50 }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(line, async ({ method, url, headers, auth, body: text, garbage }) => {
        const payload = Buffer.from(text ?? '');
        const head = [
          `${method} ${url} HTTP/1.1`,
          'Host: 127.0.0.1',
          ...(auth ? [`Authorization: ${AUTH.authorization}`] : []),
          ...headers.filter(([name]) => !/^(content-length|transfer-encoding|host|expect|connection)$/i.test(name)).map(([n, v]) => `${n}: ${v}`),
          'Content-Type: application/json',
          `Content-Length: ${payload.length}`,
          'Connection: close',
        ].join('\r\n');
        // Garbage in place of the request line's end turns it into a malformed request.
        const raw = Buffer.concat([Buffer.from(head), garbage ? Buffer.from(garbage) : Buffer.alloc(0), Buffer.from('\r\n\r\n'), payload]);
        const before = await snapshot();
        const res = await rawRequest(port, raw);
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          if (method !== 'HEAD') expectFailureEnvelope(res.body);
          expect(await snapshot()).toEqual(before);
        }
        await app.inject({ method: 'DELETE', url: '/__emulator/v1/faults', headers: ADMIN });
      }),
      { numRuns: 60, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
  });
});
