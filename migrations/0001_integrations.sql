-- Risk score integrations (Cloudflare: dlp_RiskScoreIntegration). well_known_url is derived, not stored.
-- The rowid gives insertion order, so a list answers in creation order even within one second.
CREATE TABLE integrations (
  id               TEXT    NOT NULL PRIMARY KEY,
  account_tag      TEXT    NOT NULL,
  integration_type TEXT    NOT NULL,
  reference_id     TEXT    NOT NULL,
  tenant_url       TEXT    NOT NULL,
  active           INTEGER NOT NULL CHECK (active IN (0, 1)),
  created_at       TEXT    NOT NULL
);

CREATE UNIQUE INDEX integrations_reference ON integrations (account_tag, reference_id);
CREATE INDEX integrations_account ON integrations (account_tag);
