// Storage of risk score integrations: every SQL statement of the feature, prepared once.
import type { Database } from '../db/database.js';
import type { IntegrationEvents } from './events.js';
import { badRequest, ErrorCode } from '../cloudflare/errors.js';
import { rfc3339Seconds } from '../cloudflare/timestamps.js';

export interface IntegrationRecord {
  id: string;
  account_tag: string;
  integration_type: 'Okta';
  reference_id: string;
  tenant_url: string;
  active: boolean;
  created_at: string;
}

interface Row extends Omit<IntegrationRecord, 'active'> {
  active: 0 | 1;
}

export interface NewIntegration {
  integrationType: 'Okta';
  tenantUrl: string;
  /** undefined gets a fresh id from the generator (a UUIDv4 outside tests). */
  referenceId: string | undefined;
}

export interface IntegrationUpdate {
  tenantUrl: string;
  active: boolean;
  /** undefined keeps the current reference id. */
  referenceId: string | undefined;
}

export interface IntegrationRepositoryDeps {
  /** Current time; created_at is this, at second precision. */
  now: () => Date;
  newId: () => string;
  /** Each create, update and delete is announced here, inside its transaction. */
  events: IntegrationEvents;
}

const COLUMNS = 'id, account_tag, integration_type, reference_id, tenant_url, active, created_at';

/** One object literal, not a spread: this runs for every row a read returns. */
function toRecord(row: Row): IntegrationRecord {
  return {
    id: row.id,
    account_tag: row.account_tag,
    integration_type: row.integration_type,
    reference_id: row.reference_id,
    tenant_url: row.tenant_url,
    active: row.active === 1,
    created_at: row.created_at,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class IntegrationRepository {
  private readonly listStmt;
  private readonly getStmt;
  private readonly byReferenceStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly activeStmt;
  private readonly byIdStmt;
  private readonly countsStmt;
  private readonly transaction: <T>(write: () => T) => T;

  constructor(
    db: Database,
    private readonly deps: IntegrationRepositoryDeps,
  ) {
    // BEGIN IMMEDIATE: the write lock is taken up front, so a write that reads first (an update) never fails
    // on a snapshot that another connection to the file made stale meanwhile.
    this.transaction = (write) => db.transaction(write).immediate();
    this.listStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? ORDER BY rowid`);
    this.getStmt = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND id = ?`);
    this.byReferenceStmt = db.prepare<[string, string], Row>(
      `SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND reference_id = ?`,
    );
    // Positional parameters: binding them is cheaper than looking up named ones in an object.
    this.insertStmt = db.prepare<[string, string, string, string, string, number, string]>(
      `INSERT INTO integrations (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateStmt = db.prepare<[string, number, string, string, string], Row>(
      `UPDATE integrations SET tenant_url = ?, active = ?, reference_id = ? WHERE account_tag = ? AND id = ? RETURNING ${COLUMNS}`,
    );
    this.deleteStmt = db.prepare<[string, string]>('DELETE FROM integrations WHERE account_tag = ? AND id = ?');
    this.activeStmt = db.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND active = 1 ORDER BY rowid`,
    );
    this.byIdStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = ?`);
    this.countsStmt = db.prepare<[], { account_tag: string; n: number }>('SELECT account_tag, count(*) AS n FROM integrations GROUP BY account_tag');
  }

  /** How many integrations each account has. */
  countByAccount(): Map<string, number> {
    return new Map(this.countsStmt.all().map((row) => [row.account_tag, row.n]));
  }

  list(accountId: string): IntegrationRecord[] {
    return this.listStmt.all(accountId).map(toRecord);
  }

  listActive(accountId: string): IntegrationRecord[] {
    return this.activeStmt.all(accountId).map(toRecord);
  }

  get(accountId: string, id: string): IntegrationRecord | undefined {
    const row = this.getStmt.get(accountId, id);
    return row && toRecord(row);
  }

  /** By id alone, whatever the account: the Shared Signals paths carry only the integration id. */
  findById(id: string): IntegrationRecord | undefined {
    const row = this.byIdStmt.get(id);
    return row && toRecord(row);
  }

  getByReference(accountId: string, referenceId: string): IntegrationRecord | undefined {
    const row = this.byReferenceStmt.get(accountId, referenceId);
    return row && toRecord(row);
  }

  /**
   * A new integration is always active, whatever the client asked. Its id, reference id and created_at are
   * drawn now; the row is committed when this returns.
   */
  create(accountId: string, input: NewIntegration): IntegrationRecord {
    const record: IntegrationRecord = {
      id: this.deps.newId(),
      account_tag: accountId,
      integration_type: input.integrationType,
      reference_id: input.referenceId ?? this.deps.newId(),
      tenant_url: input.tenantUrl,
      active: true,
      created_at: rfc3339Seconds(this.deps.now()),
    };
    return this.transaction(() => {
      try {
        this.insertStmt.run(record.id, accountId, record.integration_type, record.reference_id, record.tenant_url, 1, record.created_at);
      } catch (error) {
        if (isUniqueViolation(error)) throw this.conflict(accountId, record.reference_id);
        throw error;
      }
      this.deps.events.publish({ kind: 'created', integration: record });
      return record;
    });
  }

  /**
   * Overwrites tenant_url, active and (when given) reference_id; returns the integration before and after,
   * or undefined when there is no such integration.
   */
  update(accountId: string, id: string, changes: IntegrationUpdate): { before: IntegrationRecord; integration: IntegrationRecord } | undefined {
    return this.transaction(() => {
      const current = this.getStmt.get(accountId, id);
      if (!current) return undefined;
      const referenceId = changes.referenceId ?? current.reference_id;
      let row: Row | undefined;
      try {
        row = this.updateStmt.get(changes.tenantUrl, changes.active ? 1 : 0, referenceId, accountId, id);
      } catch (error) {
        if (isUniqueViolation(error)) throw this.conflict(accountId, referenceId);
        throw error;
      }
      if (!row) return undefined;
      const updated = { before: toRecord(current), integration: toRecord(row) };
      this.deps.events.publish({ kind: 'updated', ...updated });
      return updated;
    });
  }

  /** The deleted integration, or undefined when there was none. */
  delete(accountId: string, id: string): IntegrationRecord | undefined {
    return this.transaction(() => {
      const current = this.getStmt.get(accountId, id);
      if (!current || this.deleteStmt.run(accountId, id).changes !== 1) return undefined;
      const deleted = toRecord(current);
      this.deps.events.publish({ kind: 'deleted', integration: deleted });
      return deleted;
    });
  }

  private conflict(accountId: string, referenceId: string) {
    const holder = this.byReferenceStmt.get(accountId, referenceId);
    return badRequest(
      ErrorCode.referenceIdConflict,
      `reference_id ${JSON.stringify(referenceId)} is already used by integration ${holder?.id ?? '(unknown)'} in this account`,
      '/reference_id',
    );
  }
}

/** What other features may read of integrations: the Shared Signals transmitter finds them by id and by account. */
export interface IntegrationLookup {
  /** By id alone, whatever the account: the Shared Signals paths carry only the integration id. */
  byId(id: string): IntegrationRecord | undefined;
  /** The account's active integrations, in creation order. */
  activeIn(accountId: string): IntegrationRecord[];
}

export function integrationLookup(repository: IntegrationRepository): IntegrationLookup {
  return { byId: (id) => repository.findById(id), activeIn: (accountId) => repository.listActive(accountId) };
}
