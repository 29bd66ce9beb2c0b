// RSS of the real server: read after a 30 s mixed load, then sampled through a soak (60 s by default,
// the full 5 minutes with `--soak` or BENCH_SOAK_SECONDS=300) and judged by its least-squares trend.
import autocannon from 'autocannon';
import { AUTH, INTEGRATIONS, json, rssMb, sampleRss, startEmulator } from './lib/processes.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { linearTrend, round } from './lib/stats.js';

/** A second account holding 100 integrations, listed by every mixed sequence. */
const LIST_ACCOUNT = 'f037e56e89293a057740de681ac9abbe';
const LIST_PATH = `/client/v4/accounts/${LIST_ACCOUNT}/zt_risk_scoring/integrations`;
const TARGET_MB = 150;
/** A trend under this many MB per minute (after warm-up) counts as flat. */
const FLAT_MB_PER_MIN = 1;
/** The soak of the target; a shorter one is a quick look, and its row says so. */
const FULL_SOAK_SECONDS = 300;

interface Ctx {
  id?: string;
  ref?: string;
}

/** Numbers the reference ids across runs: a sequence cut short by the end of a run leaves its integration. */
let n = 0;

/** One mixed sequence per connection: create, get, get by reference, update, list 100, a 404, delete. */
function mixedLoad(url: string, seconds: number, unexpected: Map<string, number>) {
  const expect = (name: string, want: number) => (status: number) => {
    if (status !== want) unexpected.set(`${name} ${status}`, (unexpected.get(`${name} ${status}`) ?? 0) + 1);
  };
  const headers = { ...AUTH, 'content-type': 'application/json' };
  return autocannon({
    url,
    connections: options.connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: INTEGRATIONS,
        headers,
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://mixed.okta.com', reference_id: `mixed-${process.pid}-${++n}` }),
        }),
        onResponse: (status, body, context: Ctx) => {
          expect('create', 200)(status);
          if (status === 200) {
            const { id, reference_id } = (JSON.parse(body) as { result: { id: string; reference_id: string } }).result;
            context.id = id;
            context.ref = reference_id;
          }
        },
      },
      { method: 'GET', headers: AUTH, setupRequest: (req, c: Ctx) => ({ ...req, path: `${INTEGRATIONS}/${c.id}` }), onResponse: expect('get', 200) },
      {
        method: 'GET',
        headers: AUTH,
        setupRequest: (req, c: Ctx) => ({ ...req, path: `${INTEGRATIONS}/reference_id/${c.ref}` }),
        onResponse: expect('get by reference', 200),
      },
      {
        method: 'PUT',
        headers,
        setupRequest: (req, c: Ctx) => ({
          ...req,
          path: `${INTEGRATIONS}/${c.id}`,
          body: JSON.stringify({ tenant_url: 'https://moved.okta.com', active: false, integration_type: 'Okta' }),
        }),
        onResponse: expect('update', 200),
      },
      { method: 'GET', path: LIST_PATH, headers: AUTH, onResponse: expect('list', 200) },
      { method: 'GET', path: `${INTEGRATIONS}/00000000-0000-4000-8000-000000000000`, headers: AUTH, onResponse: expect('unknown', 404) },
      { method: 'DELETE', headers: AUTH, setupRequest: (req, c: Ctx) => ({ ...req, path: `${INTEGRATIONS}/${c.id}` }), onResponse: expect('delete', 200) },
    ],
  });
}

export async function measureMemory(): Promise<Figure[]> {
  const emulator = await startEmulator();
  try {
    for (let i = 0; i < 100; i++) {
      const res = await json(`${emulator.url}${LIST_PATH}`, {
        method: 'POST',
        body: JSON.stringify({ integration_type: 'Okta', tenant_url: `https://t${i}.okta.com` }),
      });
      if (res.status !== 200) throw new Error(`seeding failed: ${res.text}`);
    }
    const unexpected = new Map<string, number>();
    const idle = rssMb(emulator.pid);
    const mixedSampler = sampleRss(emulator.pid, 500);
    const mixed = await mixedLoad(emulator.url, options.mixedSeconds, unexpected);
    const mixedSamples = mixedSampler.stop();
    const afterMixed = rssMb(emulator.pid);
    const peak = Math.max(...mixedSamples.map(([, mb]) => mb));

    const soakSampler = sampleRss(emulator.pid, 1000);
    const soak = await mixedLoad(emulator.url, options.soakSeconds, unexpected);
    const soakSamples = soakSampler.stop();
    // The first fifth is the heap settling after the mixed load; the trend is judged on the rest.
    const settled = soakSamples.filter(([t]) => t >= options.soakSeconds / 5);
    const { slope } = linearTrend(settled);
    const mbPerMin = slope * 60;
    if (unexpected.size > 0) throw new Error(`unexpected answers under load: ${JSON.stringify([...unexpected])}`);
    if (mixed.errors + soak.errors > 0) throw new Error(`${mixed.errors + soak.errors} connection errors under load`);
    // Nothing from the churn remains: every sequence deletes what it created.
    const left = (await json(`${emulator.url}${INTEGRATIONS}`)).body as { result: unknown[] };
    const first = settled.slice(0, Math.max(1, settled.length >> 2)).map(([, mb]) => mb);
    const last = settled.slice(-Math.max(1, settled.length >> 2)).map(([, mb]) => mb);
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [
      {
        figure: `RSS after a ${options.mixedSeconds} s mixed load, no V8 flags`,
        target: `<= ${TARGET_MB} MB`,
        measured: `${round(afterMixed, 1)} MB (idle ${round(idle, 1)}, peak ${round(peak, 1)}; ${Math.round(mixed.requests.average).toLocaleString('en')} req/s)`,
        pass: afterMixed <= TARGET_MB,
        detail: { rss_mb: afterMixed, idle_mb: idle, peak_mb: peak, rps: mixed.requests.average, requests: mixed.requests.total, leftover_integrations: left.result.length, samples: mixedSamples },
      },
      {
        figure:
          options.soakSeconds >= FULL_SOAK_SECONDS
            ? `RSS trend over a ${options.soakSeconds / 60}-minute soak`
            : `RSS trend over a ${options.soakSeconds} s soak (short run; --soak for 5 minutes)`,
        target: `flat (< ${FLAT_MB_PER_MIN} MB/min) over 5 minutes`,
        measured: `${round(mbPerMin, 2)} MB/min (first quarter ${round(avg(first), 1)} MB, last ${round(avg(last), 1)} MB; ${soak.requests.total} requests)`,
        // A short soak is a quick look: it cannot pass a 5-minute target, only miss it.
        pass: mbPerMin >= FLAT_MB_PER_MIN ? false : options.soakSeconds >= FULL_SOAK_SECONDS ? true : null,
        detail: { mb_per_min: mbPerMin, soak_seconds: options.soakSeconds, requests: soak.requests.total, rps: soak.requests.average, samples: soakSamples },
      },
    ];
  } finally {
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'memory', measureMemory);
