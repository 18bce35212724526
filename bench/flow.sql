-- flow.sql - pgbench script for bench/flow.sh: the SQL of one claim flow
-- (post a listing, claim it, approve it as owner, approve it as security
-- reviewer), statement for statement and transaction for transaction as
-- the services run it on the request path, read off PostgreSQL's
-- log_statement=all during one flow through the gateway. Run straight on
-- PostgreSQL, one script a flow, it is the ceiling of bench/flow.mjs. What
-- runs beside the requests (the notification follower, the settler, the
-- watches) is left out; so is the session lookup, which the gateway's auth
-- cache answers.
-- KEEP IN SYNC with the statements named in each comment (svc-listings/,
-- svc-claims/). The time formats spell their colons as \x3a: pgbench
-- would take ":MI" for a variable. flow.sh sets jane, bob and alice (the
-- seed users' ids) with -D; each client posts its own device, PGFLOW-<n>.
-- The statements a flow runs twice (claims_load, listings_lock,
-- listings_set_status) stand here twice: a pgbench script cannot name a
-- statement once and run it again.
\set n :client_id + 1
\set rid random(1, 9000000000000000000)

-- POST /api/listings (svc-listings CreateListing): listings_idem_find,
-- listings_hardware_find, then listings_insert and listings_idem_save in
-- one transaction.
SELECT reply FROM listings.rpc_answers
WHERE method = 'CreateListing' AND request_id = 'l' || :rid::text AND caller_id = :jane
  AND at > now() - interval '24 hours';
SELECT serial_number, manufacturer, model, category, cpu, ram, array_to_json(storage)::text, ports,
       other, has_storage_media
FROM listings.hardware WHERE serial_number = 'PGFLOW-' || :n::text;
BEGIN;
WITH created AS (
  INSERT INTO listings.listings (serial_number, title, category, description, location, condition,
    department, cpu, ram, storage, ports, other_specs, expiration_date, created_by_id, created_by)
  VALUES ('PGFLOW-' || :n::text, 'Flow bench server ' || :n::text, 'Server', NULL, NULL, NULL,
    'Data Center Operations', '2x Xeon', '128GB', NULL, '4x 1GbE', 'bench/flow.sh',
    current_date + 30, :jane, 'jane.smith@company.com')
  RETURNING id, serial_number, title, category, description, location, condition, department, cpu,
    ram, storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
    to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
    to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id),
event AS (
  INSERT INTO listings.events (listing_id, actor_id, actor_email, actor_department, action, to_status)
  SELECT id, :jane, 'jane.smith@company.com', 'Data Center Operations', 'created', status FROM created)
SELECT id AS listing_id FROM created \gset
WITH swept AS (DELETE FROM listings.rpc_answers WHERE at <= now() - interval '24 hours')
INSERT INTO listings.rpc_answers (method, request_id, caller_id, reply)
VALUES ('CreateListing', 'l' || :rid::text, :jane, decode(repeat('08d7f7071206464c4f572d31', 16), 'hex'));
COMMIT;

-- POST /api/claims (svc-claims CreateClaim): claims_recorded, GetListing
-- (listings_get), claims_insert; Reserve in svc-listings (listings_lock,
-- listings_fence_find, listings_set_status, listings_insert_event in one
-- transaction); claims_confirm_reserved.
SELECT c.id, c.listing_id, c.requesting_department, c.status
FROM claims.rpc_answers a JOIN claims.claims c ON c.id = a.claim_id
WHERE a.method = 'CreateClaim' AND a.request_id = 'c' || :rid::text AND a.caller_id = :bob
  AND a.at > now() - interval '24 hours';
SELECT id, serial_number, title, category, description, location, condition, department, cpu, ram,
       storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
       to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
       to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id
FROM listings.listings WHERE id = :listing_id;
WITH c AS (
  INSERT INTO claims.claims (listing_id, listing_title, serial_number, category, owner_department,
    requesting_department, justification, status, listing_sync, requested_by_id, requested_by,
    requested_by_name)
  VALUES (:listing_id, 'Flow bench server ' || :n::text, 'PGFLOW-' || :n::text, 'Server',
    'Data Center Operations', 'Development Team', 'bench/flow.sh', 'reserving', 'reserve', :bob,
    'bob.johnson@company.com', 'Bob Johnson')
  RETURNING id),
swept AS (DELETE FROM claims.rpc_answers WHERE at <= now() - interval '24 hours'),
recorded AS (
  INSERT INTO claims.rpc_answers (method, request_id, caller_id, claim_id)
  SELECT 'CreateClaim', 'c' || :rid::text, :bob, id FROM c)
SELECT id AS claim_id FROM c \gset
BEGIN;
SELECT id, serial_number, title, category, description, location, condition, department, cpu, ram,
       storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
       to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
       to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id,
       expiration_date < (now() AT TIME ZONE 'UTC')::date
FROM listings.listings WHERE id = :listing_id FOR UPDATE;
SELECT 1 FROM listings.released_claims WHERE claim_id = :claim_id;
UPDATE listings.listings SET status = 'claimed', claim_id = :claim_id, updated_at = now()
WHERE id = :listing_id
RETURNING id, serial_number, title, category, description, location, condition, department, cpu,
  ram, storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
  to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
  to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id;
INSERT INTO listings.events (listing_id, actor_id, actor_department, action, from_status, to_status,
  claim_id, actor_email)
VALUES (:listing_id, :bob, 'Development Team', 'reserved', 'available', 'claimed', :claim_id,
  'bob.johnson@company.com');
COMMIT;
WITH c AS (
  UPDATE claims.claims SET status = 'pending_owner', listing_sync = 'none', updated_at = now()
  WHERE id = :claim_id AND status = 'reserving' RETURNING *),
e AS (
  INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, actor_department, action,
    to_status, note)
  SELECT id, requested_by_id, requested_by, requested_by_name, requesting_department, 'created',
    'pending_owner', NULL FROM c)
