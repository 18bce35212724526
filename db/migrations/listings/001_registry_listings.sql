-- The hardware registry and the listings of svc-listings.
CREATE TABLE listings.hardware (
  serial_number text PRIMARY KEY CHECK (length(serial_number) BETWEEN 1 AND 100),
  manufacturer text NOT NULL,
  model text NOT NULL,
  category text NOT NULL CHECK (category IN ('Server', 'Networking', 'Storage')),
  cpu text,
  ram text,
  storage text[] NOT NULL DEFAULT '{}',
  ports text,
  other text,
  has_storage_media boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE listings.listings (
  id bigserial PRIMARY KEY,
  serial_number text NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  category text NOT NULL CHECK (category IN ('Server', 'Networking', 'Storage')),
  description text,
  location text,
  condition text CHECK (condition IN ('Excellent', 'Good', 'Fair')),
  department text NOT NULL,
  cpu text,
  ram text,
  storage text,
  ports text,
  other_specs text,
  status text NOT NULL DEFAULT 'available'
    CHECK (status IN ('available', 'claimed', 'approved', 'expired', 'withdrawn')),
  expiration_date date NOT NULL,
  created_by_id bigint NOT NULL,
  created_by text NOT NULL,
  -- The claim that holds the listing. Invariant: set exactly while the
  -- listing is claimed or approved.
  claim_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT listings_claim_held CHECK ((status IN ('claimed', 'approved')) = (claim_id IS NOT NULL))
);

-- One active listing per serial number.
CREATE UNIQUE INDEX listings_active_serial ON listings.listings (serial_number)
  WHERE status IN ('available', 'claimed');
CREATE INDEX listings_newest ON listings.listings (created_at DESC, id DESC);
CREATE INDEX listings_status ON listings.listings (status, created_at DESC, id DESC);
CREATE INDEX listings_department ON listings.listings (department, created_at DESC, id DESC);
CREATE INDEX listings_category ON listings.listings (category, created_at DESC, id DESC);
CREATE INDEX listings_expiry ON listings.listings (expiration_date) WHERE status IN ('available', 'claimed');
-- The search text of a listing; the same expression is used by the query, so
-- the trigram index serves "contains" searches.
CREATE INDEX listings_search ON listings.listings USING gin (
  lower(title || E'\n' || serial_number || E'\n' || department || E'\n' || coalesce(description, ''))
  public.gin_trgm_ops);
