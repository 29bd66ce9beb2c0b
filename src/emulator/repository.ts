// Per-account state, table by table: every table with an `account_tag` column (found by introspection at
// start-up, so features added later are covered without changes here) can be reset, exported and imported.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import type { Database } from '../db/database.js';
import { ApiError, ErrorCode } from '../cloudflare/errors.js';
import { ACCOUNT_ID } from '../cloudflare/identifiers.js';

/** Name and version of the state document format (what export writes and import reads). */
const STATE_FORMAT = 'cf-zt-risk-emulator/state';
const STATE_FORMAT_VERSION = 1;

/** A column value as JSON carries it; BLOBs travel as {"$base64": "..."}. */
export type CellValue = string | number | null | { $base64: string };
export type StateRow = Record<string, CellValue>;

export interface StateDocument {
  format: typeof STATE_FORMAT;
  version: typeof STATE_FORMAT_VERSION;
  schema_version: number;
  /** The accounts the document covers, including those without any row; import replaces exactly these. */
  accounts: string[];
  tables: Record<string, StateRow[]>;
}

interface Column {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  primaryKey: boolean;
}

interface AccountTable {
  name: string;
  columns: Column[];
  selectAll: { all(): unknown[] };
  selectAccount: { all(accountId: string): unknown[] };
  deleteAll: { run(): unknown };
  deleteAccount: { run(accountId: string): unknown };
  /** INSERT statements by the columns a row gives (an omitted column keeps its default), prepared on first use. */
  inserts: Map<string, { run(values: unknown[]): unknown }>;
  accounts: { all(): unknown[] };
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function invalidState(message: string, pointer?: string): ApiError {
  return new ApiError(400, [
    { code: ErrorCode.invalidState, message, ...(pointer === undefined ? {} : { source: { pointer } }) },
  ]);
}

function toCell(value: unknown): CellValue {
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (typeof value === 'bigint') return Number(value);
  return value as CellValue;
}

function fromCell(value: CellValue): unknown {
  return value !== null && typeof value === 'object' ? Buffer.from(value.$base64, 'base64') : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class StateRepository {
  private readonly tables: AccountTable[];
  private readonly schemaVersion: { get(): unknown };

  constructor(private readonly db: Database) {
    this.schemaVersion = db.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck();
    const names = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    this.tables = [];
    for (const name of names) {
      const info = db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{
        name: string;
        notnull: number;
        dflt_value: unknown;
        pk: number;
      }>;
      if (!info.some((c) => c.name === 'account_tag')) continue;
      const columns = info.map((c) => ({ name: c.name, notNull: c.notnull === 1, hasDefault: c.dflt_value !== null, primaryKey: c.pk > 0 }));
      const t = quote(name);
      const list = columns.map((c) => quote(c.name)).join(', ');
      // Insertion order is what lists answer in (rowid), so rows export and import in it; WITHOUT ROWID
      // tables have no rowid and fall back to their primary key.
      let order = 'rowid';
      try {
        db.prepare(`SELECT rowid FROM ${t} LIMIT 0`);
      } catch {
        order = columns.filter((c) => c.primaryKey).map((c) => quote(c.name)).join(', ') || list;
      }
      this.tables.push({
        name,
        columns,
        selectAll: db.prepare(`SELECT ${list} FROM ${t} ORDER BY ${order}`),
        selectAccount: db.prepare(`SELECT ${list} FROM ${t} WHERE account_tag = ? ORDER BY ${order}`),
        deleteAll: db.prepare(`DELETE FROM ${t}`),
        deleteAccount: db.prepare(`DELETE FROM ${t} WHERE account_tag = ?`),
        inserts: new Map(),
        accounts: db.prepare(`SELECT DISTINCT account_tag FROM ${t}`).pluck(),
      });
    }
  }

  /** The per-account tables, in name order. */
  tableNames(): string[] {
    return this.tables.map((t) => t.name);
  }

  /** Every row of one account, or of all accounts. */
  export(accountId?: string): StateDocument {
    return this.db.transaction(() => {
      const tables: Record<string, StateRow[]> = {};
      const accounts = new Set<string>(accountId === undefined ? [] : [accountId]);
      for (const table of this.tables) {
        const rows = (accountId === undefined ? table.selectAll.all() : table.selectAccount.all(accountId)) as Record<string, unknown>[];
        tables[table.name] = rows.map((row) => {
          const out: StateRow = {};
          for (const column of table.columns) out[column.name] = toCell(row[column.name]);
          if (accountId === undefined) accounts.add(row.account_tag as string);
          return out;
        });
      }
      const document: StateDocument = {
        format: STATE_FORMAT,
        version: STATE_FORMAT_VERSION,
        schema_version: this.schemaVersion.get() as number,
        accounts: [...accounts].sort(),
        tables,
      };
      return document;
    })();
  }

  /** Deletes one account's rows (or everyone's) in every table, in one transaction. */
  reset(accountId?: string): void {
    this.db.transaction(() => {
      this.db.pragma('defer_foreign_keys = ON');
      this.deleteRows(accountId === undefined ? undefined : [accountId]);
    })();
  }

  /** Every account that has at least one row somewhere. */
  accounts(): string[] {
    const all = new Set<string>();
    for (const table of this.tables) for (const a of table.accounts.all() as string[]) all.add(a);
    return [...all].sort();
  }

  /**
   * Replaces state with a document, all or nothing. `scope` says what is replaced: everything ('all'),
   * the accounts the document covers ('covered'), or one account (every row must belong to it).
   * Returns the accounts replaced and the rows written. Throws a 400 naming the first problem.
   */
  import(input: unknown, scope: 'all' | 'covered' | { account: string }): { accounts: string[]; rows: number } {
    const document = this.validate(input, typeof scope === 'object' ? scope.account : undefined);
    const run = this.db.transaction(() => {
      // Foreign keys between per-account tables are checked at commit, so rows may come in any table order.
      this.db.pragma('defer_foreign_keys = ON');
      this.deleteRows(scope === 'all' ? undefined : document.accounts);
      let rows = 0;
      for (const table of this.tables) {
        const list = document.tables[table.name] ?? [];
        list.forEach((row, i) => {
          try {
            const given = table.columns.filter((c) => c.name in row);
            this.insertFor(table, given).run(given.map((c) => fromCell(row[c.name] as CellValue)));
          } catch (error) {
            throw invalidState(`tables.${table.name}[${i}] cannot be stored: ${(error as Error).message}`, `/tables/${table.name}/${i}`);
          }
          rows++;
        });
      }
      return rows;
    });
    let rows: number;
    try {
      rows = run();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      // A foreign key checked at commit names no row.
      throw invalidState(`the document cannot be stored: ${(error as Error).message}`);
    }
    return { accounts: document.accounts, rows };
  }

  private insertFor(table: AccountTable, columns: Column[]): { run(values: unknown[]): unknown } {
    const key = columns.map((c) => c.name).join('\0');
    let statement = table.inserts.get(key);
    if (!statement) {
      statement = this.db.prepare(
        `INSERT INTO ${quote(table.name)} (${columns.map((c) => quote(c.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      table.inserts.set(key, statement);
    }
    return statement;
  }

  private deleteRows(accountIds: string[] | undefined): void {
    for (const table of this.tables) {
      if (accountIds === undefined) table.deleteAll.run();
      else for (const accountId of accountIds) table.deleteAccount.run(accountId);
    }
  }

  /** Checks a document's shape, tables, columns and accounts; `onlyAccount` limits every row to one account. */
  private validate(given: unknown, onlyAccount: string | undefined): StateDocument {
    let input = given;
    // The whole answer of an export (envelope and all) is accepted as well as its result.
    if (isPlainObject(input) && input.success === true && isPlainObject(input.result)) input = input.result;
    if (!isPlainObject(input)) throw invalidState('a state document must be a JSON object', '/');
    if (input.format !== undefined && input.format !== STATE_FORMAT) {
      throw invalidState(`format must be ${JSON.stringify(STATE_FORMAT)}`, '/format');
    }
    if (input.version !== undefined && input.version !== STATE_FORMAT_VERSION) {
      throw invalidState(`version ${JSON.stringify(input.version)} is not supported (this emulator reads version ${STATE_FORMAT_VERSION})`, '/version');
    }
    const current = this.schemaVersion.get() as number;
    if (input.schema_version !== undefined && input.schema_version !== current) {
      throw invalidState(
        `the document was exported at schema version ${JSON.stringify(input.schema_version)}, this emulator is at ${current}`,
        '/schema_version',
      );
    }
    for (const key of Object.keys(input)) {
      if (!['format', 'version', 'schema_version', 'accounts', 'tables'].includes(key)) {
        throw invalidState(`unknown field "${key}" (expected format, version, schema_version, accounts, tables)`, `/${key}`);
      }
    }
    if (!isPlainObject(input.tables)) throw invalidState('tables must be an object of table name -> array of rows', '/tables');
    const accounts = new Set<string>();
    if (input.accounts !== undefined) {
      if (!Array.isArray(input.accounts)) throw invalidState('accounts must be an array of account ids', '/accounts');
      input.accounts.forEach((a, i) => {
        if (typeof a !== 'string' || !ACCOUNT_ID.test(a)) {
          throw invalidState(`accounts[${i}]: ${JSON.stringify(a)} is not an account id (32 lower-case hex characters)`, `/accounts/${i}`);
        }
        if (onlyAccount !== undefined && a !== onlyAccount) {
          throw invalidState(`accounts[${i}]: ${a} is not the account being imported (${onlyAccount})`, `/accounts/${i}`);
        }
        accounts.add(a);
      });
    }
    const byName = new Map(this.tables.map((t) => [t.name, t]));
    for (const [name, rows] of Object.entries(input.tables)) {
      const table = byName.get(name);
      if (!table) {
        throw invalidState(`unknown table "${name}" (per-account tables: ${this.tableNames().join(', ') || 'none'})`, `/tables/${name}`);
      }
      if (!Array.isArray(rows)) throw invalidState(`tables.${name} must be an array of rows`, `/tables/${name}`);
      const known = new Set(table.columns.map((c) => c.name));
      rows.forEach((row: unknown, i) => {
        const at = `tables.${name}[${i}]`;
        const pointer = `/tables/${name}/${i}`;
        if (!isPlainObject(row)) throw invalidState(`${at} must be an object of column -> value`, pointer);
        for (const [column, value] of Object.entries(row)) {
          if (!known.has(column)) {
            throw invalidState(`${at} has unknown column "${column}" (columns: ${[...known].join(', ')})`, `${pointer}/${column}`);
          }
          const ok =
            value === null ||
            typeof value === 'string' ||
            (typeof value === 'number' && Number.isFinite(value)) ||
            (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.$base64 === 'string');
          if (!ok) throw invalidState(`${at}.${column} must be a string, a finite number, null or {"$base64": "..."}`, `${pointer}/${column}`);
        }
        for (const column of table.columns) {
          if (column.notNull && !column.hasDefault && (row[column.name] === undefined || row[column.name] === null)) {
            throw invalidState(`${at}.${column.name} is required`, `${pointer}/${column.name}`);
          }
        }
        const accountTag = row.account_tag;
        if (typeof accountTag !== 'string' || !ACCOUNT_ID.test(accountTag)) {
          throw invalidState(`${at}.account_tag ${JSON.stringify(accountTag)} is not an account id (32 lower-case hex characters)`, `${pointer}/account_tag`);
        }
        if (onlyAccount !== undefined && accountTag !== onlyAccount) {
          throw invalidState(`${at}.account_tag ${accountTag} is not the account being imported (${onlyAccount})`, `${pointer}/account_tag`);
        }
        accounts.add(accountTag);
      });
    }
    if (onlyAccount !== undefined) accounts.add(onlyAccount);
    return {
      format: STATE_FORMAT,
      version: STATE_FORMAT_VERSION,
      schema_version: current,
      accounts: [...accounts].sort(),
      tables: input.tables as Record<string, StateRow[]>,
    };
  }
}

/** Reads SEED_FILE and replaces the accounts it covers; any problem is a ConfigError and stores nothing. */
export function seedFromFile(state: StateRepository, path: string): { accounts: string[]; rows: number } {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`SEED_FILE ${path}: ${code ? `cannot be read (${code})` : `not valid JSON (${(error as Error).message})`}`);
  }
  try {
    return state.import(document, 'covered');
  } catch (error) {
    if (error instanceof ApiError) throw new ConfigError(`SEED_FILE ${path}: ${error.errors.map((e) => e.message).join('; ')}; nothing was loaded`);
    throw error;
  }
}