SELECT id, listing_id, listing_title, serial_number, category, requesting_department, justification,
       status, requested_by, claims.rfc3339(requested_at), claims.rfc3339(owner_approved_at),
       owner_approved_by, claims.rfc3339(security_approved_at), security_approved_by,
       claims.rfc3339(denied_at), denied_by, denial_reason, owner_department, listing_sync,
       claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by
FROM c;

-- POST /api/claims/{id}/approve by the owner (svc-claims Approve):
-- claims_load, claims_owner_approve.
SELECT id, listing_id, listing_title, serial_number, category, requesting_department, justification,
       status, requested_by, claims.rfc3339(requested_at), claims.rfc3339(owner_approved_at),
       owner_approved_by, claims.rfc3339(security_approved_at), security_approved_by,
       claims.rfc3339(denied_at), denied_by, denial_reason, owner_department, listing_sync,
       claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by
FROM claims.claims WHERE id = :claim_id AND status NOT IN ('reserving', 'abandoned');
WITH c AS (
  UPDATE claims.claims SET status = 'pending_security', owner_approved_at = now(),
    owner_approved_by = 'jane.smith@company.com', updated_at = now()
  WHERE id = :claim_id AND status = 'pending_owner' AND listing_sync = 'none' RETURNING *),
e AS (
  INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, actor_department, action,
    from_status, to_status)
  SELECT id, :jane, 'jane.smith@company.com', 'Jane Smith', 'Data Center Operations',
    'owner_approved', 'pending_owner', 'pending_security' FROM c)
SELECT id, listing_id, listing_title, serial_number, category, requesting_department, justification,
       status, requested_by, claims.rfc3339(requested_at), claims.rfc3339(owner_approved_at),
       owner_approved_by, claims.rfc3339(security_approved_at), security_approved_by,
       claims.rfc3339(denied_at), denied_by, denial_reason, owner_department, listing_sync,
       claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by
FROM c;

-- POST /api/claims/{id}/approve by security (svc-claims Approve):
-- claims_load, claims_mark_transfer; Transfer in svc-listings
-- (listings_lock, listings_set_status, listings_insert_event in one
-- transaction); claims_finish_transfer.
SELECT id, listing_id, listing_title, serial_number, category, requesting_department, justification,
       status, requested_by, claims.rfc3339(requested_at), claims.rfc3339(owner_approved_at),
       owner_approved_by, claims.rfc3339(security_approved_at), security_approved_by,
       claims.rfc3339(denied_at), denied_by, denial_reason, owner_department, listing_sync,
       claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by
FROM claims.claims WHERE id = :claim_id AND status NOT IN ('reserving', 'abandoned');
UPDATE claims.claims SET listing_sync = 'transfer', sync_actor_id = :alice,
  sync_actor = 'alice.williams@company.com', sync_actor_department = 'Security Team',
  sync_actor_name = 'Alice Williams', updated_at = now()
WHERE id = :claim_id AND status = 'pending_security' AND listing_sync = 'none';
BEGIN;
SELECT id, serial_number, title, category, description, location, condition, department, cpu, ram,
       storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
       to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
       to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id,
       expiration_date < (now() AT TIME ZONE 'UTC')::date
FROM listings.listings WHERE id = :listing_id FOR UPDATE;
UPDATE listings.listings SET status = 'approved', claim_id = :claim_id, updated_at = now()
WHERE id = :listing_id
RETURNING id, serial_number, title, category, description, location, condition, department, cpu,
  ram, storage, ports, other_specs, status, to_char(expiration_date, 'YYYY-MM-DD'), created_by,
  to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
  to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'), claim_id;
INSERT INTO listings.events (listing_id, actor_id, actor_department, action, from_status, to_status,
  claim_id, actor_email)
VALUES (:listing_id, NULL, NULL, 'transferred', 'claimed', 'approved', :claim_id, NULL);
COMMIT;
WITH c AS (
  UPDATE claims.claims SET status = 'approved', security_approved_at = now(),
    security_approved_by = sync_actor, listing_sync = 'none', updated_at = now()
  WHERE id = :claim_id AND status = 'pending_security' AND listing_sync = 'transfer' RETURNING *),
e AS (
  INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, actor_department, action,
    from_status, to_status, note)
  SELECT id, sync_actor_id, sync_actor, sync_actor_name, sync_actor_department, 'security_approved',
    'pending_security', 'approved', NULL FROM c)
SELECT id, listing_id, listing_title, serial_number, category, requesting_department, justification,
       status, requested_by, claims.rfc3339(requested_at), claims.rfc3339(owner_approved_at),
       owner_approved_by, claims.rfc3339(security_approved_at), security_approved_by,
       claims.rfc3339(denied_at), denied_by, denial_reason, owner_department, listing_sync,
       claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by
FROM c;
