-- Shared Signals transmitter: signing keys, per-integration settings, SSF streams and their subjects,
-- and the outbox of every Security Event Token issued (pushed or offered for polling).

-- RSA signing keys, per account. The newest unretired key signs; retired keys stay published in the JWKS.
CREATE TABLE ssf_keys (
  kid         TEXT NOT NULL PRIMARY KEY,
  account_tag TEXT NOT NULL,
  private_jwk TEXT NOT NULL,
  public_jwk  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  retired_at  TEXT
);
CREATE INDEX ssf_keys_account ON ssf_keys (account_tag);

-- Emulator-only settings of an integration's transmitter; no row means "the global defaults".
CREATE TABLE ssf_integration_settings (
  integration_id TEXT NOT NULL PRIMARY KEY,
  account_tag    TEXT NOT NULL,
  event_profile  TEXT CHECK (event_profile IN ('okta', 'caep'))
);
CREATE INDEX ssf_integration_settings_account ON ssf_integration_settings (account_tag);

-- SSF 1.0 streams created by receivers through the stream-management endpoints of an integration.
CREATE TABLE ssf_streams (
  stream_id               TEXT    NOT NULL PRIMARY KEY,
  account_tag             TEXT    NOT NULL,
  integration_id          TEXT    NOT NULL,
  events_requested        TEXT,   -- JSON array, NULL when the receiver asked for nothing in particular
  delivery_method         TEXT    NOT NULL CHECK (delivery_method IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')),
  endpoint_url            TEXT,   -- push only: where the receiver wants SETs
  authorization_header    TEXT,   -- push only: sent as Authorization with every SET
  description             TEXT,
  status                  TEXT    NOT NULL CHECK (status IN ('enabled', 'paused', 'disabled')),
  reason                  TEXT,
  disabled_by_transmitter INTEGER NOT NULL DEFAULT 0 CHECK (disabled_by_transmitter IN (0, 1)),
  created_at              TEXT    NOT NULL
);
CREATE INDEX ssf_streams_integration ON ssf_streams (integration_id);
CREATE INDEX ssf_streams_account ON ssf_streams (account_tag);

-- Subjects a receiver added to or removed from a stream (default_subjects is ALL: removal is what filters).
CREATE TABLE ssf_stream_subjects (
  stream_id   TEXT    NOT NULL,
  account_tag TEXT    NOT NULL,
  subject_key TEXT    NOT NULL,
  subject     TEXT    NOT NULL,
  included    INTEGER NOT NULL CHECK (included IN (0, 1)),
  PRIMARY KEY (stream_id, subject_key)
);
CREATE INDEX ssf_stream_subjects_account ON ssf_stream_subjects (account_tag);

-- Every SET issued. seq orders delivery; token is filled when the SET is signed (just before its first delivery).
-- status: pending (push, to be sent) | delivered | failed | held (stream paused) | queued (poll, waiting to be
-- acknowledged) | acknowledged | dropped (stream disabled while held) | canceled (integration deactivated or deleted).
CREATE TABLE ssf_outbox (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  jti            TEXT    NOT NULL UNIQUE,
  account_tag    TEXT    NOT NULL,
  integration_id TEXT    NOT NULL,
  stream_id      TEXT,
  txn            TEXT    NOT NULL,
  event_type     TEXT    NOT NULL,
  delivery       TEXT    NOT NULL CHECK (delivery IN ('push', 'poll')),
  target         TEXT,
  authorization  TEXT,
  claims         TEXT    NOT NULL,
  token          TEXT,
  kid            TEXT,
  status         TEXT    NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  http_status    INTEGER,
  error          TEXT,
  created_at     TEXT    NOT NULL,
  last_attempt_at TEXT,
  delivered_at   TEXT
);
CREATE INDEX ssf_outbox_status ON ssf_outbox (status);
CREATE INDEX ssf_outbox_account ON ssf_outbox (account_tag, integration_id);
CREATE INDEX ssf_outbox_stream ON ssf_outbox (stream_id, status);
