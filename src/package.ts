// The package's own files (package.json, migrations/), one folder up from this module wherever it runs: src/ under
// tsx, or dist/ once bundled (each entry is one file of dist/), in a clone or installed in node_modules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; description: string };
export const PACKAGE_NAME = pkg.name;
export const PACKAGE_VERSION = pkg.version;
export const PACKAGE_DESCRIPTION = pkg.description;
