// A stamp of the database's contents, so answers can be cached while nothing was written.
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import type { Database } from './database.js';

/**
 * The WAL-index header SQLite keeps at the start of the `-shm` file (https://www.sqlite.org/walformat.html):
 * two copies of a 48-byte header, rewritten by every commit of every connection (its change counter,
 * last frame and checksums move), and by a WAL reset (new salts). Its layout is fixed: connections of
 * different SQLite versions share it.
 */
const WAL_INDEX_HEADER_BYTES = 96;
const WAL_INDEX_VERSION = 3007000;

/**
 * Equal stamps mean nothing was written in between, by this process (API, control API, seed) or by any other
 * connection to the file, so a cached read is still what SQLite would answer. Two parts:
 * - `total_changes()`: rows this connection has inserted, updated or deleted since it opened (whatever the
 *   table, even when the transaction later rolled back); a function call, no file access;
 * - a commit by another connection (another process on the file, a sqlite3 shell): seen in the WAL-index
 *   header, read with one pread of the `-shm` file. `PRAGMA data_version` says the same but costs a read
 *   transaction (file locks and an fstat: ~15 µs per GET under load, a tenth of the request); it remains the
 *   fallback where there is no `-shm` file to read (`:memory:`, a `file:` URI, an unexpected header).
 * Reading the header takes no lock: a read that races a commit may see it half-written, which only looks
 * like one more change (the next read sees the final bytes, another change), never like no change.
 */
export class ChangeStamp {
  private readonly changesStmt;
  private readonly versionStmt;
  private readonly shm: number | undefined;
  private readonly seen = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private readonly read = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  private changesSeen: number;
  private dataVersionSeen = 0;
  /** Moves on whenever either part is seen to change; a number, so a request builds and compares no string. */
  private stamp = 0;

  constructor(db: Database) {
    this.changesStmt = db.prepare<[], number>('SELECT total_changes()').pluck();
    this.versionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.shm = openWalIndex(db);
    if (this.shm !== undefined) readSync(this.shm, this.seen, 0, WAL_INDEX_HEADER_BYTES, 0);
    else this.dataVersionSeen = this.versionStmt.get() as number;
    this.changesSeen = this.changesStmt.get() as number;
  }

  /** Whether other connections' commits are seen through the `-shm` file (else through `data_version`). */
  get readsWalIndex(): boolean {
    return this.shm !== undefined;
  }

  current(): number {
    const changes = this.changesStmt.get() as number;
    let changed = changes !== this.changesSeen;
    if (this.shm === undefined) {
      const dataVersion = this.versionStmt.get() as number;
      if (dataVersion !== this.dataVersionSeen) {
        this.dataVersionSeen = dataVersion;
        changed = true;
      }
    } else {
      readSync(this.shm, this.read, 0, WAL_INDEX_HEADER_BYTES, 0);
      if (!this.read.equals(this.seen)) {
        this.read.copy(this.seen);
        changed = true;
      }
    }
    if (changed) {
      this.changesSeen = changes;
      this.stamp++;
    }
    return this.stamp;
  }

  close(): void {
    if (this.shm !== undefined) closeSync(this.shm);
  }
}

/** The open `-shm` file of a WAL database on disk, when its header is one this code knows; else undefined. */
function openWalIndex(db: Database): number | undefined {
  if (db.memory || (db.pragma('journal_mode', { simple: true }) as string) !== 'wal') return undefined;
  let fd: number | undefined;
  try {
    // SQLite names the file after the database's real path (symlinks resolved).
    fd = openSync(`${realpathSync(db.name)}-shm`, 'r');
    const header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
    // The first read transaction builds the WAL index if no connection has yet.
    db.pragma('data_version');
    const bytes = readSync(fd, header, 0, WAL_INDEX_HEADER_BYTES, 0);
    // iVersion (offset 0) and isInit (offset 12), in the machine's byte order as SQLite writes them.
    if (bytes === WAL_INDEX_HEADER_BYTES && header.readUInt32LE(0) === WAL_INDEX_VERSION && header[12] === 1) return fd;
    if (bytes === WAL_INDEX_HEADER_BYTES && header.readUInt32BE(0) === WAL_INDEX_VERSION && header[12] === 1) return fd;
  } catch {
    // No readable -shm file where SQLite would put it: use data_version.
  }
  if (fd !== undefined) closeSync(fd);
  return undefined;
}
