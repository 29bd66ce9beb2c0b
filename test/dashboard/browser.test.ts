// The dashboard in headless Chromium against the real server (`npm start`'s entry), with a local SET receiver as
// the tenant of an integration made through the official SDK: the chain from a risk event to the receiver's answer,
// page by page; the actions; new data showing without a reload; and, with an admin token, nothing without it.
// Each page's screenshot goes to test-results/dashboard/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Cloudflare from 'cloudflare';
import type { Locator, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasChromium, launchChromium, CHROMIUM, type Browser } from '../support/chromium.js';
import { ROOT, startServer, type RunningServer } from '../support/server.js';
import { OKTA_PATH, startReceiver, type Receiver } from '../ssf/receiver.js';

const OUTPUT = join(ROOT, 'test-results', 'dashboard');
const ACCOUNT = '7d1e0c4b9a8f4e2d8c6b5a4f3e2d1c0b';
const LIVE_ACCOUNT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const ADA = { user_id: '6f0c1b7e-2a4d-4c1e-9a7b-3d5e8f901234', email: 'ada@example.com', name: 'Ada Lovelace' };
const ADMIN_TOKEN = 'dashboard-admin-s3cret';
/** Waiting for something to show, never a measure of speed: generous for a loaded CI machine. */
const SHOWS_WITHIN = 15_000;

if (!hasChromium) console.warn(`Skipping the dashboard browser tests: ${CHROMIUM} is missing; install it with: apt-get install -y chromium`);

let browser: Browser;
let receiver: Receiver;
beforeAll(async () => {
  if (!hasChromium) return;
  mkdirSync(OUTPUT, { recursive: true });
  receiver = await startReceiver();
  browser = await launchChromium({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});

/** The texts of a row's cells. */
async function cells(row: Locator): Promise<string[]> {
  return (await row.locator('td').allInnerTexts()).map((text) => text.trim());
}

/** The rows of the table labelled `name` (its caption), header excluded. */
function rows(page: Page, name: string | RegExp): Locator {
  return page.getByRole('table', { name }).locator('tbody tr');
}

/** Every form field of the page has a label. */
async function unlabelledFields(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select, textarea')]
      .filter((field) => field.labels?.length === 0 && !field.getAttribute('aria-label'))
      .map((field) => field.outerHTML),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true });
}

function controlOf(server: RunningServer, token?: string) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}/__emulator/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const answer = (await response.json()) as { result: unknown };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer.result;
  };
}

interface OutboxEntry {
  jti: string;
  kid: string;
  status: string;
  claims: Record<string, unknown>;
}

