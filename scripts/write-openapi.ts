// Regenerates openapi.yaml from the route schemas: `npm run openapi`. test/openapi.test.ts fails on drift.
import { writeFileSync } from 'node:fs';
import { renderOpenapiYaml } from '../test/support/openapi.js';

writeFileSync(new URL('../openapi.yaml', import.meta.url), await renderOpenapiYaml());
console.log('openapi.yaml written');
