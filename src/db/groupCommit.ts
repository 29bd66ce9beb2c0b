// Group commit: writes queued during one turn of the event loop are committed by ONE SQLite transaction.
// At synchronous=NORMAL in WAL the commit is most of a small write's cost (~135 µs here), so sharing it
// between the requests that arrived together is what lets durable writes scale with concurrent clients.
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';

/** The outer COMMIT (or BEGIN) failed: nothing of any write in the group was stored. */
export class CommitFailedError extends Error {
  constructor(cause: unknown) {
    super('The database did not commit the write; nothing was stored', { cause });
    this.name = 'CommitFailedError';
  }
}

interface Pending {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Runs one write in a SAVEPOINT (better-sqlite3 nests transactions that way): a throw undoes only that write. */
  private readonly inSavepoint: (write: () => unknown) => unknown;
  private readonly inTransaction: BetterSqlite3.Transaction<(batch: Pending[], outcomes: Outcome[]) => void>;

  constructor(private readonly db: Database) {
    this.inSavepoint = db.transaction((write: () => unknown) => write());
    this.inTransaction = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const item of batch) {
        // An error SQLite answers by rolling back the whole transaction (disk full, I/O) ends the group: the
        // next write must not run outside it, and the COMMIT below then fails for every write.
        if (!db.inTransaction) break;
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(item.write) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  /**
   * Queues `write` (synchronous SQL on this database) for the group committed at the end of this turn.
   * The promise settles only after that COMMIT returned: with the write's result, with what it threw (its
   * own changes undone, the rest of the group unaffected), or with CommitFailedError when the COMMIT failed.
   * Settlements happen in queue order, so what callers do next (events, answers) follows commit order.
   */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now; also usable directly (e.g. before closing the database). */
  flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      if (!this.db.open) throw new TypeError('The database connection is not open');
      // BEGIN IMMEDIATE: the write lock is taken (or waited for, busy_timeout) up front, so a write that
      // reads first (an update) is never refused for a snapshot another connection made stale meanwhile.
      this.inTransaction.immediate(batch, outcomes);
    } catch (error) {
      const failure = new CommitFailedError(error);
      for (const item of batch) item.reject(failure);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
