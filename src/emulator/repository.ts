// Per-account state, table by table: every table with an account_tag column, as its feature describes it
// (src/<feature>/state.ts), can be reset, exported and imported. An import is checked as the API would check each
// value, its references must stay inside the document's own accounts, and it is written all or nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Type, type TSchema } from '@sinclair/typebox';
import type { ErrorObject, ValidatorFactory } from '@fastify/ajv-compiler';
import { ConfigError } from '../config.js';
import type { Database } from '../db/database.js';
import type { AccountTable, RowReference } from '../db/accountTables.js';
import { ApiError, ErrorCode, pointerToken } from '../cloudflare/errors.js';
import { problemOf } from '../cloudflare/failures.js';
import { AccountId } from '../cloudflare/identifiers.js';
import { MAX_JSON_DEPTH } from '../cloudflare/jsonBody.js';

/** Name and version of the state document format (what export writes and import reads). */
const STATE_FORMAT = 'cf-zt-risk-emulator/state';
const STATE_FORMAT_VERSION = 2;
const DOCUMENT_FIELDS = ['format', 'version', 'schema_version', 'secrets', 'accounts', 'tables'];

/** A column value as JSON carries it. */
type CellValue = string | number | null;
type StateRow = Record<string, CellValue>;

export interface StateDocument {
  format: typeof STATE_FORMAT;
  version: typeof STATE_FORMAT_VERSION;
  schema_version: number;
  /** Whether secret rows and columns are included; when not, they are left out (neither null nor redacted). */
  secrets: boolean;
  /** The accounts the document covers, including those without any row; import replaces exactly these. */
  accounts: string[];
  tables: Record<string, StateRow[]>;
}

/** A unique index of the table: its columns, and whether it spans accounts (it does not include account_tag). */
interface UniqueKey {
  columns: string[];
  global: boolean;
  /** The account holding a value (undefined: none). */
  holder: { get(...values: unknown[]): unknown };
}

interface Table {
  name: string;
  description: AccountTable;
  /** The stored columns, in table order (account_tag included, assigned ones not). */
  columns: string[];
  /** The columns an export without secrets gives. */
  publicColumns: string[];
  uniqueKeys: UniqueKey[];
  selectAll: { all(): unknown[] };
  selectAccount: { all(accountId: string): unknown[] };
  deleteAll: { run(): unknown };
  deleteAccount: { run(accountId: string): unknown };
  /** INSERT statements by the columns a row gives (an omitted column keeps its default), prepared on first use. */
  inserts: Map<string, { run(values: unknown[]): unknown }>;
  accounts: { all(): unknown[] };
}

interface Validate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

interface Validators {
  document: Validate;
  /** Table -> JSON column -> the validator of its parsed value. */
  json: Map<string, Map<string, Validate>>;
}

/** A row of the document, and where it is. */
interface Located {
  table: Table;
  index: number;
  row: StateRow;
}

// Loaded on first import (Ajv is ~100 ms of module loading most runs never need): the compiler the API's own
// routes use, without coercion as there, so a value is refused here exactly when the API would refuse it.
const require = createRequire(import.meta.url);

