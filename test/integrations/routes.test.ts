import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ACCOUNT, OTHER_ACCOUNT, apiOf, makeApp, sequentialIds, tickingClock, type Api } from '../support/app.js';

const BASE = `/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const ID1 = '00000000-0000-4000-8000-000000000001';
const ID2 = '00000000-0000-4000-8000-000000000002';
const ID3 = '00000000-0000-4000-8000-000000000003';

let app: FastifyInstance;
let api: Api;

beforeEach(async () => {
  app = await makeApp({ port: 4010, host: '127.0.0.1' }, { newId: sequentialIds(), now: tickingClock() });
  api = apiOf(app);
});
afterEach(async () => {
  await app.close();
});

describe('create', () => {
  it('creates an active Okta integration with generated id, reference_id, timestamps and well_known_url', async () => {
    const res = await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://example.oktapreview.com', active: false });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: {
        id: ID1,
        account_tag: ACCOUNT,
        integration_type: 'Okta',
        // reference_id omitted: a fresh UUIDv4 from the same generator
        reference_id: ID2,
        tenant_url: 'https://example.oktapreview.com',
        well_known_url: `http://127.0.0.1:4010/.well-known/sse-configuration/${ID1}`,
        active: true,
        created_at: '2025-03-19T19:53:56Z',
      },
    });
  });

  it('keeps a given reference_id and gives a null one a fresh UUID', async () => {
    const given = await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'idp-1' });
    expect(given.json().result.reference_id).toBe('idp-1');
    const nulled = await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://b.okta.com', reference_id: null });
    expect(nulled.json().result.reference_id).toBe(ID3);
  });

  it('refuses a duplicate reference_id in the same account with a 400 naming the holder, and creates nothing', async () => {
    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'idp-1' });
    const dup = await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://b.okta.com', reference_id: 'idp-1' });
    expect(dup.statusCode).toBe(400);
    expect(dup.json()).toEqual({
      success: false,
      errors: [
        {
          code: 1102,
          message: `reference_id "idp-1" is already used by integration ${ID1} in this account`,
          source: { pointer: '/reference_id' },
        },
      ],
      messages: [],
      result: null,
    });
    expect((await api('GET', BASE)).json().result).toHaveLength(1);
  });

  it('allows the same reference_id in two accounts', async () => {
    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'idp-1' });
    const other = await api('POST', `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/integrations`, {
      integration_type: 'Okta',
      tenant_url: 'https://a.okta.com',
      reference_id: 'idp-1',
    });
    expect(other.statusCode).toBe(200);
  });

  it.each([
    [{ tenant_url: 'https://a.okta.com' }, [{ code: 1001, message: 'integration_type is required', source: { pointer: '/integration_type' } }]],
    [{ integration_type: 'Okta' }, [{ code: 1001, message: 'tenant_url is required', source: { pointer: '/tenant_url' } }]],
    [{ integration_type: 'okta', tenant_url: 'https://a.okta.com' }, [{ code: 1001, message: 'integration_type must be "Okta"', source: { pointer: '/integration_type' } }]],
    [{ integration_type: 'Okta', tenant_url: 'not a url' }, [{ code: 1001, message: 'tenant_url must match ^(https?|HTTPS?)://[^/?#\\s]+', source: { pointer: '/tenant_url' } }]],
    [{ integration_type: 'Okta', tenant_url: 'https://a b' }, [{ code: 1001, message: 'tenant_url must be a valid uri', source: { pointer: '/tenant_url' } }]],
    [{ integration_type: 'Okta', tenant_url: 'https://' }, [{ code: 1001, message: 'tenant_url must match ^(https?|HTTPS?)://[^/?#\\s]+', source: { pointer: '/tenant_url' } }]],
    [{ integration_type: 'Okta', tenant_url: 'ftp://a.okta.com' }, [{ code: 1001, message: 'tenant_url must match ^(https?|HTTPS?)://[^/?#\\s]+', source: { pointer: '/tenant_url' } }]],
    [{ integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 7 }, [{ code: 1001, message: 'reference_id must be string', source: { pointer: '/reference_id' } }]],
    [[], [{ code: 1001, message: 'request body must be a JSON object', source: { pointer: '/' } }]],
  ])('rejects %j with exact errors', async (body, errors) => {
    const res = await api('POST', BASE, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ success: false, errors, messages: [], result: null });
    expect((await api('GET', BASE)).json().result).toEqual([]);
  });
});

