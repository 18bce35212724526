-- API tokens and user administration (docs/API.md, Release 2).
-- A deactivated account keeps its rows (claims and events name it) but can
-- neither sign in nor use a session or token. auth_source says who vouches
-- for the account: its own password ('local') or the site's IdP ('oidc').
-- IF NOT EXISTS: single sign-on (users 005) adds the same two columns, the
-- same way; whichever migration runs first creates them.
ALTER TABLE users.accounts
  ADD COLUMN IF NOT EXISTS active boolean NOT NULL DEFAULT true,
  ADD COLUMN IF NOT EXISTS auth_source text NOT NULL DEFAULT 'local'
    CHECK (auth_source IN ('local', 'oidc'));

-- An API token is known only by the SHA-256 of its secret, like a session.
-- Revoked tokens keep their row (revoked_at) so a revocation is never undone
-- by a later write and the owner's list can leave them out.
CREATE TABLE users.api_tokens (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  scopes text[] NOT NULL CHECK (scopes = ARRAY['read'] OR scopes = ARRAY['read', 'write']),
  token_hash text NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- Written at most once a minute per token (API.md lets it lag a minute).
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON users.api_tokens (user_id, created_at DESC);
