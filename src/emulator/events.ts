// Announces that per-account state was replaced outside the Cloudflare API (reset, import, seed), so
// features holding something in memory for an account (queues, caches) can drop or reload it.
import { Topic } from '../topic.js';

export interface StateChange {
  kind: 'reset' | 'imported';
  /** The accounts affected; 'all' after a reset or import of everything. */
  accounts: string[] | 'all';
}

export class StateChanges extends Topic<StateChange> {}
