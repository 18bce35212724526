-- Claims of svc-claims. The listing's own state lives in svc-listings; the
-- copies of its title, serial, category and department are a snapshot taken
-- when the claim was made.
CREATE TABLE claims.claims (
  id bigserial PRIMARY KEY,
  listing_id bigint NOT NULL,
  listing_title text NOT NULL,
  serial_number text NOT NULL,
  category text NOT NULL,
  owner_department text NOT NULL,
  requesting_department text NOT NULL,
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 2000),
  status text NOT NULL
    CHECK (status IN ('pending_owner', 'pending_security', 'approved', 'denied', 'withdrawn', 'cancelled')),
  requested_by_id bigint NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  owner_approved_at timestamptz,
  owner_approved_by text,
  security_approved_at timestamptz,
  security_approved_by text,
  denied_at timestamptz,
  denied_by text,
  denial_reason text
);
-- One open claim per department per listing.
CREATE UNIQUE INDEX claims_open_per_department ON claims.claims (listing_id, requesting_department)
  WHERE status IN ('pending_owner', 'pending_security');
CREATE INDEX claims_listing ON claims.claims (listing_id);
CREATE INDEX claims_newest ON claims.claims (requested_at DESC, id DESC);
