// A stamp of the database's contents, so answers can be cached while nothing was written.
import type { Database } from './database.js';

/**
 * Equal stamps mean nothing was written in between, by this process (API, control API, seed) or by any other
 * connection to the file, so a cached read is still what SQLite would answer. Two parts, read in one statement:
 * - `total_changes()`: rows this connection has inserted, updated or deleted since it opened (whatever the table,
 *   even when the transaction later rolled back);
 * - `data_version`: moves when another connection (another process on the same file, the sqlite3 shell) commits.
 * It costs one read transaction, as the read it saves does; what a cache hit saves is the rest (rows to objects,
 * serialisation).
 */
export class ChangeStamp {
  private readonly stmt;

  constructor(db: Database) {
    this.stmt = db.prepare<[], { changes: number; version: number }>(
      'SELECT total_changes() AS changes, data_version AS version FROM pragma_data_version',
    );
  }

  current(): string {
    const stamp = this.stmt.get() as { changes: number; version: number };
    return `${stamp.changes}:${stamp.version}`;
  }
}
