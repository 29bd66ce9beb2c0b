// A synchronous publish/subscribe topic: how one feature announces something to the others
// (level changes, integration changes, state resets) without reaching into them.

export class Topic<T> {
  private readonly listeners = new Set<(message: T) => void>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: (message: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes once to every subscriber; a failing subscriber never stops the others or the caller. */
  publish(message: T, onError: (error: unknown) => void = () => {}): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        onError(error);
      }
    }
  }
}
