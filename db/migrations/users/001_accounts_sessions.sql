-- Accounts, sessions and failed logins of svc-users.
CREATE TABLE users.accounts (
  id bigserial PRIMARY KEY,
  -- Stored lower-case so that lookups and uniqueness ignore case.
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  department text NOT NULL CHECK (length(department) BETWEEN 1 AND 200),
  roles text[] NOT NULL DEFAULT '{member}'
    CHECK (roles <@ ARRAY['member', 'security', 'admin']::text[]),
  -- An argon2id string from libsodium's crypto_pwhash_str.
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A session is known only by the SHA-256 of its token.
CREATE TABLE users.sessions (
  token_hash text PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id bigint NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON users.sessions (user_id);
CREATE INDEX sessions_expires_at ON users.sessions (expires_at);

-- One row per failed login, for the 10-in-15-minutes limit per email.
CREATE TABLE users.login_failures (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_at ON users.login_failures (email, at);
