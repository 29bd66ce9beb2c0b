// autocannon, reduced to the figures the benchmarks report.
import autocannon from 'autocannon';
import { options } from './options.js';

export interface LoadResult {
  /** Answers with a 2xx status per second: anything else is a failure, not throughput. */
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string };

export function summarise(result: autocannon.Result): LoadResult {
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** One measured run of `options.duration` seconds with `options.connections` connections. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  return summarise(await autocannon({ connections: options.connections, duration: options.duration, ...opts }));
}

/** A short run whose figures are thrown away: JIT, caches and connections warm up. */
export async function warmUp(opts: LoadOptions): Promise<void> {
  await autocannon({ connections: options.connections, ...opts, duration: 1, amount: undefined });
}

/** Requests that failed (non-2xx answers and connection errors) over several runs. */
export function failures(runs: readonly LoadResult[]): number {
  return runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
}
