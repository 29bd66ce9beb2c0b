// Many clients at once against the real server: reference_id stays unique, PUTs never mix.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT, AUTH } from '../support/app.js';
import { startServer, type RunningServer } from '../support/server.js';

const BASE = `/client/v4/accounts/${ACCOUNT}/zt_risk_scoring/integrations`;
const PARALLEL = 50;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-concurrency-'));
  server = await startServer({ DATABASE_PATH: join(dir, 'db.sqlite'), LOG_LEVEL: 'info' });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...AUTH, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { result: Record<string, unknown>; errors: { code: number }[] } };
}

describe('concurrency', () => {
  it(`lets exactly one of ${PARALLEL} parallel creates with the same reference_id succeed`, async () => {
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) =>
        call('POST', BASE, { integration_type: 'Okta', tenant_url: `https://t${i}.okta.com`, reference_id: 'same-ref' }),
      ),
    );
    const won = answers.filter((a) => a.status === 200);
    const lost = answers.filter((a) => a.status !== 200);
    expect(won).toHaveLength(1);
    expect(lost.map((a) => [a.status, a.body.errors.map((e) => e.code)])).toEqual(
      Array.from({ length: PARALLEL - 1 }, () => [400, [1102]]),
    );
    const listed = await call('GET', BASE);
    expect((listed.body.result as unknown as { reference_id: string }[]).filter((i) => i.reference_id === 'same-ref')).toEqual([
      won[0]!.body.result,
    ]);
  });

  it(`leaves a row equal to exactly one of ${PARALLEL} parallel PUTs, never a mix`, async () => {
    const created = await call('POST', BASE, { integration_type: 'Okta', tenant_url: 'https://start.okta.com', reference_id: 'put-target' });
    const id = created.body.result.id as string;
    const versions = Array.from({ length: PARALLEL }, (_, i) => ({
      tenant_url: `https://v${i}.okta.com`,
      active: i % 2 === 0,
      reference_id: `put-${i}`,
    }));
    const answers = await Promise.all(versions.map((v) => call('PUT', `${BASE}/${id}`, { ...v, integration_type: 'Okta' })));
    // Every answer is itself one whole version, as written.
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.body.result).toMatchObject(versions[i]!);
    });
    const final = (await call('GET', `${BASE}/${id}`)).body.result;
    const { tenant_url, active, reference_id } = final;
    expect(versions).toContainEqual({ tenant_url, active, reference_id });
    expect(final).toMatchObject({ id, created_at: created.body.result.created_at, integration_type: 'Okta' });
  });
});
