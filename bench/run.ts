// `npm run bench`: every figure of issue 7, one after the other, as one table and one JSON file.
import { measureColdStart } from './cold-start.js';
import { measureCreate } from './create.js';
import { measureGetOne } from './get-one.js';
import { measureList } from './list.js';
import { measureMemory } from './memory.js';
import { machine, printTable, saveResults, type Figure } from './lib/report.js';
import { options } from './lib/options.js';

const m = machine();
console.log(`machine: ${m.cpus} x ${m.cpu_model}, ${m.memory_gb} GB, ${m.node}, load ${m.load_average_at_start.join(' ')}`);
console.log(`options: ${JSON.stringify(options)}\n`);
const figures: Figure[] = [];
for (const [name, measure] of [
  ['get one', measureGetOne],
  ['create', measureCreate],
  ['list', measureList],
  ['cold start', measureColdStart],
  ['memory', measureMemory],
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
printTable(figures);
console.log(`\nresults: ${saveResults('all', figures)}`);
