// `npm run build` (and `prepare`): dist/ from src/.
// - esbuild bundles our code and most dependencies into one file per entry point: a cold start then reads one
//   file instead of ~600 modules (docs/performance.md says what it buys).
// - tsc writes the type declarations of the package's API (dist/types/), checked by `npm run typecheck`.
// The new files are written next to the old ones, each replaced in one rename, and dist/ is never emptied: a
// server already running from dist/ keeps the files it may still load.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Left to Node's resolution at run time:
 * - better-sqlite3 is a native addon;
 * - @fastify/swagger and @fastify/swagger-ui read files of their own package (Swagger UI's static files, their
 *   package.json) relative to their own directory;
 * - the schema compilers and jose are loaded on first use (src/schemaCompilers.ts, src/ssf/keys.ts): bundled,
 *   they would be read at every start.
 */
const external = ['better-sqlite3', '@fastify/swagger', '@fastify/swagger-ui', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'jose'];

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/server.ts', 'src/cli.ts', 'src/index.ts', 'src/health/check.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: true,
  // The bundled CommonJS packages call require() for Node's built-ins (esbuild's documented way for ESM output).
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
});

/** Writes to a temporary name, then renames over the old file: a reader sees the old file or the new one, never half. */
function replace(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

// Without code splitting the names never change, so nothing is left behind.
for (const file of result.outputFiles) replace(file.path, file.contents);

// The dashboard's page, script and style sheet are served as written, from public/ next to the module that
// serves them: src/dashboard/public/ when running from source, dist/public/ once bundled.
const assets = join(root, 'src/dashboard/public');
for (const name of readdirSync(assets)) replace(join(root, 'dist/public', name), readFileSync(join(assets, name)));

// The declarations of the package's API, from tsc itself.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
if (existsSync(tsc)) execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
