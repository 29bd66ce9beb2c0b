// Storage of risk score integrations: every SQL statement of the feature, prepared once.
import type { Database } from '../db/database.js';
import { badRequest, ErrorCode } from '../cloudflare/errors.js';

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
}

const COLUMNS = 'id, account_tag, integration_type, reference_id, tenant_url, active, created_at';

function toRecord(row: Row): IntegrationRecord {
  return { ...row, active: row.active === 1 };
}

/** RFC 3339 in UTC at second precision, as Cloudflare writes it: 2025-03-19T19:53:56Z. */
export function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
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

  constructor(
    db: Database,
    private readonly deps: IntegrationRepositoryDeps,
  ) {
    this.listStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? ORDER BY rowid`);
    this.getStmt = db.prepare<[string, string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND id = ?`);
    this.byReferenceStmt = db.prepare<[string, string], Row>(
      `SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND reference_id = ?`,
    );
    this.insertStmt = db.prepare<Row>(
      `INSERT INTO integrations (${COLUMNS}) VALUES (@id, @account_tag, @integration_type, @reference_id, @tenant_url, @active, @created_at)`,
    );
    this.updateStmt = db.prepare<[string, number, string, string, string], Row>(
      `UPDATE integrations SET tenant_url = ?, active = ?, reference_id = ? WHERE account_tag = ? AND id = ? RETURNING ${COLUMNS}`,
    );
    this.deleteStmt = db.prepare<[string, string]>('DELETE FROM integrations WHERE account_tag = ? AND id = ?');
    this.activeStmt = db.prepare<[string], Row>(
      `SELECT ${COLUMNS} FROM integrations WHERE account_tag = ? AND active = 1 ORDER BY rowid`,
    );
    this.byIdStmt = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = ?`);
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

  /** A new integration is always active, whatever the client asked. */
  create(accountId: string, input: NewIntegration): IntegrationRecord {
    const id = this.deps.newId();
    const row: Row = {
      id,
      account_tag: accountId,
      integration_type: input.integrationType,
      reference_id: input.referenceId ?? this.deps.newId(),
      tenant_url: input.tenantUrl,
      active: 1,
      created_at: rfc3339Seconds(this.deps.now()),
    };
    try {
      this.insertStmt.run(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw this.conflict(accountId, row.reference_id);
      throw error;
    }
    return toRecord(row);
  }

  /** Overwrites tenant_url, active and (when given) reference_id; undefined when there is no such integration. */
  update(accountId: string, id: string, changes: IntegrationUpdate): IntegrationRecord | undefined {
    const current = this.getStmt.get(accountId, id);
    if (!current) return undefined;
    const referenceId = changes.referenceId ?? current.reference_id;
    try {
      const row = this.updateStmt.get(changes.tenantUrl, changes.active ? 1 : 0, referenceId, accountId, id);
      return row && toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw this.conflict(accountId, referenceId);
      throw error;
    }
  }

  /** True when something was deleted. */
  delete(accountId: string, id: string): boolean {
    return this.deleteStmt.run(accountId, id).changes === 1;
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
