// The one internal interface through which a change of a user's effective risk level is announced.
// The risk feature publishes; the Shared Signals transmitter (and tests) subscribe.

export type RiskLevel = 'low' | 'medium' | 'high';

export interface LevelChange {
  accountId: string;
  userId: string;
  email: string;
  name: string;
  previous: RiskLevel;
  current: RiskLevel;
  /** Human-readable cause, e.g. "Impossible travel triggered" or "Risk score reset by an administrator". */
  reason: string;
  /** What caused it: an injected event, a behavior reconfiguration, or a reset. */
  cause: 'event' | 'behavior' | 'reset';
  /** When the change took effect, RFC 3339 UTC. */
  at: string;
}

export type LevelChangeListener = (change: LevelChange) => void;

export class LevelChanges {
  private readonly listeners = new Set<LevelChangeListener>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: LevelChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes once to every subscriber; a failing subscriber never stops the others or the caller. */
  publish(change: LevelChange, onError: (error: unknown) => void = () => {}): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        onError(error);
      }
    }
  }
}
