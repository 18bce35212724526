-- Handover (docs/API.md, "Handover"): an approved claim records when and by
-- whom the owning department handed the item over and the requesting one
-- received it. Approval stays the decision; these are the hardware moving.
ALTER TABLE claims.claims ADD COLUMN handed_over_at timestamptz;
ALTER TABLE claims.claims ADD COLUMN handed_over_by text;
ALTER TABLE claims.claims ADD COLUMN received_at timestamptz;
ALTER TABLE claims.claims ADD COLUMN received_by text;

-- 'receipt': svc-listings has still to learn that the item was received
-- (its leaderboard counts received items); set with received_at and cleared
-- once svc-listings confirms, retried by the settler like the other steps.
ALTER TABLE claims.claims DROP CONSTRAINT claims_listing_sync_check;
ALTER TABLE claims.claims ADD CONSTRAINT claims_listing_sync_check
  CHECK (listing_sync IN ('none', 'reserve', 'release', 'transfer', 'receipt'));
