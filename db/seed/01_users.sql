-- 01_users.sql - seed: the five development accounts of the original R-Cycle
-- demo (SEED.md). Never a migration; run by `rcycle-migrate --seed`, which
-- puts an argon2id hash of RCYCLE_SEED_PASSWORD in the transaction setting
-- rcycle.seed_password_hash. An account that exists already is left as it is,
-- password included, so a second run changes nothing.
DO $$
BEGIN
  -- Without the hash every account would get a NULL or bogus password.
  IF coalesce(current_setting('rcycle.seed_password_hash', true), '') NOT LIKE '$argon2id$%' THEN
    RAISE EXCEPTION 'rcycle.seed_password_hash is not set: load the seed with rcycle-migrate --seed';
  END IF;
END
$$;

INSERT INTO users.accounts (email, name, department, roles, password_hash)
SELECT v.email, v.name, v.department, v.roles, current_setting('rcycle.seed_password_hash')
FROM (VALUES
  ('john.doe@company.com', 'John Doe', 'IT Infrastructure', ARRAY['member', 'admin']),
  ('jane.smith@company.com', 'Jane Smith', 'Data Center Operations', ARRAY['member']),
  ('bob.johnson@company.com', 'Bob Johnson', 'Development Team', ARRAY['member']),
  ('alice.williams@company.com', 'Alice Williams', 'Security Team', ARRAY['member', 'security']),
  -- The second security reviewer: separation of duties forbids Alice deciding
  -- the seeded claim she made (SEED.md).
  ('carol.davis@company.com', 'Carol Davis', 'Security Team', ARRAY['member', 'security'])
) AS v (email, name, department, roles)
ON CONFLICT (email) DO NOTHING;
