// Where a GET's server CPU goes: the same load on paths that do less and less of our work.
// Usage: tsx bench/decompose.ts   (CPU microseconds per request, from /proc; robust on a shared machine)
import { AUTH, INTEGRATIONS, json, startBaseline, startEmulator } from './lib/processes.js';
import { load } from './lib/load.js';
import { median } from './lib/stats.js';

const emulator = await startEmulator();
const created = await json(`${emulator.url}${INTEGRATIONS}`, {
  method: 'POST',
  body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://a.okta.com', reference_id: 'ref-1' }),
});
const id = (created.body as { result: { id: string } }).result.id;
const baseline = await startBaseline(`${INTEGRATIONS}/${id}`, created.text);
const cases: Array<[string, string, string]> = [
  ['baseline: bare Fastify, fixed bytes', baseline.url, `${INTEGRATIONS}/${id}`],
  ['/healthz: no credentials, no database', emulator.url, '/healthz'],
  ['GET one, unknown id (404 envelope)', emulator.url, `${INTEGRATIONS}/00000000-0000-4000-8000-000000000000`],
  ['GET one', emulator.url, `${INTEGRATIONS}/${id}`],
  ['GET by reference_id', emulator.url, `${INTEGRATIONS}/reference_id/ref-1`],
];
for (const [name, url, path] of cases) {
  const pid = url === baseline.url ? baseline.pid : emulator.pid;
  await load({ url: `${url}${path}`, headers: AUTH, duration: 1 });
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await load({ url: `${url}${path}`, headers: AUTH, duration: 3 }, pid));
  const cpu = median(runs.map((r) => r.cpuUsPerRequest ?? Number.NaN));
  console.log(`${String(Math.round(cpu)).padStart(5)} µs/request  ${Math.round(median(runs.map((r) => r.rps)))} req/s  ${name}`);
}
await baseline.stop();
await emulator.stop();
