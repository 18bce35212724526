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

-- The audit trail (docs/AUDIT.md). Each schema's events table, its chain
-- head and the functions below belong to rcycle_audit, a role no process
-- signs in as (NOLOGIN), and each schema too: a schema's owner may drop any
-- table in it, so the service roles get USAGE and CREATE on their schema
-- instead, which still lets their migrations create and change their own
-- tables. audit_seal.sql hands the tables over after every migration run.
-- Without the right to create roles (a managed database that hands out one
-- user) there is no second role to hand anything to, and nothing changes.
DO $$
DECLARE
  r text;
BEGIN
  IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_audit') THEN
    CREATE ROLE rcycle_audit NOLOGIN;
  END IF;
  GRANT rcycle_audit TO current_user;
  FOREACH r IN ARRAY ARRAY['users', 'listings', 'claims'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_' || r) THEN
      EXECUTE format('ALTER SCHEMA %I OWNER TO rcycle_audit', r);
      EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO %I', r, 'rcycle_' || r);
    END IF;
  END LOOP;
END
$$;

-- The time of an event as it is hashed and exported: RFC 3339 UTC with
-- microseconds, all that a timestamptz holds. STABLE, as to_char is: an SQL
-- function declared more stable than its body is never inlined, and called
-- row by row it made the formatting most of the cost of an audit page.
CREATE OR REPLACE FUNCTION public.rcycle_audit_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT pg_catalog.to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The canonical encoding of one event (docs/AUDIT.md), version 1: the line
-- "rcycle-audit-v1", then each field as "~," for NULL or its UTF-8 byte
-- length in decimal, ":", its bytes, ",". PL/pgSQL rather than SQL: called
-- from the trigger, a SQL function per field costs five times as much.
CREATE OR REPLACE FUNCTION public.rcycle_audit_canonical(
  chain text, seq bigint, at timestamptz, actor_id bigint, actor_email text,
  actor_department text, entity text, entity_id text, action text,
  from_status text, to_status text, note text) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
DECLARE
  out bytea := convert_to('rcycle-audit-v1' || chr(10), 'UTF8');
  v text;
  b bytea;
BEGIN
  FOREACH v IN ARRAY ARRAY[chain, seq::text,
      to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor_id::text,
      actor_email, actor_department, entity, entity_id, action, from_status, to_status, note] LOOP
    IF v IS NULL THEN
      out := out || '\x7e2c'::bytea;
    ELSE
      b := convert_to(v, 'UTF8');
      out := out || convert_to(octet_length(b)::text || ':', 'UTF8') || b || '\x2c'::bytea;
    END IF;
  END LOOP;
  RETURN out;
END
$$;

-- BEFORE INSERT on each <schema>.events: links the new event to its chain.
-- TG_ARGV[0] is the entity every event of the table is about when the
-- inserter names none, TG_ARGV[1] the column holding its id. The chain head
-- row stays locked until the inserting transaction ends, so appends to one
-- chain are serialised in commit order: no two events share a seq, no fork,
-- and a reader that sees seq n also sees every seq below it. SECURITY
-- DEFINER: the head belongs to rcycle_audit and the service roles may not
-- write it; whatever the inserter put in seq, prev_hash or hash is replaced.
CREATE OR REPLACE FUNCTION public.rcycle_audit_append() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  head_seq bigint;
  head_hash bytea;
BEGIN
  NEW.entity := coalesce(NEW.entity, TG_ARGV[0]);
  NEW.entity_id := coalesce(NEW.entity_id, to_jsonb(NEW) ->> TG_ARGV[1]);
  NEW.at := coalesce(NEW.at, now());
  EXECUTE format('SELECT seq, hash FROM %I.audit_head WHERE chain = $1 FOR UPDATE',
                 TG_TABLE_SCHEMA) INTO head_seq, head_hash USING TG_TABLE_SCHEMA;
  IF head_hash IS NULL THEN
    RAISE EXCEPTION 'no audit chain head for %', TG_TABLE_SCHEMA;
  END IF;
  NEW.seq := head_seq + 1;
  NEW.prev_hash := head_hash;
  NEW.hash := sha256(head_hash || public.rcycle_audit_canonical(
    TG_TABLE_SCHEMA, NEW.seq, NEW.at, NEW.actor_id, NEW.actor_email, NEW.actor_department,
    NEW.entity, NEW.entity_id, NEW.action, NEW.from_status, NEW.to_status, NEW.note));
  EXECUTE format('UPDATE %I.audit_head SET seq = $1, hash = $2 WHERE chain = $3',
                 TG_TABLE_SCHEMA) USING NEW.seq, NEW.hash, TG_TABLE_SCHEMA;
  RETURN NEW;
END
$$;

-- The storage of a chain head: one row updated by every append. A mostly
-- empty page keeps each new version on the row's page (a HOT update that
-- the next reader prunes), and autovacuum visits it every thousand appends,
-- so appends never walk a long chain of dead versions.
CREATE OR REPLACE FUNCTION public.rcycle_audit_head_storage() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'fillfactor = 10, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000'
$$;

