// How every benchmark reports: a figure against its target, printed as a table and saved as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { options } from './options.js';

export interface Figure {
  figure: string;
  target: string;
  measured: string;
  /** null when the figure could not be judged (a peer that could not be started). */
  pass: boolean | null;
  /** Raw numbers behind the measured text (rounds, baseline, samples...). */
  detail: Record<string, unknown>;
}

/** A Markdown table, columns padded. */
export function printRows(header: readonly string[], body: ReadonlyArray<readonly string[]>): void {
  const rows = [header, ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of body) console.log(line(r));
}

export function printTable(figures: readonly Figure[]): void {
  printRows(
    ['figure', 'target', 'measured', 'pass'],
    figures.map((f) => [f.figure, f.target, f.measured, f.pass === null ? 'n/a' : f.pass ? 'ok' : 'MISSED']),
  );
}

/** The machine the figures come from, read when the run starts (the load average says who else was busy). */
const MACHINE = (() => {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
})();

/** The machine line printed above every table. */
export function machineLine(): string {
  const m = MACHINE;
  return `machine: ${m.cpus} x ${m.cpu_model}, ${m.memory_gb} GB, Node ${m.node}, ${m.platform}, load average ${m.load_average_at_start.join(' ')} at start, ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} now`;
}

/** Writes bench/results/<name>-<time>.json and <name>-latest.json: the machine, the knobs and the figures. */
export function saveResults(name: string, figures: readonly object[]): string {
  const dir = fileURLToPath(new URL('../results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const body = JSON.stringify({ date: new Date().toISOString(), machine: { ...MACHINE, load_average_at_end: loadavg() }, options, figures }, null, 2);
  const file = `${dir}${name}-${stamp}.json`;
  writeFileSync(file, body);
  writeFileSync(`${dir}${name}-latest.json`, body);
  return file;
}

/** Runs a single benchmark script when it is executed directly (`tsx bench/get-one.ts`). */
export function runIfMain(moduleUrl: string, name: string, measure: () => Promise<Figure[]>): void {
  if (!process.argv[1] || pathToFileURL(process.argv[1]).href !== moduleUrl) return;
  measure().then(
    (figures) => {
      console.log(machineLine());
      printTable(figures);
      console.log(`\nresults: ${saveResults(name, figures)}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
