// Wires the emulator controls into the app: journal and fault hooks on every request, the control API,
// the seed file, and the auth mode for Cloudflare's paths.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ConfigError, type Config } from '../config.js';
import { ApiError } from '../cloudflare/errors.js';
import type { Database } from '../db/database.js';
import { authorizer, type Authorizer } from './auth.js';
import { StateChanges } from './events.js';
import { FaultRules } from './faults.js';
import { Journal } from './journal.js';
import { StateRepository } from './repository.js';
import { adminCheck, CONTROL_PREFIX, controlRoutes } from './routes.js';

export interface EmulatorControls {
  /** The credential check of Cloudflare's paths, per AUTH_MODE. */
  authorize: Authorizer;
  stateChanges: StateChanges;
}

/** Reads SEED_FILE and replaces the accounts it covers; any problem is a ConfigError and stores nothing. */
function seed(state: StateRepository, path: string): { accounts: string[]; rows: number } {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`SEED_FILE ${path}: ${code ? `cannot be read (${code})` : `not valid JSON (${(error as Error).message})`}`);
  }
  try {
    return state.import(document, 'covered');
  } catch (error) {
    if (error instanceof ApiError) throw new ConfigError(`SEED_FILE ${path}: ${error.errors.map((e) => e.message).join('; ')}; nothing was loaded`);
    throw error;
  }
}

export async function emulatorControls(
  app: FastifyInstance,
  config: Config,
  deps: { db: Database; now: () => Date; newId: () => string; random: () => number },
): Promise<EmulatorControls> {
  const authorize = authorizer(config);
  const state = new StateRepository(deps.db);
  if (config.seedFile !== undefined) {
    const loaded = seed(state, config.seedFile);
    app.log.info({ seedFile: config.seedFile, ...loaded }, `seeded ${loaded.rows} rows for ${loaded.accounts.length} accounts from ${config.seedFile}`);
  }
  // The journal observes the real process, so it reads the wall clock: reading the app's injectable clock on
  // every request would shift the times a pinned test clock gives the emulated objects.
  const journal = new Journal(config.journalSize, Date.now);
  journal.install(app);
  const faults = new FaultRules(deps.newId, deps.random);
  faults.install(app);
  const stateChanges = new StateChanges();
  // Every path under /__emulator/, whichever feature serves it (risk events, SSF controls), needs the admin token.
  const check = adminCheck(config.adminToken);
  if (check) {
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith(`${CONTROL_PREFIX}/`)) check(request);
    });
  }
  await app.register(controlRoutes, {
    prefix: CONTROL_PREFIX,
    state,
    journal,
    faults,
    stateChanges,
  });
  return { authorize, stateChanges };
}
