#!/usr/bin/env node
// The package's `bin`: `npx cf-zt-risk-emulator --port 4010 --db :memory: --seed fixtures.json`.
import { main } from './main.js';

await main(process.argv.slice(2));
