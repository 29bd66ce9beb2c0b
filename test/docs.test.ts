// The OpenAPI document as served, and Swagger UI driven in a real headless Chromium.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACCOUNT, TOKEN } from './support/app.js';
import { CHROMIUM, hasChromium, launchChromium, type Browser } from './support/chromium.js';
import { ROOT, startServer, type RunningServer } from './support/server.js';

if (!hasChromium) console.warn(`Skipping the Swagger UI browser test: ${CHROMIUM} is missing; install it with: apt-get install -y chromium`);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
});

describe('the OpenAPI document', () => {
  it('is served at /openapi.json with exactly the content of the committed openapi.yaml', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const committed = readFileSync(join(ROOT, 'openapi.yaml'), 'utf8');
    expect(await res.json()).toEqual(parse(committed));
    expect(await (await fetch(`${server.url}/openapi.yaml`)).text()).toBe(committed);
  });

  it('documents the control API under its own tag, with the relative /client/v4 server', async () => {
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    expect(doc.servers).toEqual([{ url: '/client/v4', description: 'This emulator' }]);
    expect(doc.paths['/__emulator/v1/accounts/{account_id}/reset'].post.tags).toEqual(['Emulator controls']);
    expect(doc.paths['/__emulator/v1/faults'].post.operationId).toBe('emulator-fault-create');
  });
});

describe('Swagger UI and the document under other spellings of their paths', () => {
  // Made on first request by a second Fastify instance (src/docs/routes.ts), which must route as the app does.
  it.each([
    ['/client/v4/docs', '/docs'],
    ['//docs', '/docs'],
    ['/docs/json/', '/docs/json'],
    ['/client/v4/openapi.yaml', '/openapi.yaml'],
  ])('%s answers as %s', async (spelling, plain) => {
    const [a, b] = await Promise.all([fetch(`${server.url}${spelling}`), fetch(`${server.url}${plain}`)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.headers.get('content-type')).toBe(b.headers.get('content-type'));
    expect(await a.text()).toBe(await b.text());
  });

  it('a file Swagger UI does not have is a 404 in the failure envelope', async () => {
    const res = await fetch(`${server.url}/docs/nope`);
    expect(res.status).toBe(404);
    const body = await res.json();
    expect(body.success).toBe(false);
    expect(body.errors[0].code).toBe(7003);
  });
});

describe.skipIf(!hasChromium)('Swagger UI at /docs in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the operations, and "Try it out" on the list operation shows a 200', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/docs`);
    const list = page.locator('[id$="-dlp-zt-risk-score-integration-list"]');
    await list.waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('[id$="-emulator-reset-account"]').count()).toBe(1);

    // Authorize with a bearer token through the dialog, as a user would.
    await page.locator('.auth-wrapper .authorize').click();
    const bearer = page.locator('.auth-container').filter({ hasText: 'api_token' });
    await bearer.locator('input').fill(TOKEN);
    await bearer.locator('button.authorize').click();
    await bearer.locator('.btn-done').click();

    await list.locator('.opblock-summary').click();
    await list.locator('.try-out__btn').click();
    await list.locator('input[placeholder="account_id"]').fill(ACCOUNT);
    await list.locator('.execute').click();
    const status = list.locator('.live-responses-table tbody .response-col_status');
    await status.waitFor({ timeout: 20_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(await list.locator('.live-responses-table .microlight').first().innerText()).toContain('"success": true');
    const journal = await (await fetch(`${server.url}/__emulator/v1/journal?method=GET&path=/accounts/**`)).json();
    expect(journal.result.at(-1)).toMatchObject({ path: `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, status: 200 });
    await page.close();
  });
});
