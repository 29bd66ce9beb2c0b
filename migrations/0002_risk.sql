-- Risk scores: behavior overrides, the users risk events were injected for, and the events themselves.
-- Behaviors absent from risk_behaviors keep Cloudflare's defaults (src/risk/catalogue.ts).
CREATE TABLE risk_behaviors (
  account_tag TEXT    NOT NULL,
  behavior_id TEXT    NOT NULL,
  enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  risk_level  TEXT    NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  PRIMARY KEY (account_tag, behavior_id)
);

-- The latest name and email seen for a user, and when their score was last reset.
CREATE TABLE risk_users (
  account_tag     TEXT NOT NULL,
  user_id         TEXT NOT NULL,
  email           TEXT NOT NULL,
  name            TEXT NOT NULL,
  last_reset_time TEXT,
  PRIMARY KEY (account_tag, user_id)
);

-- One row per injected event. `counted`: the behavior was enabled when the event was recorded (an event of a
-- disabled behavior never raises the score). `cleared`: a reset came after it, so it no longer counts.
-- The rowid gives recording order, which breaks ties between equal timestamps.
CREATE TABLE risk_events (
  account_tag   TEXT    NOT NULL,
  id            TEXT    NOT NULL,
  user_id       TEXT    NOT NULL,
  behavior_id   TEXT    NOT NULL,
  risk_level    TEXT    NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  counted       INTEGER NOT NULL CHECK (counted IN (0, 1)),
  cleared       INTEGER NOT NULL DEFAULT 0 CHECK (cleared IN (0, 1)),
  timestamp     TEXT    NOT NULL,
  timestamp_ms  INTEGER NOT NULL,
  event_details TEXT    NOT NULL,
  UNIQUE (account_tag, id)
);

CREATE INDEX risk_events_user ON risk_events (account_tag, user_id, cleared);
