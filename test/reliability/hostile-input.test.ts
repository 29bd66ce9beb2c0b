// Property-based: random methods, path segments, headers and bodies at every route never get a 5xx
// or a hang; every refusal is the failure envelope, and no refused request changes anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ACCOUNT, AUTH, OTHER_ACCOUNT, makeApp } from '../support/app.js';
import { cloudflareOperations } from '../support/contract.js';
import { expectFailureEnvelope } from './envelope.js';
import { rawRequest } from './raw.js';

let app: FastifyInstance;
let port: number;
const seeded: string[] = [];

/** Every row of every account's tables, as the state export gives them: "state unchanged" means this is identical. */
async function snapshot(): Promise<unknown> {
  const res = await app.inject({ method: 'GET', url: '/__emulator/v1/state' });
  if (res.statusCode !== 200) throw new Error(res.body);
  return res.json().result;
}

beforeAll(async () => {
  app = await makeApp();
  for (const [account, ref] of [
    [ACCOUNT, 'idp-1'],
    [ACCOUNT, 'idp-2'],
    [OTHER_ACCOUNT, 'idp-1'],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: `/client/v4/accounts/${account}/zt_risk_scoring/integrations`,
      headers: AUTH,
      payload: { integration_type: 'Okta', tenant_url: 'https://seed.okta.com', reference_id: ref },
    });
    seeded.push(res.json().result.id);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
});

/** Route templates: Cloudflare's operations plus the emulator's own paths. */
const templates = [...new Set(cloudflareOperations.map((op) => op.path)), '/healthz', '/readyz'];

const hostileSegment = fc.oneof(
  fc.uuid(), // well-formed but unknown: never one of the seeded ids (see filter below)
  fc.string({ maxLength: 40 }),
  fc.constantFrom('..', '%2e%2e', '%2F', '%00', '%ff', '%E0%A4%A', '{id}', ' ', '?x=1', '#', ';', 'a'.repeat(2000), 'reference_id'),
  fc.stringMatching(/^[0-9a-f]{32}$/),
);

const path = fc
  .record({
    template: fc.constantFrom(...templates),
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
  })
  .filter((p) => !seeded.some((id) => p.includes(id)));

const credentials = fc.oneof(
  fc.constant(AUTH),
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

type Hostile = typeof request extends fc.Arbitrary<infer T> ? T : never;

function isRead(r: Hostile): boolean {
  return r.method === 'GET' || r.method === 'HEAD' || r.method === 'OPTIONS';
}

describe('hostile input', () => {
  it('never answers 5xx, always answers a refusal with the failure envelope, and changes nothing', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { ...r.headers, ...r.credentials };
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        const res = await app.inject({
          method: r.method as InjectOptions['method'],
          url: r.url,
          headers,
          ...(r.body === undefined ? {} : { payload: r.body }),
        });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) {
          if (r.method !== 'HEAD') expectFailureEnvelope(res.body);
        } else {
          // Only reads may succeed (GET of an existing account's list, a health probe...).
          expect(isRead(r)).toBe(true);
        }
      }),
      { numRuns: 400, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(await snapshot()).toEqual(before);
  });

  it('over real HTTP, random raw requests each get a complete answer below 500', async () => {
    const before = await snapshot();
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
        const res = await rawRequest(port, raw);
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 && method !== 'HEAD') expectFailureEnvelope(res.body);
      }),
      { numRuns: 60, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(await snapshot()).toEqual(before);
  });
});
