// Opens the SQLite database with the pragmas the emulator relies on, and applies migrations/ in order.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../config.js';
import { PACKAGE_ROOT } from '../package.js';

export type Database = BetterSqlite3.Database;

const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'migrations');

/** A database path that cannot be served: one line that names it, says what is wrong and what to do. */
function unusable(path: string, problem: string, remedy: string, cause?: unknown): ConfigError {
  return new ConfigError(`DATABASE_PATH ${path}: ${problem}; ${remedy}`, { cause });
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return `${String(message)}${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** What a SQLite or file-system failure at start-up means for the user, as a ConfigError naming the path. */
function startupError(path: string, error: unknown): ConfigError {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return unusable(path, `is not an SQLite database, or a corrupt one: ${describe(error)}`, 'point DATABASE_PATH at another file, or move this one away to start afresh', error);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return unusable(path, `cannot be opened for writing: ${describe(error)}`, 'give the emulator write access to the file and its directory (SQLite keeps its write-ahead log and index files beside it), or choose another path', error);
  }
  return unusable(path, `cannot be used: ${describe(error)}`, 'check the file and its directory, or choose another path', error);
}

/** The highest version of `migrations`: a database recording a higher one was written by a newer build. */
export function latestVersion(migrations: readonly Migration[]): number {
  return Math.max(0, ...migrations.map((m) => m.version));
}

/**
 * Opens `path` for serving. Anything that makes it unusable (not a database, corrupt, read-only, a directory,
 * a schema version above the latest of `migrations`, by default those of migrations/) is a ConfigError naming the
 * path, raised before anything is written to it.
 */
export function openDatabase(path: string, migrations?: readonly Migration[]): Database {
  const inMemory = path === ':memory:' || path.startsWith('file:');
  if (!inMemory) {
    let isDirectory = false;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch {
      // Missing: SQLite creates it.
    }
    if (isDirectory) throw unusable(path, 'is a directory', `give a file path, such as ${join(path, 'emulator.db')}`);
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw unusable(path, `its directory cannot be created: ${describe(error)}`, 'create it, or choose another path', error);
    }
  }
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(path);
    refuseNewerSchema(db, path, migrations);
    // Reads every page once: corruption is reported now, naming the file, rather than as a failed request.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') {
      const lines = String(check).split('\n');
      const first = lines.find((line) => !line.startsWith('***')) ?? lines[0];
      throw unusable(path, `is a corrupt SQLite database (quick_check: ${first})`, 'move it away to start afresh, or restore a copy');
    }
    configure(db);
    return db;
  } catch (error) {
    db?.close();
    throw error instanceof ConfigError ? error : startupError(path, error);
  }
}

/** Refuses, before any write, a database whose schema_migrations records a version this build does not have. */
function refuseNewerSchema(db: Database, path: string, migrations: readonly Migration[] = readMigrations()): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").pluck().get();
  if (hasTable === undefined) return;
  const version = (db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
  const known = latestVersion(migrations);
  if (version > known) {
    throw unusable(
      path,
      `was written by a newer version of the emulator (schema version ${version}; this one knows up to ${known})`,
      'run that version or a later one, or choose another DATABASE_PATH',
    );
  }
}

function configure(db: Database): void {
  // WAL: readers never block the writer. synchronous=NORMAL in WAL mode keeps every committed
  // transaction across a process crash (kill -9); only an OS crash or power loss can drop the last ones.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Checkpoints (the only fsyncs at NORMAL) every ~40 MB of WAL instead of ~4 MB: a 20000-row insert loop
  // here went from ~185 to ~135 µs per committed row. The WAL is checkpointed and removed on close.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite opens a file it may not write read-only, without a word: test it with a write that changes nothing.
  db.exec('BEGIN IMMEDIATE; ROLLBACK');
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/** Applies every migration not yet recorded, each in its own transaction; returns the versions applied. */
export function migrate(db: Database, migrations: Migration[] = readMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(
    db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[],
  );
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, new Date().toISOString());
    })();
    done.push(migration.version);
  }
  return done;
}

/** The database's schema version, read on each call (prepared once); undefined when the database is closed or unreadable. */
export function schemaVersionReader(db: Database): () => number | undefined {
  const current = db.prepare('SELECT max(version) FROM schema_migrations').pluck();
  return () => {
    if (!db.open) return undefined;
    try {
      return (current.get() as number | null) ?? 0;
    } catch {
      return undefined;
    }
  };
}
