-- The audit trail of svc-users (docs/AUDIT.md): sign-ins, failed sign-ins,
-- sign-outs and changes to users, one hash chain like listings.events and
-- claims.events. rcycle-migrate hands the table and its head to rcycle_audit
-- (db/audit_seal.sql); rcycle_users may only insert and read events.
CREATE TABLE users.events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id bigint,
  actor_email text,
  actor_department text,
  entity text NOT NULL,
  entity_id text,
  action text NOT NULL,
  from_status text,
  to_status text,
  note text,
  seq bigint NOT NULL CONSTRAINT events_seq_unique UNIQUE,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);

CREATE TABLE users.audit_head (
  chain text PRIMARY KEY CHECK (chain = 'users'),
  seq bigint NOT NULL,
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
-- Like every chain head (public.rcycle_audit_head_storage in db/bootstrap.sql).
ALTER TABLE users.audit_head SET (fillfactor = 10, autovacuum_vacuum_scale_factor = 0,
  autovacuum_vacuum_threshold = 1000);
INSERT INTO users.audit_head (chain, seq, hash) VALUES ('users', 0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION users.refuse_event_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'user events are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON users.events
  FOR EACH ROW EXECUTE FUNCTION users.refuse_event_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON users.events
  FOR EACH STATEMENT EXECUTE FUNCTION users.refuse_event_change();
CREATE TRIGGER events_chain BEFORE INSERT ON users.events
  FOR EACH ROW EXECUTE FUNCTION public.rcycle_audit_append('user', 'entity_id');

CREATE INDEX events_at ON users.events (at DESC, seq DESC);
CREATE INDEX events_actor ON users.events (actor_email, at DESC, seq DESC);
CREATE INDEX events_action ON users.events (action, at DESC, seq DESC);
CREATE INDEX events_entity ON users.events (entity, entity_id, at DESC, seq DESC);
