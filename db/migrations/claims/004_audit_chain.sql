-- The audit chain of the claims schema (docs/AUDIT.md): every event gains the
-- actor's email, what it is about (entity, entity_id) and its place in the
-- hash chain (seq, prev_hash, hash), filled in by public.rcycle_audit_append
-- from the chain head; the events already there join the chain in id order
-- (public.rcycle_audit_adopt, db/bootstrap.sql). rcycle-migrate then hands the table
-- and its head to rcycle_audit (db/audit_seal.sql): the service's role may only
-- insert and read events from then on, so later changes to this table are
-- made by a migration of the administrator, not of the service role.
SELECT public.rcycle_audit_adopt('claims', 'claim', 'claim_id');

-- The actor's name as the claim's timeline shows it: a copy for display,
-- taken when the event was written; not part of the hashed content (the
-- email is). The claim keeps the names of the requester and of the approver
-- a pending transfer waits for, for the events the settler may write later.
ALTER TABLE claims.events ADD COLUMN actor_name text;
ALTER TABLE claims.claims ADD COLUMN requested_by_name text;
ALTER TABLE claims.claims ADD COLUMN sync_actor_name text;

-- svc-listings' feed now pages by seq, its commit order, rather than by id
-- (svc-listings/feed.c); the cursor starts again from the beginning, which
-- only repeats closing claims that are already closed.
UPDATE claims.feed_cursor SET last_event_id = 0 WHERE feed = 'listings';
