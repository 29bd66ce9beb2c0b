-- Push delivery that loads only what is due, keeps every attempt, and prunes what is done.
-- lane: the destination a SET waits in line for (a stream, or the integration's Okta tenant); its SETs go one at a
-- time, oldest first. Derived, so never exported or imported.
ALTER TABLE ssf_outbox ADD COLUMN lane TEXT GENERATED ALWAYS AS (coalesce(stream_id, 'tenant:' || integration_id)) VIRTUAL;
-- next_attempt_at (ms since the epoch): set only on the oldest pending SET of each lane, when it may be tried
-- next; NULL on the SETs queued behind it. The worker reads the due ones through ssf_outbox_due alone.
ALTER TABLE ssf_outbox ADD COLUMN next_attempt_at INTEGER;
-- attempt_log: a JSON array with one object per push attempt: {at, http_status, error, answer, location}.
ALTER TABLE ssf_outbox ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '[]';

CREATE INDEX ssf_outbox_due ON ssf_outbox (next_attempt_at) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
CREATE INDEX ssf_outbox_lane ON ssf_outbox (lane, seq) WHERE status = 'pending';
-- Retention: the newest finished SETs of an integration are kept, the older ones pruned.
CREATE INDEX ssf_outbox_finished ON ssf_outbox (integration_id, seq) WHERE status NOT IN ('pending', 'held', 'queued');

-- The SETs pending before this version wait in their lanes; the worker gives each lane's oldest its time.
