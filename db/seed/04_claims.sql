-- 04_claims.sql - seed: the one claim of the original R-Cycle demo (SEED.md):
-- Alice Williams, for the Security Team, asks for SRV003-DELL-R630; it waits
-- for the owning department (pending_owner) and the listing is claimed.
--
-- The claim is made only while the seeded listing is available and has never
-- had a claim, so a second run adds nothing. The claim, the listing's update
-- and both audit events are one statement: the listing's CHECK wants
-- claim_id set exactly when it is claimed, and the two can never be seen
-- apart.
WITH target AS (
  SELECT l.id, l.title, l.serial_number, l.category, l.department
  FROM listings.listings AS l
  WHERE l.serial_number = 'SRV003-DELL-R630' AND l.status = 'available' AND l.claim_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM claims.claims AS c WHERE c.listing_id = l.id)
), requester AS (
  SELECT id, email FROM users.accounts WHERE email = 'alice.williams@company.com'
), new_claim AS (
  INSERT INTO claims.claims
    (listing_id, listing_title, serial_number, category, owner_department,
     requesting_department, justification, status, requested_by_id, requested_by)
  SELECT t.id, t.title, t.serial_number, t.category, t.department,
         'Security Team', 'Need for automated testing infrastructure expansion', 'pending_owner',
         r.id, r.email
  FROM target AS t CROSS JOIN requester AS r
  RETURNING id, listing_id, requested_by_id
), claim_event AS (
  INSERT INTO claims.events (claim_id, actor_id, actor_department, action, to_status, note)
  SELECT n.id, n.requested_by_id, 'Security Team', 'created', 'pending_owner', 'seed data'
  FROM new_claim AS n
), claimed AS (
  UPDATE listings.listings AS l
  SET status = 'claimed', claim_id = n.id, updated_at = now()
  FROM new_claim AS n
  WHERE l.id = n.listing_id
  RETURNING l.id, n.id AS claim_id, n.requested_by_id
)
INSERT INTO listings.events (listing_id, actor_id, actor_department, action, from_status, to_status,
                             claim_id, note)
SELECT c.id, c.requested_by_id, 'Security Team', 'reserved', 'available', 'claimed', c.claim_id,
       'seed data'
FROM claimed AS c;