describe('read, update, delete', () => {
  beforeEach(async () => {
    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'idp-1' });
  });

  it('gets by id and by reference_id, including a reference with a slash sent percent-encoded', async () => {
    const byId = await api('GET', `${BASE}/${ID1}`);
    expect(byId.json().result.reference_id).toBe('idp-1');
    const byRef = await api('GET', `${BASE}/reference_id/idp-1`);
    expect(byRef.json().result).toEqual(byId.json().result);

    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://b.okta.com', reference_id: 'a/b c' });
    const slash = await api('GET', `${BASE}/reference_id/${encodeURIComponent('a/b c')}`);
    expect(slash.statusCode).toBe(200);
    expect(slash.json().result.id).toBe(ID2);
  });

  it('updates tenant_url, active and reference_id and nothing else; tolerates integration_type', async () => {
    const before = (await api('GET', `${BASE}/${ID1}`)).json().result;
    const res = await api('PUT', `${BASE}/${ID1}`, {
      integration_type: 'Okta',
      tenant_url: 'https://c.okta.com',
      active: false,
      reference_id: 'idp-2',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().result).toEqual({ ...before, tenant_url: 'https://c.okta.com', active: false, reference_id: 'idp-2' });
    expect((await api('GET', `${BASE}/reference_id/idp-2`)).json().result.id).toBe(ID1);
    expect((await api('GET', `${BASE}/reference_id/idp-1`)).statusCode).toBe(404);
  });

  it('keeps the reference_id when PUT omits it or sends null', async () => {
    const res = await api('PUT', `${BASE}/${ID1}`, { tenant_url: 'https://a.okta.com', active: true, reference_id: null });
    expect(res.json().result.reference_id).toBe('idp-1');
  });

  it('refuses a string where PUT expects a boolean, and changes nothing', async () => {
    const res = await api('PUT', `${BASE}/${ID1}`, { tenant_url: 'https://a.okta.com', active: 'false' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ code: 1001, message: 'active must be boolean', source: { pointer: '/active' } }]);
    expect((await api('GET', `${BASE}/${ID1}`)).json().result.active).toBe(true);
  });

  it('refuses a PUT that would take another integration\'s reference_id', async () => {
    await api('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://b.okta.com', reference_id: 'idp-2' });
    const res = await api('PUT', `${BASE}/${ID1}`, { tenant_url: 'https://a.okta.com', active: true, reference_id: 'idp-2' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].code).toBe(1102);
    expect((await api('GET', `${BASE}/${ID1}`)).json().result.reference_id).toBe('idp-1');
  });

  it('deletes with result null, then answers 404', async () => {
    const res = await api('DELETE', `${BASE}/${ID1}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, errors: [], messages: [], result: null });
    for (const method of ['GET', 'DELETE'] as const) {
      const gone = await api(method, `${BASE}/${ID1}`);
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toEqual({
        success: false,
        errors: [{ code: 1101, message: `Integration ${ID1} not found` }],
        messages: [],
        result: null,
      });
    }
  });

  it('isolates accounts: another account neither sees, changes nor deletes it', async () => {
    const other = `/accounts/${OTHER_ACCOUNT}/zt_risk_scoring/integrations`;
    expect((await api('GET', other)).json().result).toEqual([]);
    expect((await api('GET', `${other}/${ID1}`)).statusCode).toBe(404);
    expect((await api('GET', `${other}/reference_id/idp-1`)).statusCode).toBe(404);
    expect((await api('PUT', `${other}/${ID1}`, { tenant_url: 'https://x.okta.com', active: false })).statusCode).toBe(404);
    expect((await api('DELETE', `${other}/${ID1}`)).statusCode).toBe(404);
    const mine = (await api('GET', `${BASE}/${ID1}`)).json().result;
    expect(mine.tenant_url).toBe('https://a.okta.com');
    expect(mine.active).toBe(true);
  });
});

describe('well_known_url', () => {
  it.each([
    [{ publicUrl: 'http://emulator:4010' }, 'http://emulator:4010'],
    [{ publicUrl: 'http://emulator:4010', ssfBaseUrl: 'https://ssf.risk-score.teams.cloudflare.com' }, 'https://ssf.risk-score.teams.cloudflare.com'],
  ])('is built from the configured base (%j)', async (overrides, base) => {
    const configured = await makeApp(overrides, { newId: sequentialIds() });
    const res = await apiOf(configured)('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://a.okta.com' });
    expect(res.json().result.well_known_url).toBe(`${base}/.well-known/sse-configuration/${ID1}`);
    await configured.close();
  });
});
