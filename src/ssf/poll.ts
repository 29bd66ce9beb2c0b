// Long polling (RFC 8936 with returnImmediately=false): a poll waits until its lane (a stream, or an integration's
// held tenant pushes) gets a SET or time runs out.

export class PollWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  private closed = false;

  /** Resolves when the stream gets a SET, after `ms`, or when the app closes, whichever is first. */
  wait(lane: string, ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiting.get(lane) ?? new Set();
      this.waiting.set(lane, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(lane);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  notify(lanes: Iterable<string>): void {
    for (const id of lanes) for (const done of [...(this.waiting.get(id) ?? [])]) done();
  }

  /** Answers every waiting poll now, so closing the app never waits for a long poll. */
  close(): void {
    this.closed = true;
    this.notify([...this.waiting.keys()]);
  }
}
