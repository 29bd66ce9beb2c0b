// What each feature declares about its per-account tables (those with an account_tag column), so that the
// emulator's state import checks every stored value as the API would check it, and its export leaves secrets out.
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';

/** A row as a state document carries it: column -> value. */
export type StoredRow = Readonly<Record<string, unknown>>;

/** A column whose value must name a row of another table of the same document and account. */
export interface RowReference {
  /** The column of this table; null names nothing. */
  column: string;
  /** The table it names a row of, and that row's column it matches. */
  table: string;
  key: string;
  /** Further columns that must equal the named row's: this row's column -> that row's column. */
  agree?: Record<string, string>;
  /**
   * Rows that may outlive the row they name (kept for the record after it was deleted): for them, a name that
   * matches no row of the document is accepted, provided no other account holds it either.
   */
  mayOutlive?: (row: StoredRow) => boolean;
}

/** What is wrong with a row beyond its columns' own values: the column at fault and why. */
export interface RowProblem {
  column: string;
  message: string;
}

export interface AccountTable {
  /** The table, as migrations/ creates it. */
  table: string;
  /**
   * Every stored column but account_tag, with the values the API would accept for it (the features' own
   * schemas where they exist). Type.Optional: a column the database defaults (or sets to NULL) when omitted.
   */
  columns: TProperties;
  /** Columns holding JSON text: the shape the parsed value must have. */
  json?: Record<string, TSchema>;
  /** Columns the database assigns on import (an AUTOINCREMENT sequence): never exported, refused on import. */
  assigned?: readonly string[];
  /** What an export leaves out unless asked for secrets: these columns, or (true) every row of the table. */
  secret?: true | readonly string[];
  references?: readonly RowReference[];
  /** Rules between the columns of one row; `parsed` holds the parsed value of every JSON column. */
  check?: (row: StoredRow, parsed: Readonly<Record<string, unknown>>) => RowProblem | undefined;
}

/** A 0/1 column (SQLite has no booleans). */
export const Flag = Type.Unsafe<0 | 1>({ type: 'integer', enum: [0, 1], description: '0 or 1' });

/**
 * A nullable column, the OpenAPI 3.0 way (one error, not an anyOf). The schema must have a `type`, and must not be
 * Type.Optional itself (wrap the result instead).
 */
export function nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}
