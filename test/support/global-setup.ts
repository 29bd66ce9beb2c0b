// Builds dist/ once per run with `npm run build`'s script, so end-to-end tests drive exactly what `npm start` runs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.js'], {
    cwd: root,
    stdio: 'inherit',
  });
}
