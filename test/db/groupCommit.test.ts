// Group commit: writes queued in one turn share one transaction; each write fails alone; nothing is
// acknowledged before its COMMIT returned. A second connection to the same file sees only committed rows,
// so it tells, at the moment something happens, what is durable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { CommitFailedError, GroupCommit } from '../../src/db/groupCommit.js';

let dir: string;
let db: Database;
let observer: Database;
let writes: GroupCommit;

/** The names the second connection can see: only what was committed. */
const committed = (): string[] => observer.prepare('SELECT name FROM items ORDER BY name').pluck().all() as string[];
const insert = (name: string) => () => db.prepare('INSERT INTO items (name) VALUES (?)').run(name).lastInsertRowid;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  db.exec(`CREATE TABLE items (name TEXT NOT NULL UNIQUE);
    CREATE TABLE parents (id INTEGER PRIMARY KEY);
    CREATE TABLE children (parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)`);
  observer = openDatabase(join(dir, 'db.sqlite'));
  writes = new GroupCommit(db);
});
afterEach(() => {
  observer.close();
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GroupCommit', () => {
  it('runs the writes queued in one turn in one transaction, in order, and resolves each with its result', async () => {
    const seenDuringGroup: string[][] = [];
    const results = await Promise.all([
      writes.run(insert('a')),
      writes.run(() => {
        // 'a' was written just before, in the same transaction: not committed yet.
        seenDuringGroup.push(committed());
        return insert('b')();
      }),
      writes.run(() => {
        seenDuringGroup.push(committed());
        return insert('c')();
      }),
    ]);
    expect(results).toEqual([1, 2, 3]);
    expect(seenDuringGroup).toEqual([[], []]);
    expect(committed()).toEqual(['a', 'b', 'c']);
  });

  it('resolves a write only after its COMMIT: at that moment another connection already sees the row', async () => {
    const seenDuringWrite: string[][] = [];
    const seenOnResolve = await writes.run(() => {
      insert('durable')();
      seenDuringWrite.push(committed());
    }).then(() => committed());
    expect(seenDuringWrite).toEqual([[]]);
    expect(seenOnResolve).toEqual(['durable']);
  });

  it('settles in queue order, and a write queued by a settled caller goes into the next group', async () => {
    const order: string[] = [];
    const next: Promise<unknown>[] = [];
    await Promise.allSettled([
      writes.run(insert('x')).then(() => {
        order.push('x');
        next.push(writes.run(() => order.push(`y sees ${committed().join(',')}`)));
      }),
      writes.run(insert('x')).catch(() => order.push('duplicate x')),
      writes.run(insert('z')).then(() => order.push('z')),
    ]);
    await Promise.all(next);
    expect(order).toEqual(['x', 'duplicate x', 'z', 'y sees x,z']);
  });

  it('a failing write undoes only its own changes and rejects only its own caller', async () => {
    const outcomes = await Promise.allSettled([
      writes.run(insert('first')),
      writes.run(() => {
        insert('undone')();
        throw new Error('second write fails after its insert');
      }),
      writes.run(insert('first')), // UNIQUE violation
      writes.run(insert('last')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('second write fails after its insert'));
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(committed()).toEqual(['first', 'last']);
  });

  it('rejects every write of the group with CommitFailedError when the COMMIT fails, and stores none', async () => {
    const outcomes = await Promise.allSettled([
      writes.run(insert('lost')),
      // Valid on its own; the deferred foreign key is only checked, and refused, at COMMIT.
      writes.run(() => db.prepare('INSERT INTO children (parent) VALUES (42)').run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) {
      const reason = (outcome as PromiseRejectedResult).reason as CommitFailedError;
      expect(reason).toBeInstanceOf(CommitFailedError);
      expect(reason.cause).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    }
    expect(committed()).toEqual([]);
    // The next group is unaffected.
    await writes.run(insert('after'));
    expect(committed()).toEqual(['after']);
  });

  it('stops the group when SQLite rolled the whole transaction back: later writes do not run outside it', async () => {
    let lastRan = false;
    const outcomes = await Promise.allSettled([
      writes.run(insert('rolled back')),
      writes.run(() => db.exec('ROLLBACK')), // what SQLite does itself on e.g. a full disk
      writes.run(() => {
        lastRan = true;
        insert('never')();
      }),
    ]);
    expect(outcomes.map((o) => (o as PromiseRejectedResult).reason)).toEqual([
      expect.any(CommitFailedError),
      expect.any(CommitFailedError),
      expect.any(CommitFailedError),
    ]);
    expect(lastRan).toBe(false);
    expect(committed()).toEqual([]);
  });

  it('takes the write lock before running any write: when another connection holds it, the group is refused whole', async () => {
    db.pragma('busy_timeout = 20');
    observer.exec('BEGIN IMMEDIATE');
    let ran = false;
    const outcome = await writes
      .run(() => {
        ran = true;
        committed();
      })
      .catch((error: unknown) => error);
    observer.exec('ROLLBACK');
    expect(outcome).toBeInstanceOf(CommitFailedError);
    expect((outcome as CommitFailedError).cause).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(ran).toBe(false);
  });

  it('rejects with CommitFailedError, never throws, when the database is already closed', async () => {
    const pending = writes.run(insert('too late'));
    db.close();
    await expect(pending).rejects.toBeInstanceOf(CommitFailedError);
  });
});
