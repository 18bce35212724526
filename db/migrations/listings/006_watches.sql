-- Watches (docs/API.md, "Watches"): a saved listing filter whose owner is
-- told of each listing that is posted, or becomes available again, and
-- matches it (svc-listings/watches.c; svc-users delivers the notification).
CREATE TABLE listings.watches (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL,
  -- The owner's department when the watch was made: its own listings are
  -- not news to it.
  owner_department text NOT NULL,
  want_category text CHECK (want_category IN ('Server', 'Networking', 'Storage')),
  search text CHECK (length(search) BETWEEN 1 AND 200),
  -- search with LIKE's wildcards escaped, as the listing filter takes it.
  pattern text,
  want_department text CHECK (length(want_department) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (want_category IS NOT NULL OR search IS NOT NULL OR want_department IS NOT NULL),
  CHECK ((search IS NULL) = (pattern IS NULL))
);
CREATE INDEX watches_user ON listings.watches (user_id, id DESC);
