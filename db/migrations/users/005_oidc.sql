-- Single sign-on (OpenID Connect): accounts the site's IdP provisions, and
-- the sign-ins under way between the redirect to the IdP and its callback.
-- IF NOT EXISTS: user administration adds the same two columns of the User
-- (docs/API.md, Release 2); whichever migration runs first creates them.
ALTER TABLE users.accounts
  ADD COLUMN IF NOT EXISTS auth_source text NOT NULL DEFAULT 'local'
    CHECK (auth_source IN ('local', 'oidc')),
  ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true;
-- An OIDC account has no password: email login finds no hash to check.
ALTER TABLE users.accounts ALTER COLUMN password_hash DROP NOT NULL;

-- One row per redirect to the IdP, known by the SHA-256 of the random value
-- of the browser's short-lived rcycle_oidc cookie; the callback deletes it,
-- so a sign-in can be completed once. The PKCE verifier and the nonce never
-- leave svc-users.
CREATE TABLE users.oidc_logins (
  key_hash text PRIMARY KEY CHECK (length(key_hash) = 64),
  state text NOT NULL,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  next_path text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_logins_expires_at ON users.oidc_logins (expires_at);
