// Runs every runnable snippet of README.md and docs/*.md against the real server, so no doc can rot.
//
// Marking, in the Markdown:
// - ```sh run   a shell block, run with bash under `set -euo pipefail`, from the repository's root;
// - ```ts run   TypeScript, run with `npx tsx` from a file inside the repository (so `cloudflare` resolves);
//               one that imports from 'vitest' is a test file and runs with `npx vitest run` instead;
// - ```json output / ```text output   right after a runnable block (blank lines between at most): what it
//               prints, compared as test/docs/expected.ts says (`…` stands for a value that changes per run);
// - ```ts file=<path>   shows a file of the repository, which must be exactly what the block shows (the recipes
//               of docs/testing.md: test/docs/recipes.test.ts runs those files).
// Any other block is shown, not run. A runnable block shows its output only in an output block, never in
// `# ->` comments, which nothing would check.
//
// Each document gets a fresh server (`npm start`'s entry, `:memory:` database, every option at its default)
// and its snippets run in document order, so state carries from one block to the next (shell variables do
// not: each block stands alone, as a reader may paste it alone). Loopback ports are written as in a terminal:
// `127.0.0.1:4010` is the document's server; any other `127.0.0.1:<port>` (a receiver, a second server
// started with `--port <port>`) becomes a free port, the same one everywhere in the document. Whatever a
// snippet leaves running (`... &`) is killed when its document is done. Shell snippets need bash and curl.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, startServer, type RunningServer } from '../support/server.js';
import { anchors, fileBlocks, relativeLinks, snippets, type Snippet } from './markdown.js';
import { parseJsonSequence, resolve, resolveText } from './expected.js';

const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const SNIPPET_TIMEOUT_MS = 60_000;
const PORT = /(127\.0\.0\.1:|--port )(\d{2,5})\b/g;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

