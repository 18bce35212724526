-- The answers of write RPCs by request id (common/idem.h): a create that is
-- sent again (nng resends a request whose connection dropped; a client
-- retries with the same Idempotency-Key) answers what it answered the first
-- time instead of running again. Written in the transaction of the write;
-- honoured and kept for 24 hours, then deleted by a later write.
CREATE TABLE users.rpc_answers (
  method text NOT NULL,
  request_id text NOT NULL,
  -- The user the request was made for (0 when anonymous): a key names one
  -- client's request, never another user's answer.
  caller_id bigint NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  -- The reply message as the handler packed it.
  reply bytea NOT NULL,
  PRIMARY KEY (method, request_id, caller_id)
);
CREATE INDEX rpc_answers_at ON users.rpc_answers (at);
