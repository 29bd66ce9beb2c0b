// Process entry of `npm start`: the same main as the `bin` (cli.ts).
import { main } from './main.js';

await main(process.argv.slice(2));
