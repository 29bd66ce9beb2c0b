// Shared Signals drain: 10,000 SETs queued for one local receiver that answers 202. A fresh emulator gets one
// integration whose tenant_url is the receiver; 10,000 distinct users each trigger impossible travel once
// (enabled, high: one low -> high change, so one SET each), injected through the control API in batches of 1,000.
// Measured: SETs/s at the receiver from the first SET to the last, and meanwhile the API's GET one integration
// p99 under the same 10-connection load as bench/get-one.ts. The receiver must end with exactly 10,000 distinct
// jti; after BENCH_DRAIN_TIMEOUT seconds the drain is cut short and the rate so far is reported.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ACCOUNT, AUTH, createBenchIntegration, startEmulator } from './lib/processes.js';
import { summarise } from './lib/load.js';
import { options } from './lib/options.js';
import { runIfMain, type Figure } from './lib/report.js';
import { round } from './lib/stats.js';

const SETS = 10_000;
const BATCH = 1000;
const TARGET_SETS_PER_S = 200;
const TARGET_P99_MS = 20;

interface ReceiverStats {
  received: number;
  distinct: number;
  users: number;
  unreadable: number;
  /** Epoch milliseconds (fractional) of the first and last SET received. */
  first: number | null;
  last: number | null;
}

const wallMs = () => performance.timeOrigin + performance.now();

async function startReceiver(): Promise<{ url: string; stats(): Promise<ReceiverStats>; stop(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./receiver.mjs', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', (m: ReceiverStats) => resolve(m));
        child.send({ type: 'stats' });
      }),
    stop: async () => {
      child.disconnect();
      await exited;
    },
  };
}

/** The i-th bench user: a distinct UUID and email. */
function user(i: number) {
  return { user_id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, email: `user-${i}@drain.example`, name: `User ${i}` };
}

export async function measureDrain(): Promise<Figure[]> {
  const receiver = await startReceiver();
  const emulator = await startEmulator();
  try {
    const { path } = await createBenchIntegration(emulator.url, receiver.url);
    const getOne = { url: `${emulator.url}${path}`, headers: AUTH, connections: options.connections };
    // Warm the GET path before the backlog exists, as bench/get-one.ts does.
    await autocannon({ ...getOne, duration: 1 });

    const injectStart = wallMs();
    for (let from = 0; from < SETS; from += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, SETS - from) }, (_, k) => ({ ...user(from + k), behavior: 'imp_travel' }));
      const res = await fetch(`${emulator.url}/__emulator/v1/accounts/${ACCOUNT}/risk-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`risk-events answered ${res.status}: ${text.slice(0, 300)}`);
      const raised = (JSON.parse(text) as { result: Array<{ user_risk_level: string; counted: boolean }> }).result;
      if (raised.length !== events.length || raised.some((e) => !e.counted || e.user_risk_level !== 'high')) {
        throw new Error('an injected event did not raise its user to high: imp_travel should be enabled and high on a fresh account');
      }
    }
    const injectedMs = wallMs() - injectStart;

    // GET one under load from the moment the backlog is queued, for options.duration seconds or until the
    // drain ends, whichever is first.
    const deadline = injectStart + options.drainTimeoutSeconds * 1000;
    const get = autocannon({ ...getOne, duration: options.duration });
    let getDone = false;
    const getResult = get.then((r) => {
      getDone = true;
      return r;
    });
    let stats = await receiver.stats();
    while (stats.distinct < SETS && wallMs() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stats = await receiver.stats();
    }
    const drainedAt = wallMs();
    const complete = stats.distinct >= SETS;
    if (!getDone) (get as unknown as autocannon.Instance).stop();
    const loaded = summarise(await getResult);
    // A SET pushed twice, or one too many, would arrive just after the last: give it a moment.
    if (complete) await new Promise((r) => setTimeout(r, 500));
    stats = await receiver.stats();

    const span = stats.first === null ? 0 : ((complete ? stats.last! : drainedAt) - stats.first) / 1000;
    const rate = span > 0 ? stats.distinct / span : 0;
    const exact = stats.received === SETS && stats.distinct === SETS && stats.users === SETS && stats.unreadable === 0;
    const tally = `${stats.distinct.toLocaleString('en')} distinct jti of ${stats.received.toLocaleString('en')} SETs received`;
    const problems = [
      ...(complete ? [] : [`stopped after ${options.drainTimeoutSeconds} s with ${(SETS - stats.distinct).toLocaleString('en')} still queued`]),
      ...(complete && !exact ? [`expected exactly ${SETS.toLocaleString('en')}: ${tally}, ${stats.users} users, ${stats.unreadable} unreadable`] : []),
    ];
    const getWindow = loaded.total > 0 ? `${round(Math.min(options.duration, (drainedAt - injectStart - injectedMs) / 1000), 1)} s` : 'none';
    return [
      {
        figure: `Shared Signals drain, ${SETS.toLocaleString('en')} SETs to one local receiver`,
        target: `>= ${TARGET_SETS_PER_S} SETs/s`,
        measured: [`${round(rate, 1)} SETs/s (${tally} in ${round(span, 1)} s)`, ...problems].join('; '),
        pass: complete && exact && rate >= TARGET_SETS_PER_S,
        detail: { sets_per_s: rate, span_s: span, complete, exact, inject_ms: injectedMs, first_set_after_ms: stats.first === null ? null : stats.first - injectStart, received: stats.received, distinct: stats.distinct, users: stats.users, unreadable: stats.unreadable },
      },
      {
        figure: 'API GET one p99 during the drain',
        target: `<= ${TARGET_P99_MS} ms`,
        measured: `${loaded.p99} ms (${Math.round(loaded.rps).toLocaleString('en')} req/s over the first ${getWindow} of the backlog${failuresNote(loaded.non2xx + loaded.errors)})`,
        pass: loaded.non2xx + loaded.errors === 0 && loaded.total > 0 && loaded.p99 <= TARGET_P99_MS,
        detail: { ...loaded },
      },
    ];
  } finally {
    await emulator.stop();
    await receiver.stop();
  }
}

function failuresNote(n: number): string {
  return n > 0 ? `; ${n} failed` : '';
}

runIfMain(import.meta.url, 'drain', measureDrain);
