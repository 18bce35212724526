-- When the claim holding an approved listing was received by the requesting
-- department (svc-claims tells, Receive on the internal listener); the
-- leaderboard's itemsReceived and receivedCO2Kg count these.
ALTER TABLE listings.listings ADD COLUMN received_at timestamptz;
