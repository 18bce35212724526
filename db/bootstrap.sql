-- bootstrap.sql - run by rcycle-migrate before any migration, as the
-- connecting (administrative) user; every statement is safe to run twice.
--
-- Each service gets its own schema, owned by its own role when the
-- connecting user may create roles; otherwise (a managed database that hands
-- out one user) the schemas belong to that user. Services qualify every
-- table with its schema and never read another service's schema.
DO $$
DECLARE
  r text;
  may_create_roles boolean;
BEGIN
  SELECT rolsuper OR rolcreaterole INTO may_create_roles
    FROM pg_roles WHERE rolname = current_user;
  FOREACH r IN ARRAY ARRAY['users', 'listings', 'claims'] LOOP
    IF may_create_roles AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_' || r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', 'rcycle_' || r);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_' || r) AND may_create_roles THEN
      EXECUTE format('GRANT %I TO %I', 'rcycle_' || r, current_user);
      EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', r, 'rcycle_' || r);
    ELSE
      EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', r);
    END IF;
  END LOOP;
END
$$;

-- Trigram indexes serve the listing search. pg_trgm is a trusted extension,
-- so a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE IF NOT EXISTS public.schema_migrations (
  schema_name text NOT NULL,
  version integer NOT NULL,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schema_name, version)
);

-- Each service role may read which migrations are applied: the init
-- container of its pods (rcycle-pg schema-wait) waits, with the service's
-- own credentials, until the schema its release needs is in place.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['users', 'listings', 'claims'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_' || r) THEN
      EXECUTE format('GRANT SELECT ON public.schema_migrations TO %I', 'rcycle_' || r);
    END IF;
  END LOOP;
END
$$;
