// autocannon, reduced to the figures the benchmarks report.
import autocannon from 'autocannon';
import { options } from './options.js';
import { cpuSeconds } from './processes.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  /** Server CPU time per answered request: robust where req/s is not, on a machine others share. */
  cpuUsPerRequest?: number;
}

export type LoadOptions = Omit<autocannon.Options, 'url'> & { url: string };

/** One measured run; with `serverPid`, also the server's CPU time per request. */
export async function load(opts: LoadOptions, serverPid?: number): Promise<LoadResult> {
  const cpuBefore = serverPid === undefined ? 0 : cpuSeconds(serverPid);
  const result = await autocannon({ connections: options.connections, duration: options.duration, ...opts });
  const cpu = serverPid === undefined ? undefined : cpuSeconds(serverPid) - cpuBefore;
  return {
    ...(cpu === undefined ? {} : { cpuUsPerRequest: (cpu * 1e6) / Math.max(1, result.requests.total) }),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** A short run whose figures are thrown away: JIT, caches and connections warm up. */
export async function warmUp(opts: LoadOptions): Promise<void> {
  await autocannon({ connections: options.connections, ...opts, duration: 1, amount: undefined });
}
