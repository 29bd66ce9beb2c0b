// Renders the OpenAPI document the server serves, exactly as openapi.yaml must hold it.
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';

export async function renderOpenapiYaml(): Promise<string> {
  const app = await buildApp(testConfig());
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.yaml' });
    if (res.statusCode !== 200) throw new Error(`GET /openapi.yaml answered ${res.statusCode}: ${res.body}`);
    return res.body;
  } finally {
    await app.close();
  }
}

/** The paths of the OpenAPI document `app` serves, as /openapi.json gives them. */
export async function documentedPaths(app: FastifyInstance): Promise<Record<string, Record<string, unknown>>> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`);
  return (res.json() as { paths: Record<string, Record<string, unknown>> }).paths;
}
