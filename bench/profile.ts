// Profiles the real server under one load (`get`, `create` or `list`) with node --cpu-prof and prints
// where its CPU time goes. Usage: tsx bench/profile.ts [get|create|list] [seconds]
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { AUTH, INTEGRATIONS, json, startEmulator } from './lib/processes.js';

const mode = process.argv[2] ?? 'get';
const seconds = Number(process.argv[3] ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'emulator-profile-'));
process.env.BENCH_CPU_PROF = dir;
const emulator = await startEmulator();
const create = { method: 'POST' as const, body: JSON.stringify({ integration_type: 'Okta', tenant_url: 'https://a.okta.com' }) };
const created = await json(`${emulator.url}${INTEGRATIONS}`, create);
const id = (created.body as { result: { id: string } }).result.id;
if (mode === 'list') {
  await autocannon({ url: `${emulator.url}${INTEGRATIONS}`, ...create, headers: { ...AUTH, 'content-type': 'application/json' }, amount: 999 });
}
const target =
  mode === 'create'
    ? { url: `${emulator.url}${INTEGRATIONS}`, ...create, headers: { ...AUTH, 'content-type': 'application/json' } }
    : { url: mode === 'list' ? `${emulator.url}${INTEGRATIONS}` : `${emulator.url}${INTEGRATIONS}/${id}`, headers: AUTH };
const result = await autocannon({ ...target, connections: 10, duration: seconds });
await emulator.stop();
console.log(`${mode}: ${Math.round(result.requests.average)} req/s, ${result.non2xx} non-2xx`);
const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string);
console.log(`profile: ${file}\nsummary: npx tsx bench/profile-summary.ts ${file}`);
