// A synchronous publish/subscribe topic: how one feature announces a change to the others (level changes,
// integration changes) without reaching into them. Publishers call it inside the change's transaction, so what a
// subscriber records is stored with the change, and a subscriber that fails fails the change.

export class Topic<T> {
  private readonly listeners = new Set<(message: T) => void>();

  /** Returns the function that unsubscribes. */
  subscribe(listener: (message: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes once to every subscriber, in subscription order; a subscriber's error is thrown to the publisher. */
  publish(message: T): void {
    for (const listener of this.listeners) listener(message);
  }
}