for (const document of DOCUMENTS) {
  const markdown = readFileSync(join(ROOT, document), 'utf8');
  const runnable = snippets(markdown);
  if (runnable.length === 0) continue;

  describe(`${document}: runnable snippets`, () => {
    let server: RunningServer;
    let workDir: string;
    const ports = new Map<string, number>();
    const groups: number[] = [];

    beforeAll(async () => {
      server = await startServer();
      workDir = mkdtempSync(join(ROOT, '.docs-run-'));
      ports.set('4010', server.port);
      for (const snippet of runnable) {
        for (const [, , port] of `${snippet.code}\n${snippet.output?.body ?? ''}`.matchAll(PORT)) {
          if (!ports.has(port)) ports.set(port, await freePort());
        }
      }
    });
    afterAll(async () => {
      for (const group of groups) killGroup(group);
      await server?.stop();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    const local = (text: string) => text.replace(PORT, (_, prefix: string, port: string) => `${prefix}${ports.get(port) ?? port}`);

    for (const snippet of runnable) {
      it(`${document}:${snippet.line} (${snippet.language})`, { timeout: SNIPPET_TIMEOUT_MS + 5_000 }, async () => {
        expect(snippet.code, 'outputs go in an output block, where they are checked').not.toMatch(/(#|\/\/)\s*->/);
        const ran = await runSnippet(snippet, local(snippet.code), workDir, groups);
        const context = `stdout:\n${ran.stdout}\nstderr:\n${ran.stderr}`;
        expect(ran.code, `the snippet failed\n${context}`).toBe(0);
        if (!snippet.output) return;
        const expected = local(snippet.output.body);
        if (snippet.output.format === 'text') {
          const actual = ran.stdout.trimEnd();
          expect(actual, context).toBe(resolveText(expected.trimEnd(), actual));
        } else {
          const actual = parseJsonSequence(ran.stdout);
          expect(actual, context).toEqual(resolve(parseJsonSequence(expected), actual));
        }
      });
    }
  });
}

async function runSnippet(snippet: Snippet, code: string, workDir: string, groups: number[]): Promise<Ran> {
  if (snippet.language === 'sh') return run('bash', ['-c', `set -euo pipefail\n${code}`], workDir, groups);
  if (/from ['"]vitest['"]/.test(code)) {
    expect(snippet.output, 'a test file shows no output').toBeUndefined();
    const dir = join(workDir, `vitest-${snippet.line}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'snippet.test.ts'), code);
    writeFileSync(join(dir, 'vitest.config.mjs'), 'export default {};\n'); // not the repository's config
    return run('npx', ['vitest', 'run', '--root', dir], workDir, groups);
  }
  const file = join(workDir, `snippet-${snippet.line}.ts`);
  writeFileSync(file, code);
  return run('npx', ['tsx', file], workDir, groups);
}

/** Runs a command in its own process group, from the repository's root; output goes to files, so a
 * background process the snippet starts cannot hold the snippet open. */
async function run(command: string, args: string[], workDir: string, groups: number[]): Promise<Ran> {
  const out = join(workDir, `out-${groups.length}`);
  const err = join(workDir, `err-${groups.length}`);
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', fds[0], fds[1]], detached: true });
  fds.forEach((fd) => closeSync(fd));
  if (child.pid !== undefined) groups.push(child.pid);
  const code = await new Promise<number | null>((done, fail) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killGroup(child.pid);
      fail(new Error(`timed out after ${SNIPPET_TIMEOUT_MS} ms:\n${readFileSync(out, 'utf8')}\n${readFileSync(err, 'utf8')}`));
    }, SNIPPET_TIMEOUT_MS);
    child.once('error', fail);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      done(exitCode);
    });
  });
  return { code, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
}

function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGTERM');
  } catch {
    // The group has already exited.
  }
}

describe('the docs themselves', () => {
  it('README.md stays at most 300 lines: the details live in docs/', () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(300);
  });

  it('every relative link points at an existing file, and at an existing heading when it names one', () => {
    const broken: string[] = [];
    for (const document of DOCUMENTS) {
      for (const { line, target } of relativeLinks(readFileSync(join(ROOT, document), 'utf8'))) {
        const [path, anchor] = target.split('#');
        const file = path === '' ? join(ROOT, document) : resolvePath(dirname(join(ROOT, document)), decodeURIComponent(path));
        if (!existsSync(file)) broken.push(`${document}:${line} ${target}: no file ${relative(ROOT, file)}`);
        else if (anchor !== undefined && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${document}:${line} ${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('a block that shows a file of the repository shows it exactly', () => {
    const shown = DOCUMENTS.flatMap((document) => fileBlocks(readFileSync(join(ROOT, document), 'utf8')).map((block) => ({ document, ...block })));
    expect(shown.length).toBeGreaterThan(0);
    for (const { document, line, path, body } of shown) {
      expect(body, `${document}:${line} shows ${path}`).toBe(readFileSync(join(ROOT, path), 'utf8').trimEnd());
    }
  });

  it("the README's options table says what `--help` says: every option, its names and its default", () => {
    const help = helpOptions(execFileSync(process.execPath, ['dist/cli.js', '--help'], { cwd: ROOT, encoding: 'utf8' }));
    const table = optionsTable(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    expect(help.length).toBeGreaterThan(10);
    const same = (a: Option) => (b: Option) => a.flags === b.flags && a.env === b.env && a.default === b.default;
    expect(help.filter((option) => !table.some((row) => same(option)(row.option))), 'in --help, not in the table').toEqual([]);
    // Rows marked <!-- new --> document options being implemented; every other row is in --help.
    const documented = table.filter((row) => !row.isNew).map((row) => row.option);
    expect(documented.filter((option) => !help.some(same(option))), 'in the table, not in --help').toEqual([]);
  });
});

interface Option {
  flags: string;
  env: string;
  default: string;
}

/** From `--help`: "  --port, -p <value>" then, two lines on, "      env: PORT    default: 4010". */
function helpOptions(help: string): Option[] {
  const lines = help.split('\n');
  const options: Option[] = [];
  lines.forEach((line, index) => {
    const env = /^\s+env: (\S+)\s+default: (.*)$/.exec(line);
    if (env) options.push({ flags: lines[index - 2].trim().replace(/ <value>$/, ''), env: env[1], default: env[2].trim() });
  });
  return options;
}

/** From the README: the rows of the table headed | Flag | Env var | Default | What it does |. */
function optionsTable(readme: string): { option: Option; isNew: boolean }[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.startsWith('| Flag | Env var | Default |'));
  expect(start, 'the options table').toBeGreaterThan(-1);
  const rows: { option: Option; isNew: boolean }[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [flags, env, defaultValue] = line.split('|').slice(1, 4).map((cell) => cell.replace(/`/g, '').trim());
    rows.push({ option: { flags, env, default: defaultValue }, isNew: line.trimEnd().endsWith('<!-- new -->') });
  }
  return rows;
}
