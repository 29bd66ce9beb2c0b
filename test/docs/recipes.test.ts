// The test-suite recipes of docs/testing.md, run as a user runs them: the vitest globalSetup recipe with vitest,
// the node:test recipe with node --test. Both import the package by its name ('cf-zt-risk-emulator', resolved to
// this repository's dist/ through package.json's exports, as an installed copy would be).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/server.js';

const exec = promisify(execFile);
// Not this run's vitest worker settings: the recipe starts a vitest of its own.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'));

describe('the recipes of docs/testing.md', () => {
  it('vitest: one emulator for the run (globalSetup, provide/inject), an account per test file', async () => {
    const dir = join(ROOT, 'docs/recipes/vitest');
    const { stdout } = await exec('npx', ['vitest', 'run', '--config', 'vitest.config.ts', '--reporter', 'json'], { cwd: dir, env, timeout: 120_000 });
    const report = JSON.parse(stdout) as { numTotalTests: number; numPassedTests: number; testResults: Array<{ name: string; status: string }> };
    expect(report.testResults.map((file) => [file.name.slice(dir.length + 1), file.status]).sort()).toEqual([
      ['integrations.test.ts', 'passed'],
      ['risk.test.ts', 'passed'],
    ]);
    expect([report.numPassedTests, report.numTotalTests]).toEqual([3, 3]);
  });

  it('node:test: an emulator per file, started in before() and closed in after(), and the process exits', async () => {
    const { stdout } = await exec(process.execPath, ['--test', '--test-reporter=tap', 'docs/recipes/node-test/'], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toMatch(/^# pass 1$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  });
});
