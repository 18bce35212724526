-- The audit chain of the listings schema (docs/AUDIT.md): every event gains the
-- actor's email, what it is about (entity, entity_id) and its place in the
-- hash chain (seq, prev_hash, hash), filled in by public.rcycle_audit_append
-- from the chain head; the events already there join the chain in id order
-- (public.rcycle_audit_adopt, db/bootstrap.sql). rcycle-migrate then hands the table
-- and its head to rcycle_audit (db/audit_seal.sql): the service's role may only
-- insert and read events from then on, so later changes to this table are
-- made by a migration of the administrator, not of the service role.
SELECT public.rcycle_audit_adopt('listings', 'listing', 'listing_id');
