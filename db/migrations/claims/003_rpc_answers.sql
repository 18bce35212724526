-- The claims that CreateClaim made, by request id: a CreateClaim sent again
-- (nng resends a request whose connection dropped; a client retries with the
-- same Idempotency-Key) answers with the claim it made instead of making
-- another or answering 409 (svc-claims/create.c). The row is inserted in the
-- statement that inserts the claim, so a claim and its record commit
-- together; honoured and kept for 24 hours, then deleted by a later create.
CREATE TABLE claims.rpc_answers (
  method text NOT NULL,
  request_id text NOT NULL,
  -- The user the request was made for: a key names one client's request,
  -- never another user's claim.
  caller_id bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  -- The answer is the claim as it is when asked again, rebuilt from its row:
  -- its first answer is only known after the reservation, in a later
  -- transaction.
  claim_id bigint NOT NULL REFERENCES claims.claims (id),
  PRIMARY KEY (method, request_id, caller_id)
);
CREATE INDEX rpc_answers_at ON claims.rpc_answers (at);
