// Process entry for the container HEALTHCHECK (`node dist/health/check.js`): exits 0 when /readyz answers 200.
// Reads HOST and PORT through config.ts, so a container started with `-e PORT=8080` is probed on 8080;
// it needs no curl or wget in the image.
import { loadConfig, publicOrigin } from '../config.js';

const TIMEOUT_MS = 2_500;

async function probe(): Promise<number> {
  let url: string;
  try {
    // PUBLIC_URL is how clients outside reach the server; the probe runs beside it, so it ignores it.
    url = `${publicOrigin({ ...loadConfig(process.argv.slice(2)), publicUrl: undefined })}/readyz`;
  } catch (error) {
    console.error(`healthcheck: ${(error as Error).message}`);
    return 1;
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await response.text();
    console.log(`healthcheck: ${url} ${response.status} ${body}`);
    // Docker reads 0 as healthy and 1 as unhealthy (2 is reserved).
    return response.status === 200 ? 0 : 1;
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    console.error(`healthcheck: ${url} ${cause?.message ?? (error as Error).message}`);
    return 1;
  }
}

process.exitCode = await probe();
