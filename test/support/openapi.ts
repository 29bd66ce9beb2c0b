// Renders the OpenAPI document the server serves, exactly as openapi.yaml must hold it.
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';

export async function renderOpenapiYaml(): Promise<string> {
  const app = await buildApp(testConfig());
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  return yaml;
}
