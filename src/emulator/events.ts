// Announces that per-account state was replaced outside the Cloudflare API (reset, import, seed), so
// features holding something in memory for an account (queues, caches) can drop or reload it.

export interface StateChange {
  kind: 'reset' | 'imported';
  /** The accounts affected; 'all' after a reset or import of everything. */
  accounts: string[] | 'all';
}

export type StateChangeListener = (change: StateChange) => void;

export class StateChanges {
  private readonly listeners = new Set<StateChangeListener>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes once to every subscriber; a failing subscriber never stops the others or the caller. */
  publish(change: StateChange, onError: (error: unknown) => void = () => {}): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        onError(error);
      }
    }
  }
}
