// The official `cloudflare` SDK against the real server process: the integration lifecycle, with a
// bearer token and with email + key, exactly as a user's code would drive Cloudflare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Cloudflare, { BadRequestError, NotFoundError } from 'cloudflare';
import { startServer, type RunningServer } from '../support/server.js';

const ACCOUNT = '023e105f4ecef8ad9ca31a8372d0c353';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ SSF_BASE_URL: 'https://ssf.risk-score.teams.cloudflare.com' });
});
afterAll(async () => {
  await server.stop();
});

const clients: Array<[string, () => Cloudflare]> = [
  ['bearer token', () => new Cloudflare({ apiToken: 'x', baseURL: `${server.url}/client/v4`, maxRetries: 0 })],
  [
    'email + key',
    () =>
      new Cloudflare({
        apiEmail: 'user@example.com',
        apiKey: '144c9defac04969c7bfad8efaa8ea194',
        baseURL: `${server.url}/client/v4`,
        maxRetries: 0,
      }),
  ],
];

describe.each(clients)('official SDK with %s', (_name, makeClient) => {
  it('create → get → references.get → list → update → delete → NotFoundError', async () => {
    const client = makeClient();
    const integrations = client.zeroTrust.riskScoring.integrations;
    const referenceId = `idp-${_name.replace(/\W/g, '')}`;

    const created = await integrations.create({
      account_id: ACCOUNT,
      integration_type: 'Okta',
      tenant_url: 'https://example.oktapreview.com',
      reference_id: referenceId,
    });
    expect(created.id).toMatch(UUID);
    expect(created).toEqual({
      id: created.id,
      account_tag: ACCOUNT,
      integration_type: 'Okta',
      reference_id: referenceId,
      tenant_url: 'https://example.oktapreview.com',
      well_known_url: `https://ssf.risk-score.teams.cloudflare.com/.well-known/sse-configuration/${created.id}`,
      active: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });

    expect(await integrations.get(created.id, { account_id: ACCOUNT })).toEqual(created);
    expect(await integrations.references.get(referenceId, { account_id: ACCOUNT })).toEqual(created);

    const listed = [];
    for await (const item of integrations.list({ account_id: ACCOUNT })) listed.push(item);
    expect(listed).toContainEqual(created);

    const updated = await integrations.update(created.id, {
      account_id: ACCOUNT,
      tenant_url: 'https://other.okta.com',
      active: false,
    });
    expect(updated).toEqual({ ...created, tenant_url: 'https://other.okta.com', active: false });

    expect(await integrations.delete(created.id, { account_id: ACCOUNT })).toBeNull();
    const missing = await integrations.get(created.id, { account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).status).toBe(404);
    expect((missing as NotFoundError).errors).toEqual([{ code: 1101, message: `Integration ${created.id} not found` }]);
  });

  it('a duplicate reference_id raises BadRequestError (400, not retried), naming the conflict', async () => {
    const integrations = makeClient().zeroTrust.riskScoring.integrations;
    const referenceId = `dup-${_name.replace(/\W/g, '')}`;
    const first = await integrations.create({ account_id: ACCOUNT, integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: referenceId });
    const error = await integrations
      .create({ account_id: ACCOUNT, integration_type: 'Okta', tenant_url: 'https://b.okta.com', reference_id: referenceId })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).errors).toEqual([
      {
        code: 1102,
        message: `reference_id "${referenceId}" is already used by integration ${first.id} in this account`,
        source: { pointer: '/reference_id' },
      },
    ]);
  });
});