-- Makes an existing <schema>.events table a chain: called by the schema's
-- migration, as the schema's role (the table's owner until audit_seal.sql
-- hands it over). Adds what the chain needs (the actor's email, the entity
-- and its id, seq, prev_hash, hash), links the events already there in id
-- order from the genesis hash (32 zero bytes) with entity and id_column for
-- their entity, creates the chain head, the chain trigger and the indexes of
-- GET /api/audit.
CREATE OR REPLACE FUNCTION public.rcycle_audit_adopt(chain text, entity text, id_column text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
  e record;
  s bigint := 0;
  h bytea := decode(repeat('00', 32), 'hex');
  next bytea;
BEGIN
  EXECUTE format('ALTER TABLE %I.events ALTER COLUMN %I DROP NOT NULL,'
    ' ADD COLUMN actor_email text, ADD COLUMN entity text, ADD COLUMN entity_id text,'
    ' ADD COLUMN seq bigint, ADD COLUMN prev_hash bytea, ADD COLUMN hash bytea', chain, id_column);
  EXECUTE format('CREATE TABLE %I.audit_head (chain text PRIMARY KEY CHECK (chain = %L),'
    ' seq bigint NOT NULL, hash bytea NOT NULL CHECK (octet_length(hash) = 32))'
    ' WITH (%s)', chain, chain, public.rcycle_audit_head_storage());
  EXECUTE format('ALTER TABLE %I.events DISABLE TRIGGER events_append_only', chain);
  FOR e IN EXECUTE format('SELECT id, at, actor_id, actor_email, actor_department, %I::text AS ref,'
      ' action, from_status, to_status, note FROM %I.events ORDER BY id', id_column, chain) LOOP
    s := s + 1;
    next := sha256(h || public.rcycle_audit_canonical(chain, s, e.at, e.actor_id, e.actor_email,
      e.actor_department, entity, e.ref, e.action, e.from_status, e.to_status, e.note));
    EXECUTE format('UPDATE %I.events SET entity = $1, entity_id = $2, seq = $3, prev_hash = $4,'
      ' hash = $5 WHERE id = $6', chain) USING entity, e.ref, s, h, next, e.id;
    h := next;
  END LOOP;
  EXECUTE format('INSERT INTO %I.audit_head (chain, seq, hash) VALUES ($1, $2, $3)', chain)
    USING chain, s, h;
  EXECUTE format('ALTER TABLE %I.events ENABLE TRIGGER events_append_only', chain);
  EXECUTE format('ALTER TABLE %I.events ALTER COLUMN entity SET NOT NULL,'
    ' ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,'
    ' ALTER COLUMN hash SET NOT NULL, ADD CONSTRAINT events_seq_unique UNIQUE (seq)', chain);
  EXECUTE format('CREATE TRIGGER events_chain BEFORE INSERT ON %I.events FOR EACH ROW'
    ' EXECUTE FUNCTION public.rcycle_audit_append(%L, %L)', chain, entity, id_column);
  EXECUTE format('CREATE INDEX events_at ON %I.events (at DESC, seq DESC)', chain);
  EXECUTE format('CREATE INDEX events_actor ON %I.events (actor_email, at DESC, seq DESC)', chain);
  EXECUTE format('CREATE INDEX events_action ON %I.events (action, at DESC, seq DESC)', chain);
  EXECUTE format('CREATE INDEX events_entity ON %I.events (entity, entity_id, at DESC, seq DESC)',
    chain);
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_audit') THEN
    ALTER FUNCTION public.rcycle_audit_time(timestamptz) OWNER TO rcycle_audit;
    ALTER FUNCTION public.rcycle_audit_canonical(text, bigint, timestamptz, bigint, text, text,
      text, text, text, text, text, text) OWNER TO rcycle_audit;
    ALTER FUNCTION public.rcycle_audit_append() OWNER TO rcycle_audit;
    ALTER FUNCTION public.rcycle_audit_adopt(text, text, text) OWNER TO rcycle_audit;
    ALTER FUNCTION public.rcycle_audit_head_storage() OWNER TO rcycle_audit;
  END IF;
END
$$;
