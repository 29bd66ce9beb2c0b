// What the emulator serves for the dashboard: the redirect a browser gets at /, the page, its script and style
// sheet (served without the admin token, since they hold no account data, and never journaled), and nothing else
// at / for a client that does not ask for HTML.
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, makeApp } from '../support/app.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const NO_ROUTE = {
  success: false,
  errors: [
    { code: 7003, message: 'Could not route to /, perhaps your object identifier is invalid?' },
    { code: 7000, message: 'No route for that URI' },
  ],
  messages: [],
  result: null,
};
const PAGES = ['/__emulator/ui/', '/__emulator/ui', `/__emulator/ui/accounts/${ACCOUNT}`, `/__emulator/ui/accounts/${ACCOUNT}/deliveries/some-jti`];
const ASSETS = ['/__emulator/ui/dashboard.js', '/__emulator/ui/dashboard.css'];

let app: FastifyInstance;
afterEach(async () => {
  await app.close();
});

describe('GET /', () => {
  it('sends a browser to the dashboard', async () => {
    app = await makeApp();
    for (const accept of [BROWSER_ACCEPT, 'text/html', 'application/json;q=0.5, text/html']) {
      const res = await app.inject({ method: 'GET', url: '/', headers: { accept } });
      expect({ accept, status: res.statusCode, location: res.headers.location }).toEqual({ accept, status: 302, location: '/__emulator/ui/' });
    }
  });

  it('keeps the 404 envelope for a client that does not ask for HTML first, and for any other method', async () => {
    app = await makeApp();
    const asked: Array<[string, Record<string, string>]> = [
      ['GET', {}],
      ['GET', { accept: '*/*' }],
      ['GET', { accept: 'application/json' }],
      ['GET', { accept: 'application/json, text/html;q=0.5' }],
      ['GET', { accept: 'text/html;q=0' }],
      ['POST', { accept: BROWSER_ACCEPT }],
      ['DELETE', { accept: BROWSER_ACCEPT }],
    ];
    for (const [method, headers] of asked) {
      const res = await app.inject({ method: method as 'GET', url: '/', headers });
      expect({ method, headers, status: res.statusCode, type: res.headers['content-type'], body: res.json() }).toEqual({
        method,
        headers,
        status: 404,
        type: 'application/json; charset=utf-8',
        body: NO_ROUTE,
      });
    }
  });
});

describe('the dashboard page, script and style sheet', () => {
  it('are served at their addresses without the admin token, with no account data and nothing from another origin', async () => {
    app = await makeApp({ adminToken: 'admin-s3cret' });
    await app.inject({ method: 'POST', url: `/__emulator/v1/accounts/${ACCOUNT}/risk-events`, headers: { authorization: 'Bearer admin-s3cret' }, payload: {
      user_id: '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234', email: 'ada@example.com', name: 'Ada Lovelace', behavior: 'imp_travel',
    } });
    const page = (await app.inject({ method: 'GET', url: '/__emulator/ui/' })).body;
    for (const url of PAGES) {
      const res = await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode, type: res.headers['content-type'], same: res.body === page }).toEqual({
        url,
        status: 200,
        type: 'text/html; charset=utf-8',
        same: true,
      });
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      );
    }
    expect(page).toContain('<script type="module" src="/__emulator/ui/dashboard.js"></script>');
    expect(page).toContain('<link rel="stylesheet" href="/__emulator/ui/dashboard.css">');
    const types = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
    for (const url of ASSETS) {
      const res = await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({ url, status: 200, type: types[url.endsWith('.js') ? 'js' : 'css'] });
    }
    for (const url of [PAGES[0] as string, ...ASSETS]) {
      const body = (await app.inject({ method: 'GET', url })).body;
      expect(body, url).not.toContain('ada@example.com');
      expect(body, url).not.toContain(ACCOUNT);
      // No CDN, no font or script from elsewhere: the only absolute URLs would be another origin's.
      expect(body.match(/https?:\/\/[^\s'"`)]*/g), url).toBeNull();
    }
  });

  it('weigh at most 150 KB together', async () => {
    app = await makeApp();
    let total = 0;
    for (const url of [PAGES[0] as string, ...ASSETS]) total += (await app.inject({ method: 'GET', url })).rawPayload.length;
    expect(total).toBeLessThanOrEqual(150 * 1024);
  });

  it('are never journaled nor answered by a fault rule, as the emulator\'s own routes', async () => {
    app = await makeApp();
    await app.inject({ method: 'POST', url: '/__emulator/v1/faults', payload: { path: '/**', status: 500 } });
    for (const url of [...PAGES, ...ASSETS]) expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/', headers: { accept: BROWSER_ACCEPT } })).statusCode).toBe(302);
    expect((await app.inject({ method: 'GET', url: '/__emulator/v1/journal' })).json().result).toEqual([]);
  });

  it('has no other address under /__emulator/ui/', async () => {
    app = await makeApp();
    const res = await app.inject({ method: 'GET', url: '/__emulator/ui/accounts' });
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[1]).toEqual({ code: 7000, message: 'No route for that URI' });
  });
});
