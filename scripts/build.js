// `npm run build` (and `prepare`): bundles src/ into dist/ with esbuild, one file per process entry, so a
// cold start reads and compiles one module instead of ~600 (README, "Performance"). Type checking stays
// with tsc (`npm run typecheck`); esbuild only strips the types.
//
// dist/server.js (`npm start`), dist/cli.js (the `bin`) and dist/health/check.js (the container
// HEALTHCHECK) share their code through chunks in dist/chunks/. Source maps (dist/**/*.js.map) point
// to src/ and node_modules/.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const src = `${root}src${sep}`;

/**
 * Left to Node's resolution at run time, not bundled:
 * - better-sqlite3 is a native addon;
 * - the schema compilers (ajv, fast-json-stringify), light-my-request and jose are loaded on first use
 *   (src/schemaCompilers.ts, Fastify's inject(), src/ssf/keys.ts); bundled, they would be parsed at every start.
 */
const external = [
  'better-sqlite3',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
  'jose',
];

/**
 * Our modules find files next to themselves (migrations/, package.json) through import.meta.url, written
 * for their place in dist/ as tsc lays it out (src/db/database.ts -> dist/db/database.js). In a chunk, that
 * URL would be the chunk's: each of our modules gets the URL its own compiled file would have had instead.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src)) return undefined;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const asDist = relative(src, args.path).replace(/\.ts$/, '.js');
      return {
        contents: text.replaceAll('import.meta.url', `__distUrl(${JSON.stringify(asDist)})`),
        loader: 'ts',
      };
    });
  },
};

/**
 * Packages that read files of their own through __dirname (@fastify/swagger-ui serves Swagger UI's static
 * files from its directory; @fastify/swagger reads its package.json): in a bundle, __dirname is the
 * directory the package's file had in node_modules, found at run time through Node's resolution of the
 * package, wherever it is installed.
 */
const OWN_DIRNAME = ['@fastify/swagger-ui', '@fastify/swagger'];
const ownDirname = {
  name: 'own-dirname',
  setup(b) {
    const packages = OWN_DIRNAME.map((name) => ({ name, dir: dirname(fileURLToPath(import.meta.resolve(name))) }));
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const pkg = packages.find(({ dir }) => args.path.startsWith(`${dir}${sep}`));
      if (!pkg) return undefined;
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('__dirname')) return undefined;
      const inPackage = relative(pkg.dir, dirname(args.path)).split(sep).join('/') || '.';
      const prologue =
        `var __dirname = require('node:path').join(require('node:path').dirname(require.resolve(${JSON.stringify(pkg.name)})), ${JSON.stringify(inPackage)});`;
      // On the first line, so every line of the file keeps its number in the source map.
      return { contents: `${prologue}${text}`, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

rmSync(`${root}dist`, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/server.ts', 'src/cli.ts', 'src/health/check.ts'],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  sourcemap: true,
  // Bundled CommonJS packages call require() for Node's built-ins and the externals above.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      'const require = __createRequire(import.meta.url);',
      // DIST_ROOT becomes this file's way up to dist/ ('./', '../') once the file's place is known, below.
      'const __distUrl = (path) => new URL(path, new URL(DIST_ROOT, import.meta.url)).href;',
    ].join('\n'),
  },
  plugins: [ownImportMetaUrl, ownDirname],
  logLevel: 'warning',
  write: false,
});
for (const file of result.outputFiles) {
  let contents = file.text;
  if (file.path.endsWith('.js')) {
    const up = relative(dirname(file.path), `${root}dist`).split(sep).join('/');
    contents = contents.replace('DIST_ROOT', JSON.stringify(up ? `${up}/` : './'));
  }
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, contents);
}
