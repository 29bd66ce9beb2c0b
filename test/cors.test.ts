import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, AUTH, makeApp } from './support/app.js';

const URL = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const PREFLIGHT = {
  origin: 'http://localhost:3000',
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization, content-type',
};
let app: FastifyInstance;
afterEach(async () => {
  await app.close();
});

describe('CORS', () => {
  it('is off by default: no Access-Control headers, and a preflight is not answered as one', async () => {
    app = await makeApp();
    const preflight = await app.inject({ method: 'OPTIONS', url: URL, headers: PREFLIGHT });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBe(405);
    const get = await app.inject({ method: 'GET', url: URL, headers: { ...AUTH, origin: 'http://localhost:3000' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('with CORS_ORIGINS, answers preflights without credentials and marks answers for allowed origins', async () => {
    app = await makeApp({ corsOrigins: ['http://localhost:3000'] });
    const preflight = await app.inject({ method: 'OPTIONS', url: URL, headers: PREFLIGHT });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST, PUT, PATCH, DELETE');
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
    expect(preflight.headers['access-control-max-age']).toBe('600');
    const get = await app.inject({ method: 'GET', url: URL, headers: { ...AUTH, origin: 'http://localhost:3000' } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(get.headers['access-control-expose-headers']).toBe('retry-after, x-emulator-fault');
    const other = await app.inject({ method: 'GET', url: URL, headers: { ...AUTH, origin: 'http://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('"*" allows any origin', async () => {
    app = await makeApp({ corsOrigins: ['*'] });
    const preflight = await app.inject({ method: 'OPTIONS', url: URL, headers: { ...PREFLIGHT, origin: 'http://anything.example' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });
});