function loadCompiler(): (schema: TSchema) => Validate {
  const factory = (require('@fastify/ajv-compiler') as () => ValidatorFactory)();
  // One problem at a time (the first), no coercion, no defaults, nothing removed: the document is stored as given.
  const compile = factory({}, { customOptions: { coerceTypes: false, allErrors: false, removeAdditional: false, useDefaults: false } });
  return (schema) => compile({ schema }) as Validate;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function invalidState(message: string, pointer: string): ApiError {
  return new ApiError(400, [{ code: ErrorCode.invalidState, message, source: { pointer } }]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `/tables/integrations/0/id` -> `tables.integrations[0].id`: how messages name a place. */
function fieldOf(pointer: string): string {
  let field = '';
  for (const token of pointer.split('/').slice(1)) {
    const name = token.replaceAll('~1', '/').replaceAll('~0', '~');
    field += /^(0|[1-9][0-9]*)$/.test(name) ? `[${name}]` : field === '' ? name : `.${name}`;
  }
  return field || 'the document';
}

/** The place and the problem of a failed validation: the last error is the outermost keyword that failed. */
function describeErrors(errors: readonly ErrorObject[]): { pointer: string; problem: string } {
  const last = errors[errors.length - 1] as ErrorObject;
  if (last.keyword === 'anyOf') {
    // A choice of constants (a union of literals, perhaps with null) reads as one list.
    // Nested unions (a union of literals, or null) are flattened: their own anyOf errors say nothing more.
    const branches = errors.filter((e) => e.keyword !== 'anyOf' && e.instancePath === last.instancePath);
    const allowed = branches.map((e) =>
      e.keyword === 'const' ? JSON.stringify(e.params.allowedValue) : e.keyword === 'type' && e.params.type === 'null' ? 'null' : undefined,
    );
    if (allowed.length > 0 && allowed.every((a) => a !== undefined)) {
      return { pointer: last.instancePath, problem: `must be one of: ${allowed.join(', ')}` };
    }
    return describeError(errors.find((e) => !(e.keyword === 'type' && e.params.type === 'null')) ?? last);
  }
  return describeError(errors[0] as ErrorObject);
}

function describeError(error: ErrorObject): { pointer: string; problem: string } {
  const at = error.instancePath;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${at}/${pointerToken(String(p.missingProperty))}`, problem: problemOf(error) };
    case 'additionalProperties':
      return { pointer: `${at}/${pointerToken(String(p.additionalProperty))}`, problem: 'is not allowed here' };
    default:
      return { pointer: at, problem: problemOf(error) };
  }
}

/**
 * Why parsed JSON from a column cannot be stored, if it cannot: the limits the API's body parser sets on anything
 * it reads (nesting depth, no prototype keys), checked without recursion.
 */
function jsonLimitProblem(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(current)) {
      if (key === '__proto__' || (key === 'constructor' && isPlainObject(child) && Object.hasOwn(child, 'prototype'))) {
        return `holds a forbidden prototype key ("${key}")`;
      }
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

export class StateRepository {
  /** In name order, as exports list them. */
  private readonly tables: Table[];
  /** In the order the features declare them (what is referenced first), as imports check them. */
  private readonly checkOrder: Table[];
  private readonly byName: Map<string, Table>;
  private readonly schemaVersion: { get(): unknown };
  private validators: Validators | undefined;

  /**
   * `descriptions`: every per-account table, as its feature describes it. A table with an account_tag column and
   * no description, or a description that disagrees with the table's columns, is a mistake caught here, at start-up.
   */
  constructor(
    private readonly db: Database,
    descriptions: readonly AccountTable[],
  ) {
    this.schemaVersion = db.prepare('SELECT coalesce(max(version), 0) FROM schema_migrations').pluck();
    const described = new Map(descriptions.map((d) => [d.table, d]));
    const names = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    this.tables = [];
    for (const name of names) {
      const info = db.prepare(`PRAGMA table_info(${quote(name)})`).all() as Array<{ name: string; notnull: number; dflt_value: unknown; pk: number }>;
      if (!info.some((c) => c.name === 'account_tag')) continue;
      const description = described.get(name);
      if (!description) throw new Error(`per-account table ${name} has no description: declare it in its feature's state.ts and hand it to StateRepository`);
      described.delete(name);
      this.tables.push(this.prepareTable(name, info, description));
    }
    if (described.size > 0) throw new Error(`described tables without an account_tag column: ${[...described.keys()].join(', ')}`);
    this.byName = new Map(this.tables.map((t) => [t.name, t]));
    this.checkOrder = descriptions.map((d) => this.byName.get(d.table) as Table);
    for (const table of this.tables) {
      for (const reference of table.description.references ?? []) {
        const target = this.byName.get(reference.table);
        const key = target?.uniqueKeys.find((k) => k.global && k.columns.length === 1 && k.columns[0] === reference.key);
        // A row kept for the record is checked against other accounts' rows by that key.
        if (!target?.columns.includes(reference.key) || (reference.mayOutlive && !key)) {
          throw new Error(`${table.name}.${reference.column} references ${reference.table}.${reference.key}, which is not a per-account table's ${reference.mayOutlive ? 'unique key' : 'column'}`);
        }
      }
    }
  }

  private prepareTable(
    name: string,
    info: Array<{ name: string; notnull: number; dflt_value: unknown; pk: number }>,
    description: AccountTable,
  ): Table {
    const assigned = new Set(description.assigned ?? []);
    const declared = Type.Object(description.columns);
    const required = new Set(declared.required ?? []);
    for (const c of info) {
      if (c.name === 'account_tag' || assigned.has(c.name)) continue;
      if (!Object.hasOwn(description.columns, c.name)) throw new Error(`${name}.${c.name} is not described`);
      // A column the database cannot default must be given; one it can may be left out.
      const mustBeGiven = c.notnull === 1 && c.dflt_value === null;
      if (mustBeGiven !== required.has(c.name)) throw new Error(`${name}.${c.name} must be ${mustBeGiven ? 'required' : 'Type.Optional'} in its description`);
    }
    for (const column of Object.keys(description.columns)) {
      if (!info.some((c) => c.name === column)) throw new Error(`${name}.${column} is described but not a column`);
    }
    const columns = info.map((c) => c.name).filter((c) => !assigned.has(c));
    const secret = description.secret === true ? [] : (description.secret ?? []);
    const t = quote(name);
    const list = columns.map(quote).join(', ');
    // Insertion order is what lists answer in (rowid), so rows export and import in it; WITHOUT ROWID tables have
    // no rowid and fall back to their primary key.
    let order = 'rowid';
    try {
      this.db.prepare(`SELECT rowid FROM ${t} LIMIT 0`);
    } catch {
      order = info.filter((c) => c.pk > 0).map((c) => quote(c.name)).join(', ') || list;
    }
    return {
      name,
      description,
      columns,
      publicColumns: columns.filter((c) => !secret.includes(c)),
      uniqueKeys: this.uniqueKeys(name),
      selectAll: this.db.prepare(`SELECT ${list} FROM ${t} ORDER BY ${order}`),
      selectAccount: this.db.prepare(`SELECT ${list} FROM ${t} WHERE account_tag = ? ORDER BY ${order}`),
      deleteAll: this.db.prepare(`DELETE FROM ${t}`),
      deleteAccount: this.db.prepare(`DELETE FROM ${t} WHERE account_tag = ?`),
      inserts: new Map(),
      accounts: this.db.prepare(`SELECT DISTINCT account_tag FROM ${t}`).pluck(),
    };
  }

  /** The table's unique indexes (primary key and UNIQUE constraints included), read from SQLite itself. */
  private uniqueKeys(name: string): UniqueKey[] {
    const indexes = this.db.prepare(`PRAGMA index_list(${quote(name)})`).all() as Array<{ name: string; unique: number; partial: number }>;
    const keys: UniqueKey[] = [];
    for (const index of indexes) {
      if (index.unique !== 1 || index.partial === 1) continue;
      const columns = (this.db.prepare(`PRAGMA index_info(${quote(index.name)})`).all() as Array<{ name: string | null }>).map((c) => c.name);
      if (columns.some((c) => c === null)) continue; // an expression: left to the database
      const named = columns as string[];
      keys.push({
        columns: named,
        global: !named.includes('account_tag'),
        holder: this.db
          .prepare(`SELECT account_tag FROM ${quote(name)} WHERE ${named.map((c) => `${quote(c)} = ?`).join(' AND ')} LIMIT 1`)
          .pluck(),
      });
    }
    return keys;
  }

  /** The per-account tables, in name order. */
  tableNames(): string[] {
    return this.tables.map((t) => t.name);
  }

  /** Every row of one account, or of all accounts; secrets (keys, Authorization values) only when asked for. */
  export(accountId?: string, options: { secrets?: boolean } = {}): StateDocument {
    const secrets = options.secrets === true;
    return this.db.transaction(() => {
      const tables: Record<string, StateRow[]> = {};
      const accounts = new Set<string>(accountId === undefined ? [] : [accountId]);
      for (const table of this.tables) {
        if (table.description.secret === true && !secrets) continue;
        const columns = secrets ? table.columns : table.publicColumns;
        const rows = (accountId === undefined ? table.selectAll.all() : table.selectAccount.all(accountId)) as Record<string, unknown>[];
        tables[table.name] = rows.map((row) => {
          const out: StateRow = {};
          for (const column of columns) {
            const value = row[column];
            out[column] = typeof value === 'bigint' ? Number(value) : (value as CellValue);
          }
          if (accountId === undefined) accounts.add(row.account_tag as string);
          return out;
        });
      }
      const document: StateDocument = {
        format: STATE_FORMAT,
        version: STATE_FORMAT_VERSION,
        schema_version: this.schemaVersion.get() as number,
        secrets,
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
   * Returns the accounts replaced and the rows written. Throws a 400 (code 1410) naming the first problem.
   */
  import(input: unknown, scope: 'all' | 'covered' | { account: string }): { accounts: string[]; rows: number } {
    const { accounts, rows, base } = this.read(input, typeof scope === 'object' ? scope.account : undefined);
    const run = this.db.transaction(() => {
      this.db.pragma('defer_foreign_keys = ON');
      this.deleteRows(scope === 'all' ? undefined : accounts);
      // What is left belongs to the accounts the import does not replace: nothing of theirs may be named or taken.
      for (const located of rows) this.checkAgainstOtherAccounts(located, base);
      for (const { table, index, row } of rows) {
        const given = table.columns.filter((c) => Object.hasOwn(row, c));
        try {
          this.insertFor(table, given).run(given.map((c) => row[c]));
        } catch (error) {
          // Every rule is checked above; a refusal of the database is still the document's problem, never a 500.
          throw invalidState(`tables.${table.name}[${index}] cannot be stored: ${(error as Error).message}`, `${base}/tables/${table.name}/${index}`);
        }
      }
      return rows.length;
    });
    let written: number;
    try {
      written = run();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      // A constraint checked at commit names no row.
      throw invalidState(`the document cannot be stored: ${(error as Error).message}`, base || '/');
    }
    return { accounts, rows: written };
  }

  private insertFor(table: Table, columns: string[]): { run(values: unknown[]): unknown } {
    const key = columns.join('\0');
    let statement = table.inserts.get(key);
    if (!statement) {
      statement = this.db.prepare(`INSERT INTO ${quote(table.name)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
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

  private compiled(): Validators {
    if (this.validators) return this.validators;
    const compile = loadCompiler();
    const tables = Object.fromEntries(
      this.checkOrder.map((t) => [
        t.name,
        Type.Optional(Type.Array(Type.Object({ account_tag: AccountId, ...t.description.columns }, { additionalProperties: false }))),
      ]),
    );
    const document = Type.Object(
      {
        format: Type.Optional(Type.Literal(STATE_FORMAT)),
        version: Type.Optional(Type.Literal(STATE_FORMAT_VERSION)),
        schema_version: Type.Optional(Type.Integer()),
        secrets: Type.Optional(Type.Boolean()),
        accounts: Type.Optional(Type.Array(AccountId)),
        tables: Type.Object(tables, { additionalProperties: false }),
      },
      { additionalProperties: false },
    );
    const json = new Map(
      this.tables.map((t) => [t.name, new Map(Object.entries(t.description.json ?? {}).map(([column, schema]) => [column, compile(schema)]))]),
    );
    this.validators = { document: compile(document), json };
    return this.validators;
  }

  /**
   * Checks a document as a whole before anything is written: its shape and every value (one compiled validator),
   * the JSON columns, the rules between columns, the keys unique within it, and that every reference names a row of
   * the same document and account. `onlyAccount` limits every row to one account.
   */
  private read(given: unknown, onlyAccount: string | undefined): { accounts: string[]; rows: Located[]; base: string } {
    let input = given;
    let base = '';
    // The whole answer of an export (envelope and all) is accepted as well as its result.
    if (isPlainObject(input) && input.success === true && isPlainObject(input.result)) {
      input = input.result;
      base = '/result';
    }
    const refuse = (message: string, pointer: string) => invalidState(message, `${base}${pointer}` || '/');
    if (!isPlainObject(input)) throw refuse('a state document must be a JSON object', '');
    // What the document is decides how to read the rest, so it is checked first, with its own words.
    if (input.format !== undefined && input.format !== STATE_FORMAT) throw refuse(`format must be ${JSON.stringify(STATE_FORMAT)}`, '/format');
    if (input.version !== undefined && input.version !== STATE_FORMAT_VERSION) {
      throw refuse(`version ${JSON.stringify(input.version)} is not supported (this emulator reads version ${STATE_FORMAT_VERSION})`, '/version');
    }
    const current = this.schemaVersion.get() as number;
    if (input.schema_version !== undefined && input.schema_version !== current) {
      throw refuse(`the document was exported at schema version ${JSON.stringify(input.schema_version)}, this emulator is at ${current}`, '/schema_version');
    }

    const validators = this.compiled();
    if (!validators.document(input)) throw this.documentProblem(validators.document.errors ?? [], refuse);
    const document = input as { accounts?: string[]; tables: Record<string, StateRow[] | undefined> };

    const accounts = new Set<string>(onlyAccount === undefined ? [] : [onlyAccount]);
    (document.accounts ?? []).forEach((a, i) => {
      if (onlyAccount !== undefined && a !== onlyAccount) throw refuse(`accounts[${i}]: ${a} is not the account being imported (${onlyAccount})`, `/accounts/${i}`);
      accounts.add(a);
    });
    const rows: Located[] = [];
    for (const table of this.checkOrder) {
      const seen = table.uniqueKeys.map(() => new Map<string, number>());
      (document.tables[table.name] ?? []).forEach((row, index) => {
        const at = `/tables/${table.name}/${index}`;
        const accountTag = row.account_tag as string;
        if (onlyAccount !== undefined && accountTag !== onlyAccount) {
          throw refuse(`tables.${table.name}[${index}].account_tag ${accountTag} is not the account being imported (${onlyAccount})`, `${at}/account_tag`);
        }
        accounts.add(accountTag);
        this.checkRow(table, row, validators, (column, message, subject = column) =>
          refuse(`tables.${table.name}[${index}].${subject} ${message}`, `${at}/${pointerToken(column)}`),
        );
        table.uniqueKeys.forEach((key, k) => {
          const values = key.columns.map((c) => row[c] ?? null);
          if (values.includes(null)) return; // NULLs never collide in SQL
          const id = JSON.stringify(values);
          const earlier = (seen[k] as Map<string, number>).get(id);
          if (earlier !== undefined) {
            const named = key.columns.filter((c) => c !== 'account_tag');
            throw refuse(
              `tables.${table.name}[${index}].${named.join(', ')} ${named.map((c) => JSON.stringify(row[c])).join(', ')} is already used by tables.${table.name}[${earlier}]${key.global ? '' : ` of the same account`}`,
              `${at}/${named[0] as string}`,
            );
          }
          (seen[k] as Map<string, number>).set(id, index);
        });
        rows.push({ table, index, row });
      });
    }
    const byKey = this.indexRows(rows);
    for (const located of rows) {
      for (const reference of located.table.description.references ?? []) this.checkReference(located, reference, byKey, refuse);
    }
    return { accounts: [...accounts].sort(), rows, base };
  }

  private documentProblem(errors: readonly ErrorObject[], refuse: (message: string, pointer: string) => ApiError): ApiError {
    const { pointer, problem } = describeErrors(errors);
    const last = errors[errors.length - 1] as ErrorObject;
    if (last.keyword === 'additionalProperties') {
      const name = String(last.params.additionalProperty);
      const path = last.instancePath.split('/');
      if (path.length === 1) return refuse(`unknown field ${JSON.stringify(name)} (expected ${DOCUMENT_FIELDS.join(', ')})`, pointer);
      if (path.length === 2) return refuse(`unknown table ${JSON.stringify(name)} (per-account tables: ${this.tableNames().join(', ')})`, pointer);
      const table = this.byName.get(path[2] as string) as Table;
      const where = fieldOf(last.instancePath);
      if (table.description.assigned?.includes(name)) {
        return refuse(`${where}.${name} is assigned on import, in document order: leave it out`, pointer);
      }
      return refuse(`${where} has unknown column ${JSON.stringify(name)} (columns: ${table.columns.join(', ')})`, pointer);
    }
    return refuse(`${fieldOf(pointer)} ${problem}`, pointer);
  }

  /** The JSON columns (parsed, within the API's limits, of the right shape), then the rules between columns. */
  private checkRow(
    table: Table,
    row: StateRow,
    validators: Validators,
    refuse: (column: string, message: string, subject?: string) => ApiError,
  ): void {
    const parsed: Record<string, unknown> = {};
    for (const [column, validate] of validators.json.get(table.name) ?? []) {
      const text = row[column];
      if (typeof text !== 'string') continue; // NULL, or omitted: the database's default
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw refuse(column, 'is not valid JSON');
      }
      const limit = jsonLimitProblem(value);
      if (limit) throw refuse(column, limit);
      if (!validate(value)) {
        // The pointer stops at the column (a string); the message goes on into the JSON it holds.
        const { pointer, problem } = describeErrors(validate.errors ?? []);
        const inner = pointer === '' ? '' : fieldOf(pointer);
        throw refuse(column, `${problem} (in the JSON text)`, inner === '' ? column : `${column}${inner.startsWith('[') ? '' : '.'}${inner}`);
      }
      parsed[column] = value;
    }
    const problem = table.description.check?.(row, parsed);
    if (problem) throw refuse(problem.column, problem.message);
  }

  /** The document's rows by (table, column, value): what references resolve against. */
  private indexRows(rows: readonly Located[]): Map<string, Located[]> {
    const wanted = new Set(this.tables.flatMap((t) => (t.description.references ?? []).map((r) => `${r.table}\0${r.key}`)));
    const index = new Map<string, Located[]>();
    for (const located of rows) {
      for (const target of wanted) {
        const [table, key] = target.split('\0') as [string, string];
        if (table !== located.table.name) continue;
        const id = `${target}\0${String(located.row[key])}`;
        const same = index.get(id);
        if (same) same.push(located);
        else index.set(id, [located]);
      }
    }
    return index;
  }

  private checkReference(
    { table, index, row }: Located,
    reference: RowReference,
    byKey: Map<string, Located[]>,
    refuse: (message: string, pointer: string) => ApiError,
  ): void {
    const value = row[reference.column];
    if (value === null || value === undefined) return;
    const field = `tables.${table.name}[${index}].${reference.column}`;
    const pointer = `/tables/${table.name}/${index}/${reference.column}`;
    const account = row.account_tag as string;
    const candidates = byKey.get(`${reference.table}\0${reference.key}\0${String(value)}`) ?? [];
    const target = candidates.find((c) => c.row.account_tag === account);
    const named = `tables.${reference.table} row with ${reference.key} ${JSON.stringify(value)}`;
    if (target) {
      for (const [mine, theirs] of Object.entries(reference.agree ?? {})) {
        if (target.row[theirs] !== row[mine]) {
          throw refuse(`${field}: the ${named} has ${theirs} ${JSON.stringify(target.row[theirs])}, not ${JSON.stringify(row[mine])}`, pointer);
        }
      }
      return;
    }
    const other = candidates[0];
    if (other) throw refuse(`${field}: the ${named} belongs to account ${String(other.row.account_tag)}, not ${account}`, pointer);
    if (!reference.mayOutlive?.(row)) throw refuse(`${field}: no ${named} in account ${account} in this document`, pointer);
  }

  /**
   * Inside the import's transaction, once the replaced accounts are deleted: a row may neither take a value that is
   * unique across accounts from another account, nor (a row kept for the record) name another account's row.
   */
  private checkAgainstOtherAccounts({ table, index, row }: Located, base: string): void {
    for (const key of table.uniqueKeys) {
      if (!key.global) continue;
      const values = key.columns.map((c) => row[c] ?? null);
      if (values.includes(null)) continue;
      const holder = key.holder.get(...values);
      if (holder !== undefined) {
        throw invalidState(
          `tables.${table.name}[${index}].${key.columns.join(', ')} ${values.map((v) => JSON.stringify(v)).join(', ')} is already used by account ${String(holder)} (unique across accounts)`,
          `${base}/tables/${table.name}/${index}/${key.columns[0] as string}`,
        );
      }
    }
    for (const reference of table.description.references ?? []) {
      const value = row[reference.column];
      if (value === null || value === undefined || !reference.mayOutlive?.(row)) continue;
      const target = this.byName.get(reference.table)?.uniqueKeys.find((k) => k.global && k.columns.length === 1 && k.columns[0] === reference.key);
      const holder = target?.holder.get(value);
      if (holder !== undefined && holder !== row.account_tag) {
        throw invalidState(
          `tables.${table.name}[${index}].${reference.column}: the tables.${reference.table} row with ${reference.key} ${JSON.stringify(value)} belongs to account ${String(holder)}`,
          `${base}/tables/${table.name}/${index}/${reference.column}`,
        );
      }
    }
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
    if (error instanceof ApiError) {
      const problems = error.errors.map((e) => `${e.source ? `at ${e.source.pointer}: ` : ''}${e.message}`);
      throw new ConfigError(`SEED_FILE ${path}: ${problems.join('; ')}; nothing was loaded`);
    }
    throw error;
  }
}
