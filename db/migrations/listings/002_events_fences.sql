-- The listing audit trail, which is also the change feed svc-claims follows,
-- and the fence that keeps an abandoned claim from ever reserving.

-- One row per state change of a listing, never updated or deleted. svc-claims
-- reads it in id order (ListListingEvents) to cancel the open claims of
-- listings that were withdrawn or expired; because a listing's change and its
-- event commit together, no change is ever missed.
CREATE TABLE listings.events (
  id bigserial PRIMARY KEY,
  listing_id bigint NOT NULL REFERENCES listings.listings (id),
  at timestamptz NOT NULL DEFAULT now(),
  actor_id bigint,
  actor_department text,
  action text NOT NULL,
  from_status text,
  to_status text,
  -- The claim that held the listing before or after the change, if any.
  claim_id bigint,
  note text
);
CREATE INDEX events_listing ON listings.events (listing_id, id);

CREATE FUNCTION listings.refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'listing events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON listings.events
  FOR EACH ROW EXECUTE FUNCTION listings.refuse_event_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON listings.events
  FOR EACH STATEMENT EXECUTE FUNCTION listings.refuse_event_change();

-- Claims that svc-claims gave up on (released). Reserve refuses them, so a
-- reservation that arrives late, after its claim was abandoned, cannot take
-- the listing.
CREATE TABLE listings.released_claims (
  claim_id bigint PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now()
);
