// GET one integration with 10 connections, against two peers in the same run: a bare Fastify 5 server
// returning the same bytes for the same GET (the floor of any Fastify app), and Prism mocking Cloudflare's
// schema (what users would otherwise run). Rounds alternate emulator / Fastify / Prism; medians are compared.
import { ACCOUNT, AUTH, createBenchIntegration, json, startBaseline, startEmulator, type Running } from './lib/processes.js';
import { failures, load, warmUp, type LoadResult } from './lib/load.js';
import { fetchPrism, startPrism } from './lib/prism.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { median, round } from './lib/stats.js';

const TARGET_VS_FASTIFY = 0.5;
const TARGET_VS_PRISM = 5;
const TARGET_P99_MS = 5;

/** Prism started on the same integration's path, checked to answer 200 with a success envelope; or why not. */
async function prismFor(path: string): Promise<{ prism: Running; version: string } | { reason: string }> {
  let version: string;
  try {
    version = await fetchPrism();
  } catch (error) {
    return { reason: (error as Error).message };
  }
  let prism: Running;
  try {
    prism = await startPrism(path);
  } catch (error) {
    return { reason: `prism mock did not start: ${(error as Error).message}` };
  }
  const answer = await json(`${prism.url}${path}`);
  if (answer.status !== 200 || (answer.body as { success?: unknown }).success !== true) {
    await prism.stop();
    return { reason: `Prism answered ${answer.status}: ${answer.text.slice(0, 200)}` };
  }
  return { prism, version };
}

export async function measureGetOne(): Promise<Figure[]> {
  const emulator = await startEmulator();
  const peers: Running[] = [];
  try {
    const { path } = await createBenchIntegration(emulator.url);
    const ours = await json(`${emulator.url}${path}`);
    if (ours.status !== 200) throw new Error(`GET answered ${ours.status}: ${ours.text}`);
    const baseline = await startBaseline(path, ours.text);
    peers.push(baseline);
    // The same account and integration id: Prism serves the schema's paths without the /client/v4 base.
    const prismPath = path.replace(/^\/client\/v4/, '');
    if (!prismPath.startsWith(`/accounts/${ACCOUNT}/`)) throw new Error(`unexpected path ${path}`);
    const started = await prismFor(prismPath);
    const prism = 'prism' in started ? started.prism : undefined;
    if (prism) peers.push(prism);

    const servers = [
      { name: 'emulator', target: { url: `${emulator.url}${path}`, headers: AUTH } },
      { name: 'fastify', target: { url: `${baseline.url}${path}`, headers: AUTH } },
      ...(prism ? [{ name: 'prism', target: { url: `${prism.url}${prismPath}`, headers: AUTH } }] : []),
    ];
    for (const { target } of servers) await warmUp(target);
    const runs: Record<string, LoadResult[]> = { emulator: [], fastify: [], prism: [] };
    for (let i = 0; i < options.rounds; i++) {
      for (const { name, target } of servers) runs[name]!.push(await load(target));
    }
    const rps = (name: string) => median(runs[name]!.map((r) => r.rps));
    const p99 = (name: string) => median(runs[name]!.map((r) => r.p99));
    const failed = { emulator: failures(runs.emulator!), fastify: failures(runs.fastify!), prism: failures(runs.prism!) };
    const vsFastify = rps('emulator') / rps('fastify');
    const vsPrism = prism ? rps('emulator') / rps('prism') : Number.NaN;
    const fastifyOk = vsFastify >= TARGET_VS_FASTIFY && failed.emulator === 0;
    const reqs = (name: string) => Math.round(rps(name)).toLocaleString('en');
    const failureNotes = Object.entries(failed)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name}: ${n} failed`);
    const measured = prism
      ? `${round(vsFastify)}x Fastify, ${round(vsPrism, 1)}x Prism (${reqs('emulator')} / ${reqs('fastify')} / ${reqs('prism')} req/s)`
      : `${round(vsFastify)}x Fastify (${reqs('emulator')} / ${reqs('fastify')} req/s); Prism not measured: ${(started as { reason: string }).reason}`;
    return [
      {
        figure: `GET one integration, ${options.connections} connections`,
        target: `>= ${TARGET_VS_FASTIFY}x bare Fastify, >= ${TARGET_VS_PRISM}x Prism`,
        measured: [measured, ...failureNotes].join('; '),
        pass: !fastifyOk ? false : prism ? vsPrism >= TARGET_VS_PRISM : null,
        detail: {
          vs_fastify: vsFastify,
          vs_prism: vsPrism,
          rps: { emulator: rps('emulator'), fastify: rps('fastify'), prism: prism ? rps('prism') : null },
          failed,
          prism: 'version' in started ? { package_version: started.version, path: prismPath } : { unavailable: started.reason },
          runs,
        },
      },
      {
        figure: 'its p99',
        target: `<= ${TARGET_P99_MS} ms`,
        measured: `${p99('emulator')} ms (Fastify ${p99('fastify')} ms${prism ? `, Prism ${p99('prism')} ms` : ''})`,
        pass: p99('emulator') <= TARGET_P99_MS,
        detail: { p99_ms: p99('emulator'), p50_ms: median(runs.emulator!.map((r) => r.p50)), fastify_p99_ms: p99('fastify'), prism_p99_ms: prism ? p99('prism') : null },
      },
    ];
  } finally {
    for (const peer of peers) await peer.stop();
    await emulator.stop();
  }
}

runIfMain(import.meta.url, 'get-one', measureGetOne);
