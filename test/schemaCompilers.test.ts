// The app compiles route schemas lazily and once per schema object (src/schemaCompilers.ts). These tests hold it
// to what Fastify's eager default gives: every schema compiles, and every route answers the same bytes.
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ACCOUNT, AUTH, makeApp, sequentialIds, tickingClock } from './support/app.js';
import { documentedPaths } from './support/openapi.js';

const ID1 = '00000000-0000-4000-8000-000000000001';
const INTEGRATIONS = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  apps = [];
});

async function app(eagerSchemas: boolean): Promise<FastifyInstance> {
  const made = await makeApp({ port: 4010, host: '127.0.0.1' }, { newId: sequentialIds(), now: tickingClock(), eagerSchemas });
  apps.push(made);
  return made;
}

/** Every operation of the OpenAPI document, with its path parameters filled in. */
async function operations(app: FastifyInstance): Promise<Array<{ method: string; url: string }>> {
  const paths = await documentedPaths(app);
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({
      method: method.toUpperCase(),
      url: (path.startsWith('/accounts/') ? '/client/v4' : '') +
        path.replace('{account_id}', ACCOUNT).replace('{integration_id}', ID1).replace(/\{\w+\}/g, 'no-such-thing'),
    })),
  );
}

/**
 * What a client sees, minus what differs between any two runs whatever compiles the schemas: wall-clock
 * times and durations in the journal, and freshly generated RSA keys.
 */
function seen(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  const body = res.body
    .replace(/"(time|duration_ms)":("[^"]*"|[\d.]+)/g, '"$1":0')
    .replace(/"(n|kid|x5t#S256|private_key|public_key|private_jwk|public_jwk)":"[^"]*"/g, '"$1":""');
  return { status: res.statusCode, type: res.headers['content-type'], allow: res.headers.allow, body };
}

describe('route schemas', () => {
  it('all compile, as Fastify checks when it compiles them eagerly at start-up', async () => {
    const eager = await app(true);
    expect((await operations(eager)).length).toBeGreaterThan(40);
  });

  it('compiled on first use answer every operation exactly as eagerly compiled ones do, valid and invalid input alike', async () => {
    const [lazy, eager] = [await app(false), await app(true)];
    const requests: InjectOptions[] = [
      { method: 'POST', url: INTEGRATIONS, payload: { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'idp-1' } },
      { method: 'POST', url: INTEGRATIONS, payload: { integration_type: 'Okta', tenant_url: 'https://b.okta.com', active: 'yes', extra: 1 } },
      { method: 'POST', url: INTEGRATIONS, payload: '{"integration_type":', headers: { 'content-type': 'application/json' } },
    ];
    for (const { method, url } of await operations(eager)) {
      requests.push({ method: method as InjectOptions['method'], url });
      if (method !== 'GET' && method !== 'DELETE') {
        requests.push({ method: method as InjectOptions['method'], url, payload: {} });
        requests.push({ method: method as InjectOptions['method'], url, payload: [1, 'two'] });
        requests.push({ method: method as InjectOptions['method'], url, payload: { active: 'true', behaviors: 3, subjects: null, events_requested: [1] } });
      }
      requests.push({ method: method as InjectOptions['method'], url: `${url}?page=zero&per_page=-1&limit=x` });
    }
    // The journal last, so that it holds the answers to everything above.
    requests.push({ method: 'GET', url: '/__emulator/v1/journal' });
    for (const request of requests) {
      const withAuth = { ...request, headers: { ...AUTH, ...request.headers } };
      const [a, b] = [await lazy.inject(withAuth), await eager.inject(withAuth)];
      expect({ request: `${request.method} ${request.url}`, ...seen(a) }).toEqual({ request: `${request.method} ${request.url}`, ...seen(b) });
    }
    expect(requests.length).toBeGreaterThan(100);
  });
});
