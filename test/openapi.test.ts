import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenapiYaml } from './support/openapi.js';

describe('openapi.yaml', () => {
  it('is exactly what the server generates from its route schemas (run `npm run openapi` after a change)', async () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(await renderOpenapiYaml());
  });
});