async function delivered(control: ReturnType<typeof controlOf>, account: string, count: number): Promise<OutboxEntry[]> {
  for (;;) {
    const outbox = (await control('GET', `/ssf/outbox?account_id=${account}`)) as OutboxEntry[];
    if (outbox.length === count && outbox.every((entry) => entry.status === 'delivered')) return outbox;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!hasChromium)('the dashboard, without an admin token', () => {
  let server: RunningServer;
  let control: ReturnType<typeof controlOf>;
  let cf: Cloudflare;
  beforeAll(async () => {
    server = await startServer({ SSF_RETRY_DELAY_MS: '50' });
    control = controlOf(server);
    cf = new Cloudflare({ apiToken: 'any-token', baseURL: `${server.url}/client/v4`, maxRetries: 0 });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows a high-risk event become a SET the receiver answered 202, page by page, and an account reset from the page', async () => {
    const integration = await cf.zeroTrust.riskScoring.integrations.create({
      account_id: ACCOUNT,
      integration_type: 'Okta',
      tenant_url: receiver.url,
      reference_id: 'okta-local',
    });
    await control('POST', `/accounts/${ACCOUNT}/risk-events`, { ...ADA, behavior: 'imp_travel' });
    const [set] = await delivered(control, ACCOUNT, 1);
    if (!set) throw new Error('no SET');

    const page = await browser.context.newPage();
    const requests: Request[] = [];
    page.on('request', (request) => requests.push(request));

    // A browser at / lands on the dashboard: every account, with its counts.
    await page.goto(`${server.url}/`);
    expect(page.url()).toBe(`${server.url}/__emulator/ui/`);
    const account = rows(page, /^Accounts with their counts/).filter({ hasText: ACCOUNT });
    await account.waitFor({ timeout: SHOWS_WITHIN });
    expect(await cells(account)).toEqual([ACCOUNT, '1', '1', '1']);
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '1-accounts');

    // The account: the integration with its well-known URL, the user at high, the SET delivered with the 202.
    await page.getByRole('link', { name: ACCOUNT }).click();
    await page.waitForURL(`${server.url}/__emulator/ui/accounts/${ACCOUNT}`);
    const ada = rows(page, /^Users with their risk level/).filter({ hasText: ADA.email });
    await ada.waitFor({ timeout: SHOWS_WITHIN });
    expect((await cells(ada)).slice(0, 2)).toEqual([`${ADA.name}\n${ADA.email}\n${ADA.user_id}`, 'high']);
    expect(await page.getByRole('link', { name: integration.well_known_url }).getAttribute('href')).toBe(integration.well_known_url);
    const facts = await page.locator('.integration dl').innerText();
    expect(facts.split('\n').slice(0, 8)).toEqual(['Id', integration.id, 'Tenant URL', receiver.url, 'Well-known URL', integration.well_known_url, 'Active', 'yes']);
    const delivery = rows(page, 'Shared Signals deliveries of okta-local, newest first');
    expect(await delivery.count()).toBe(1);
    expect((await cells(delivery)).slice(1)).toEqual([
      'ada@example.com: low → high',
      `push to ${receiver.url}${OKTA_PATH}`,
      'delivered',
      '202',
      '1',
      '—',
      'Details',
    ]);
    const request = rows(page, 'Requests, newest first');
    expect(await request.count()).toBe(1);
    const [, method, path, status, , fault] = await cells(request);
    expect([method, path, status, fault]).toEqual(['POST', `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`, '200', '—']);
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '2-account');

    // The delivery: the SET decoded, where it went, and every attempt.
    await page.getByRole('link', { name: `SET ${set.jti}` }).click();
    await page.waitForURL(`${server.url}/__emulator/ui/accounts/${ACCOUNT}/deliveries/${set.jti}`);
    const header = page.getByRole('region', { name: 'SET header' }).locator('pre');
    await header.waitFor({ timeout: SHOWS_WITHIN });
    expect(JSON.parse(await header.innerText())).toEqual({ alg: 'RS256', kid: set.kid, typ: 'secevent+jwt' });
    expect(JSON.parse(await page.getByRole('region', { name: 'SET claims' }).locator('pre').innerText())).toEqual(set.claims);
    const summary = (await page.getByRole('region', { name: 'Delivery' }).locator('dl').innerText()).split('\n');
    const fact = (term: string) => summary[summary.indexOf(term) + 1];
    expect([fact('Status'), fact('Receiver URL'), fact('Attempts'), fact('Last HTTP status'), fact('Error'), fact('Next retry')]).toEqual([
      'delivered',
      `${receiver.url}${OKTA_PATH}`,
      '1',
      '202',
      '—',
      'none',
    ]);
    const attempts = rows(page, 'Every attempt to push the SET, oldest first');
    expect(await attempts.count()).toBe(1);
    const [number, , httpStatus, error, answer, location] = await cells(attempts);
    expect([number, httpStatus, error, answer, location]).toEqual(['1', '202', '—', '—', '—']);
    await screenshot(page, '3-delivery');

    // Back to the account, reset from the page: it is empty.
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: `Account ${ACCOUNT}` }).click();
    await page.waitForURL(`${server.url}/__emulator/ui/accounts/${ACCOUNT}`);
    await ada.waitFor({ timeout: SHOWS_WITHIN });
    await page.getByRole('button', { name: 'Reset account' }).click();
    await page.getByText('The account was reset: its data, its journal entries and its fault rules are gone.').waitFor({ timeout: SHOWS_WITHIN });
    for (const [name, empty] of [
      ['Integrations and their Shared Signals deliveries', 'No integration.'],
      ['Users', 'No user: inject a risk event below.'],
      ['Requests', 'No request.'],
      ['Fault rules', 'No fault rule applies to this account.'],
    ]) {
      expect(await page.getByRole('region', { name }).locator('.live').innerText(), name).toBe(empty);
    }
    expect(await control('GET', '/accounts')).toEqual([]);
    await screenshot(page, '4-account-reset');

    // Everything came from the emulator itself: the three files of the page, and the control API.
    const origins = new Set(requests.map((r) => new URL(r.url()).origin));
    expect([...origins]).toEqual([server.url]);
    const paths = new Set(requests.map((r) => new URL(r.url()).pathname).filter((p) => !p.startsWith('/__emulator/v1/')));
    expect([...paths].filter((p) => !p.startsWith('/__emulator/ui'))).toEqual(['/']);
    await page.close();
  });

  it('shows a new request, risk event and delivery within 2 s of page time, without a reload, and performs every action', async () => {
    const page = await browser.context.newPage();
    // The page's clock is Playwright's, paused: the page shows once its first reads are done, and only the 2 s
    // of page time given below, right after the changes, let it read again, whatever the machine's load.
    const start = Date.now();
    await page.clock.install({ time: start });
    await page.clock.pauseAt(start + 1000);
    await page.goto(`${server.url}/__emulator/ui/accounts/${LIVE_ACCOUNT}`);
    const live = (name: string) => page.getByRole('region', { name }).locator('.live');
    await page.getByText('No request.').waitFor({ timeout: SHOWS_WITHIN });
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    const integration = await cf.zeroTrust.riskScoring.integrations.create({ account_id: LIVE_ACCOUNT, integration_type: 'Okta', tenant_url: receiver.url, reference_id: 'okta-live' });
    await control('POST', `/accounts/${LIVE_ACCOUNT}/risk-events`, { ...ADA, behavior: 'imp_travel' });
    await delivered(control, LIVE_ACCOUNT, 1);
    await page.clock.runFor(2000);
    const ada = rows(page, /^Users with their risk level/).filter({ hasText: ADA.email });
    await ada.waitFor({ timeout: SHOWS_WITHIN });
    expect((await cells(ada))[1]).toBe('high');
    const delivery = rows(page, 'Shared Signals deliveries of okta-live, newest first');
    await delivery.waitFor({ timeout: SHOWS_WITHIN });
    expect((await cells(delivery)).slice(1, 5)).toEqual(['ada@example.com: low → high', `push to ${receiver.url}${OKTA_PATH}`, 'delivered', '202']);
    await rows(page, 'Requests, newest first').waitFor({ timeout: SHOWS_WITHIN });
    expect((await cells(rows(page, 'Requests, newest first'))).slice(1, 4)).toEqual([
      'POST',
      `/client/v4/accounts/${LIVE_ACCOUNT}/zt_risk_scoring/integrations`,
      '200',
    ]);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await page.clock.resume();

    // Inject a risk event for a new user, by keyboard: the behavior's level comes from the catalogue.
    await page.getByLabel('User', { exact: true }).selectOption({ label: 'A new user…' });
    await page.getByLabel('Behavior').selectOption('high_dlp');
    expect(await page.locator('#inject-level').innerText()).toBe('medium');
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByLabel('Name', { exact: true }).press('Enter');
    await page.getByText('Recorded High Number of DLP Policies Triggered for Grace Hopper: their level is medium.').waitFor({ timeout: SHOWS_WITHIN });
    const grace = rows(page, /^Users with their risk level/).filter({ hasText: 'grace@example.com' });
    await grace.waitFor({ timeout: SHOWS_WITHIN });
    expect((await cells(grace))[1]).toBe('medium');
    expect(await page.getByLabel('User', { exact: true }).inputValue()).toMatch(/^[0-9a-f-]{36}$/);

    // Add a fault rule; the next list call gets its 503, and the journal names the rule.
    await page.getByLabel('Method').nth(1).selectOption('GET');
    await page.locator('#fault-path').fill('/accounts/*/zt_risk_scoring/integrations');
    await page.locator('#fault-status').fill('503');
    await page.locator('#fault-times').fill('1');
    await page.getByRole('button', { name: 'Add fault rule' }).click();
    const [rule] = (await control('GET', `/faults?account=${LIVE_ACCOUNT}`)) as Array<{ id: string }>;
    if (!rule) throw new Error('no fault rule');
    await page.getByText(`Added fault rule ${rule.id}.`).waitFor({ timeout: SHOWS_WITHIN });
    const ruleRow = rows(page, /^Fault rules that apply/);
    expect(await cells(ruleRow)).toEqual([rule.id, 'this account', 'GET', '/accounts/*/zt_risk_scoring/integrations', 'answer 503', '1', '0', 'Delete']);
    await expect(cf.zeroTrust.riskScoring.integrations.list({ account_id: LIVE_ACCOUNT })).rejects.toThrow(/503/);
    await cf.zeroTrust.riskScoring.integrations.get(integration.id, { account_id: LIVE_ACCOUNT });
    const failed = rows(page, 'Requests, newest first').filter({ hasText: rule.id });
    await failed.waitFor({ timeout: SHOWS_WITHIN });
    const [, method, path, status, , fault] = await cells(failed);
    expect([method, path, status, fault]).toEqual(['GET', `/client/v4/accounts/${LIVE_ACCOUNT}/zt_risk_scoring/integrations`, '503', rule.id]);
    await expect.poll(async () => (await cells(ruleRow)).slice(5, 7), { timeout: SHOWS_WITHIN }).toEqual(['0', '1']);

    // Filter the journal by status, then by method and path; the filter is in the address.
    await page.getByLabel('Status', { exact: true }).first().fill('503');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows(page, 'Requests, newest first').count(), { timeout: SHOWS_WITHIN }).toBe(1);
    expect(new URL(page.url()).search).toBe('?status=503');
    await page.getByLabel('Status', { exact: true }).first().fill('');
    await page.getByLabel('Method').first().selectOption('GET');
    await page.getByLabel('Path', { exact: true }).first().fill('/accounts/*/zt_risk_scoring/integrations/*');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(async () => (await rows(page, 'Requests, newest first').allInnerTexts()).length, { timeout: SHOWS_WITHIN })
      .toBe(1);
    expect((await cells(rows(page, 'Requests, newest first'))).slice(1, 4)).toEqual([
      'GET',
      `/client/v4/accounts/${LIVE_ACCOUNT}/zt_risk_scoring/integrations/${integration.id}`,
      '200',
    ]);

    // Delete the rule, clear the journal.
    await page.getByRole('button', { name: `Delete fault rule ${rule.id}` }).click();
    await page.getByText(`Deleted fault rule ${rule.id}.`).waitFor({ timeout: SHOWS_WITHIN });
    expect(await live('Fault rules').innerText()).toBe('No fault rule applies to this account.');
    expect(await control('GET', '/faults')).toEqual([]);
    await page.getByRole('button', { name: 'Clear the journal' }).click();
    await page.getByText('Removed 3 requests from the journal.').waitFor({ timeout: SHOWS_WITHIN });
    expect(await live('Requests').innerText()).toBe('No request.');
    expect(await control('GET', `/journal?account=${LIVE_ACCOUNT}`)).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!hasChromium)('the dashboard, with EMULATOR_ADMIN_TOKEN', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ EMULATOR_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows no account data without the token, asks for it once, and sends it with every control call', async () => {
    const control = controlOf(server, ADMIN_TOKEN);
    const cf = new Cloudflare({ apiToken: 'any-token', baseURL: `${server.url}/client/v4`, maxRetries: 0 });
    const integration = await cf.zeroTrust.riskScoring.integrations.create({ account_id: ACCOUNT, integration_type: 'Okta', tenant_url: receiver.url, reference_id: 'okta-guarded' });
    await control('POST', `/accounts/${ACCOUNT}/risk-events`, { ...ADA, behavior: 'imp_travel' });
    const secrets = [ACCOUNT, ADA.email, ADA.name, integration.id, 'okta-guarded'];

    const page = await browser.context.newPage();
    const controlCalls: Request[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/__emulator/v1/')) controlCalls.push(request);
    });
    await page.goto(`${server.url}/__emulator/ui/`);
    await page.getByRole('heading', { name: 'Admin token needed' }).waitFor({ timeout: SHOWS_WITHIN });
    const shown = await page.locator('body').innerText();
    for (const secret of secrets) expect(shown).not.toContain(secret);
    const refused = await Promise.all(controlCalls.map(async (r) => (await r.response())?.status()));
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set([401]));
    expect(await unlabelledFields(page)).toEqual([]);
    await screenshot(page, '5-admin-token');

    // A wrong token is refused, and still nothing shows.
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('The emulator refused that token.').waitFor({ timeout: SHOWS_WITHIN });
    for (const secret of secrets) expect(await page.locator('body').innerText()).not.toContain(secret);

    // The right one: the data shows, every call from now on carries it, and it is kept from page to page.
    controlCalls.length = 0;
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    const account = rows(page, /^Accounts with their counts/).filter({ hasText: ACCOUNT });
    await account.waitFor({ timeout: SHOWS_WITHIN });
    expect(await cells(account)).toEqual([ACCOUNT, '1', '1', '1']);
    await page.getByRole('link', { name: ACCOUNT }).click();
    await rows(page, /^Users with their risk level/).filter({ hasText: ADA.email }).waitFor({ timeout: SHOWS_WITHIN });
    expect(controlCalls.length).toBeGreaterThan(0);
    expect(new Set(controlCalls.map((r) => r.headers().authorization))).toEqual(new Set([`Bearer ${ADMIN_TOKEN}`]));

    // Another tab is another session: it asks again.
    const other = await browser.context.newPage();
    await other.goto(`${server.url}/__emulator/ui/accounts/${ACCOUNT}`);
    await other.getByRole('heading', { name: 'Admin token needed' }).waitFor({ timeout: SHOWS_WITHIN });
    const elsewhere = await other.locator('main').innerText();
    for (const secret of secrets) expect(elsewhere).not.toContain(secret);
    await other.close();

    // Forgetting the token hides the data again.
    await page.getByRole('button', { name: 'Forget the admin token' }).click();
    await page.getByRole('heading', { name: 'Admin token needed' }).waitFor({ timeout: SHOWS_WITHIN });
    expect(await page.locator('main').innerText()).not.toContain(ADA.email);
    await page.close();
  });
});
