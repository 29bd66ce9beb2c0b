// `npm run bench`: every figure of the performance targets, one after the other, as one table and one JSON
// file (bench/results/). `npm run bench -- --soak` runs the RSS soak for the full 5 minutes.
import { measureColdStart } from './cold-start.js';
import { measureCreate } from './create.js';
import { measureDrain } from './drain.js';
import { measureGetOne } from './get-one.js';
import { measureList } from './list.js';
import { measureMemory } from './memory.js';
import { machineLine, printTable, saveResults, type Figure } from './lib/report.js';
import { options } from './lib/options.js';

console.log(machineLine());
console.log(`options: ${JSON.stringify(options)}\n`);
const figures: Figure[] = [];
for (const [name, measure] of [
  ['GET one', measureGetOne],
  ['create', measureCreate],
  ['list', measureList],
  ['cold start', measureColdStart],
  ['memory', measureMemory],
  ['Shared Signals drain', measureDrain],
] as const) {
  process.stderr.write(`measuring ${name}...\n`);
  try {
    figures.push(...(await measure()));
  } catch (error) {
    // One failed measurement must not lose the others' figures.
    console.error(error);
    figures.push({ figure: name, target: '', measured: `failed: ${(error as Error).message}`, pass: false, detail: {} });
  }
}
console.log('');
console.log(machineLine());
printTable(figures);
console.log(`\nresults: ${saveResults('all', figures)}`);
