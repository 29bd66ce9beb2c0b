// `npm run build` (and `prepare`): bundles src/ and its dependencies into dist/ with esbuild, so a
// cold start reads and compiles three files instead of ~600 modules (README, "Performance"). Type checking stays
// with tsc (`npm run typecheck`); esbuild only strips the types.
//
// dist/server.js (`npm start`), dist/cli.js (the `bin`) and dist/health/check.js (the container
// HEALTHCHECK) share their code through chunks in dist/chunks/. Source maps (dist/**/*.js.map) point
// to src/ and node_modules/.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
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

/**
 * Modules that packages require at load time but use only on paths the emulator never or rarely takes,
 * loaded from node_modules on first use instead of bundled: `glob` serves only @fastify/static's
 * `wildcard: false`, which Swagger UI does not use; `yaml` only /openapi.yaml. Together they were a
 * quarter of the bundle, parsed at every start, and ~40 ms to evaluate.
 * For each package file: the exact text that requires the module, and the chain of packages to resolve
 * it through at run time (each resolved from the previous one, as Node would from the requiring file,
 * however npm laid node_modules out). If a package update changes the text, the build says so and
 * bundles the file unchanged (correct, only slower to start).
 */
const LAZY_REQUIRES = [
  { file: '@fastify/static/index.js', text: "const { glob } = require('glob')", via: ['@fastify/swagger-ui', '@fastify/static'], id: 'glob', as: 'glob', member: 'glob' },
  { file: '@fastify/swagger/lib/spec/openapi/index.js', text: "const yaml = require('yaml')", via: ['@fastify/swagger'], id: 'yaml', as: 'yaml' },
  { file: '@fastify/swagger/lib/spec/swagger/index.js', text: "const yaml = require('yaml')", via: ['@fastify/swagger'], id: 'yaml', as: 'yaml' },
  { file: '@fastify/swagger/lib/mode/static.js', text: "const yaml = require('yaml')", via: ['@fastify/swagger'], id: 'yaml', as: 'yaml' },
  { file: '@fastify/swagger-ui/lib/routes.js', text: "const yaml = require('yaml')", via: ['@fastify/swagger-ui'], id: 'yaml', as: 'yaml' },
];

/** `const <as> = <a lazy stand-in>`: a function forwarding to the module's `member`, or an object forwarding yaml's parse and stringify. */
function lazyText({ via, id, as, member }) {
  const load = `__requireVia(${JSON.stringify(via)}, ${JSON.stringify(id)})`;
  if (member) return `const ${as} = (...args) => ${load}.${member}(...args)`;
  return `const ${as} = { parse: (...args) => ${load}.parse(...args), stringify: (...args) => ${load}.stringify(...args) }`;
}

/** Fails the build if resolving through `via` from dist/ would not find the very file the package requires now. */
function checkChain({ file, via, id }) {
  const fromDist = via.reduce((req, pkg) => createRequire(req.resolve(pkg)), createRequire(`${root}dist/`)).resolve(id);
  const fromFile = createRequire(fileURLToPath(import.meta.resolve(file))).resolve(id);
  if (fromDist !== fromFile) throw new Error(`build: ${id} for ${file} resolves to ${fromDist} through ${via.join(' -> ')}, not ${fromFile}`);
}

const dependencyEdits = {
  name: 'dependency-edits',
  setup(b) {
    const ownDirname = OWN_DIRNAME.map((name) => ({ name, dir: dirname(fileURLToPath(import.meta.resolve(name))) }));
    const lazy = new Map();
    for (const edit of LAZY_REQUIRES) {
      checkChain(edit);
      const path = fileURLToPath(import.meta.resolve(edit.file));
      lazy.set(path, [...(lazy.get(path) ?? []), edit]);
    }
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const pkg = ownDirname.find(({ dir }) => args.path.startsWith(`${dir}${sep}`));
      const edits = lazy.get(args.path);
      if (!pkg && !edits) return undefined;
      const { readFile } = await import('node:fs/promises');
      let text = await readFile(args.path, 'utf8');
      for (const edit of edits ?? []) {
        if (text.includes(edit.text)) text = text.replace(edit.text, lazyText(edit));
        else console.warn(`build: ${edit.file} no longer has \`${edit.text}\`; it is bundled as it is`);
      }
      if (pkg && text.includes('__dirname')) {
        const inPackage = relative(pkg.dir, dirname(args.path)).split(sep).join('/') || '.';
        // On the first line, so every line of the file keeps its number in the source map.
        text = `var __dirname = require('node:path').join(require('node:path').dirname(require.resolve(${JSON.stringify(pkg.name)})), ${JSON.stringify(inPackage)});${text}`;
      }
      return { contents: text, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * Node's built-in modules and better-sqlite3 are required rather than imported, wherever the bundle imports
 * them: importing a built-in as an ES module reads every export of it once, loading parts nothing uses
 * (node:crypto's webcrypto...), and importing a CommonJS package first scans its source for export names.
 */
const REQUIRED = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'better-sqlite3']);
const requireNotImport = {
  name: 'require-not-import',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'import-statement' || !REQUIRED.has(args.path)) return undefined;
      return { path: args.path, namespace: 'required' };
    });
    b.onLoad({ filter: /.*/, namespace: 'required' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
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
      // Requires `id` as the last package of `via` would, each package resolved from the one before (LAZY_REQUIRES).
      'const __requireVia = (via, id) => via.reduce((req, pkg) => __createRequire(req.resolve(pkg)), require)(id);',
    ].join('\n'),
  },
  plugins: [ownImportMetaUrl, dependencyEdits, requireNotImport],
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
// The dashboard's page, script and style sheet are served as written, from next to src/dashboard/routes.ts's output.
cpSync(`${root}src/dashboard/public`, `${root}dist/dashboard/public`, { recursive: true });
