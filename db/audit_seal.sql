-- audit_seal.sql - run by rcycle-migrate after every migration run, as the
-- connecting (administrative) user; safe to run twice.
--
-- Hands each schema's events table, its chain head and its append-only
-- trigger function to rcycle_audit (a role no process signs in as, made by
-- bootstrap.sql) and leaves the service role INSERT and SELECT on the events
-- and SELECT on the head: it can neither change, delete nor truncate an
-- event, switch a trigger off, replace a trigger function, nor drop the
-- table. The chain itself is written by public.rcycle_audit_append, which
-- runs as rcycle_audit.
DO $$
DECLARE
  r text;
  svc text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rcycle_audit') THEN
    RETURN;
  END IF;
  FOREACH r IN ARRAY ARRAY['users', 'listings', 'claims'] LOOP
    svc := 'rcycle_' || r;
    IF to_regclass(r || '.events') IS NULL OR to_regclass(r || '.audit_head') IS NULL THEN
      CONTINUE;
    END IF;
    EXECUTE format('ALTER TABLE %I.events OWNER TO rcycle_audit', r);
    EXECUTE format('ALTER TABLE %I.audit_head OWNER TO rcycle_audit', r);
    EXECUTE format('ALTER FUNCTION %I.refuse_event_change() OWNER TO rcycle_audit', r);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = svc) THEN
      EXECUTE format('REVOKE ALL ON %I.events, %I.audit_head FROM %I', r, r, svc);
      EXECUTE format('REVOKE ALL ON SEQUENCE %I.events_id_seq FROM %I', r, svc);
      EXECUTE format('GRANT SELECT, INSERT ON %I.events TO %I', r, svc);
      EXECUTE format('GRANT SELECT ON %I.audit_head TO %I', r, svc);
      EXECUTE format('GRANT USAGE ON SEQUENCE %I.events_id_seq TO %I', r, svc);
    END IF;
  END LOOP;
END
$$;
