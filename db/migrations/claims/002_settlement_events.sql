-- The states and bookkeeping that make a claim settle after a crash, and the
-- claim audit trail.
--
-- 'reserving': the claim row exists but svc-listings has not (yet, or
-- knowingly) reserved the listing for it; 'abandoned': the reservation
-- failed. Neither is open and neither is shown by the API.
ALTER TABLE claims.claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims.claims ADD CONSTRAINT claims_status_check CHECK (status IN
  ('reserving', 'abandoned', 'pending_owner', 'pending_security', 'approved', 'denied',
   'withdrawn', 'cancelled'));

-- The change svc-listings still has to make for this claim: reserve the
-- listing, release it, or transfer it (approve). Set in the same transaction
-- as the claim's own change and cleared once svc-listings has confirmed; the
-- reconciler retries whatever is left set, so every claim settles.
ALTER TABLE claims.claims ADD COLUMN listing_sync text NOT NULL DEFAULT 'none'
  CHECK (listing_sync IN ('none', 'reserve', 'release', 'transfer'));
ALTER TABLE claims.claims ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Who asked for the change that listing_sync still waits for, so that the
-- reconciler records the right approver when it finishes the change.
ALTER TABLE claims.claims ADD COLUMN sync_actor_id bigint;
ALTER TABLE claims.claims ADD COLUMN sync_actor text;
ALTER TABLE claims.claims ADD COLUMN sync_actor_department text;

-- One claim in progress per department per listing, 'reserving' included.
DROP INDEX claims.claims_open_per_department;
CREATE UNIQUE INDEX claims_open_per_department ON claims.claims (listing_id, requesting_department)
  WHERE status IN ('reserving', 'pending_owner', 'pending_security');
CREATE INDEX claims_unsettled ON claims.claims (updated_at) WHERE listing_sync <> 'none';
CREATE INDEX claims_requesting ON claims.claims (requesting_department, requested_at DESC, id DESC);
CREATE INDEX claims_owner ON claims.claims (owner_department, requested_at DESC, id DESC);
CREATE INDEX claims_status ON claims.claims (status, requested_at DESC, id DESC);

CREATE TABLE claims.events (
  id bigserial PRIMARY KEY,
  claim_id bigint NOT NULL REFERENCES claims.claims (id),
  at timestamptz NOT NULL DEFAULT now(),
  actor_id bigint,
  actor_department text,
  action text NOT NULL,
  from_status text,
  to_status text,
  note text
);
CREATE INDEX events_claim ON claims.events (claim_id, id);

CREATE FUNCTION claims.refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'claim events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON claims.events
  FOR EACH ROW EXECUTE FUNCTION claims.refuse_event_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON claims.events
  FOR EACH STATEMENT EXECUTE FUNCTION claims.refuse_event_change();

-- How far svc-claims has read the listing change feed; advanced in the same
-- transaction as the cancellations it causes.
CREATE TABLE claims.feed_cursor (
  feed text PRIMARY KEY,
  last_event_id bigint NOT NULL
);
INSERT INTO claims.feed_cursor (feed, last_event_id) VALUES ('listings', 0);

-- Timestamps leave the service as RFC 3339 UTC text (docs/API.md).
CREATE FUNCTION claims.rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
