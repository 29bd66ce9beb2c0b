// The list of an account with 100 integrations (one page, every integration), 10 connections.
import autocannon from 'autocannon';
import { AUTH, INTEGRATIONS, json, startEmulator } from './lib/processes.js';
import { failures, load, warmUp, type LoadResult } from './lib/load.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median } from './lib/stats.js';

const LIST_SIZE = 100;
const TARGET_RPS = 400;

export async function measureList(): Promise<Figure[]> {
  const emulator = await startEmulator();
  try {
    let n = 0;
    const seeded = await autocannon({
      url: `${emulator.url}${INTEGRATIONS}`,
      connections: 10,
      amount: LIST_SIZE,
      requests: [
        {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ integration_type: 'Okta', tenant_url: `https://tenant-${++n}.okta.com`, reference_id: `ref-${n}` }),
          }),
        },
      ],
    });
    if (seeded.non2xx > 0 || seeded.errors > 0) throw new Error('seeding the account failed');
    const listed = await json(`${emulator.url}${INTEGRATIONS}`);
    const count = (listed.body as { result: unknown[] }).result.length;
    if (count !== LIST_SIZE) throw new Error(`expected ${LIST_SIZE} integrations, listed ${count}`);

    const target = { url: `${emulator.url}${INTEGRATIONS}`, headers: AUTH };
    await warmUp(target);
    const runs: LoadResult[] = [];
    for (let round = 0; round < options.rounds; round++) runs.push(await load(target));
    if (failures(runs) > 0) throw new Error(`${failures(runs)} lists failed under load`);
    const rps = median(runs.map((r) => r.rps));
    return [
      {
        figure: `list of an account with ${LIST_SIZE.toLocaleString('en')} integrations`,
        target: `>= ${TARGET_RPS} req/s`,
        measured: `${Math.round(rps).toLocaleString('en')} req/s (p99 ${median(runs.map((r) => r.p99))} ms, ${Math.round(listed.text.length / 1024)} KB)`,
        pass: rps >= TARGET_RPS,
        detail: { rps, runs, response_bytes: listed.text.length },
      },
    ];
  } finally {
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'list', measureList);
