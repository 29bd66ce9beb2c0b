// The change stamp the read caches rely on: it moves on every write that reaches the database, whoever
// makes it (this connection, another connection, another process), and only then.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { ChangeStamp } from '../../src/db/changeStamp.js';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

let dir: string;
let file: string;
let db: Database;
let stamp: ChangeStamp;

/** Runs SQL in a separate node process with its own connection to the file, and waits for it to exit. */
function inAnotherProcess(sql: string, path = file): void {
  const script = `const D = require(${JSON.stringify(BETTER_SQLITE3)}); const d = new D(process.argv[1]); d.exec(process.argv[2]); d.close();`;
  execFileSync(process.execPath, ['-e', script, path, sql]);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'change-stamp-'));
  file = join(dir, 'db.sqlite');
  db = openDatabase(file);
  db.exec('CREATE TABLE items (name TEXT)');
  stamp = new ChangeStamp(db);
});
afterEach(() => {
  stamp.close();
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ChangeStamp on a database file', () => {
  it('reads the WAL index, and stays the same while only reads happen', () => {
    expect(stamp.readsWalIndex).toBe(true);
    const first = stamp.current();
    db.prepare('SELECT * FROM items').all();
    inAnotherProcess('SELECT count(*) FROM items');
    expect(stamp.current()).toBe(first);
  });

  it('moves on this connection\'s write, and on a write rolled back', () => {
    const before = stamp.current();
    db.prepare("INSERT INTO items VALUES ('a')").run();
    const afterInsert = stamp.current();
    expect(afterInsert).not.toBe(before);
    expect(() =>
      db.transaction(() => {
        db.prepare("INSERT INTO items VALUES ('b')").run();
        throw new Error('undo');
      })(),
    ).toThrow('undo');
    expect(stamp.current()).not.toBe(afterInsert);
  });

  it("moves on another process's commit, every time, through a checkpoint that empties the WAL", () => {
    const seen = [stamp.current()];
    inAnotherProcess("INSERT INTO items VALUES ('x')");
    seen.push(stamp.current());
    inAnotherProcess("UPDATE items SET name = 'y'");
    seen.push(stamp.current());
    db.pragma('wal_checkpoint(TRUNCATE)');
    seen.push(stamp.current());
    inAnotherProcess("DELETE FROM items");
    seen.push(stamp.current());
    // Each commit elsewhere gave a new stamp (the checkpoint may or may not: it changes no row).
    expect(new Set([seen[0], seen[1], seen[2]]).size).toBe(3);
    expect(seen[4]).not.toBe(seen[3]);
    expect(seen[4]).not.toBe(seen[2]);
  });

  it('follows the file SQLite uses when the database path is a symlink', () => {
    const link = join(dir, 'link.sqlite');
    symlinkSync(file, link);
    const viaLink = openDatabase(link);
    const linked = new ChangeStamp(viaLink);
    try {
      expect(linked.readsWalIndex).toBe(true);
      const before = linked.current();
      inAnotherProcess("INSERT INTO items VALUES ('z')");
      expect(linked.current()).not.toBe(before);
    } finally {
      linked.close();
      viaLink.close();
    }
  });
});

describe('ChangeStamp without a -shm file', () => {
  it('uses data_version on an in-memory database, and moves on its writes', () => {
    const memory = openDatabase(':memory:');
    const memoryStamp = new ChangeStamp(memory);
    try {
      expect(memoryStamp.readsWalIndex).toBe(false);
      memory.exec('CREATE TABLE t (x)');
      const before = memoryStamp.current();
      expect(memoryStamp.current()).toBe(before);
      memory.prepare('INSERT INTO t VALUES (1)').run();
      expect(memoryStamp.current()).not.toBe(before);
    } finally {
      memoryStamp.close();
      memory.close();
    }
  });
});
