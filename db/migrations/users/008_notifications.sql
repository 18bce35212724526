-- The inbox (docs/API.md, "Notifications"): svc-users writes one row per
-- recipient and event, fed from the other services' event records
-- (svc-users/notify.c), never from in-memory hooks.
CREATE TABLE users.notifications (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL CHECK (kind IN ('claim_received', 'claim_needs_review', 'claim_decided',
    'claim_cancelled', 'handover_due', 'listing_expiring', 'watch_match')),
  title text NOT NULL,
  body text NOT NULL,
  link text NOT NULL,
  read_at timestamptz,
  -- What caused it: 'claims:<seq>' (an event of the claims chain),
  -- 'listings:<seq>' (a listing event that matched the user's watches),
  -- 'handover_due:<claim>:<week>', 'listing_expiring:<listing>:<date>'. With
  -- the user and kind it is unique, so an event or period that is applied a
  -- second time (a follower that crashed after its commit and before it
  -- knew) adds nothing.
  source text NOT NULL,
  CONSTRAINT notifications_once UNIQUE (user_id, kind, source)
);
CREATE INDEX notifications_inbox ON users.notifications (user_id, id DESC);
CREATE INDEX notifications_unread ON users.notifications (user_id) WHERE read_at IS NULL;

-- How far svc-users has followed each service's events; advanced in the
-- transaction that writes the notifications those events cause. NULL: not
-- started, so the follower begins at the feed's head (a new installation
-- does not notify the history).
CREATE TABLE users.feed_cursors (
  feed text PRIMARY KEY,
  last_seq bigint
);
INSERT INTO users.feed_cursors (feed, last_seq) VALUES ('claims', NULL), ('listings', NULL);
