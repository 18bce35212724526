-- Email notifications (docs/API.md "Email notifications", docs/MAIL.md): the
-- per-user opt-out and svc-users' transactional outbox.
--
-- The producer's contract (docs/MAIL.md): the statement (or transaction)
-- that writes a notification also writes its outbox row, in the same
-- transaction, and only when mail is configured (RCYCLE_SMTP_URL and
-- RCYCLE_MAIL_FROM set: mail_outbox_enabled() in svc-users/users.h) and the
-- recipient is active and has email_notifications. svc-users/users.h gives
-- it as MAIL_OUTBOX_INSERT_FROM(rel), appended to the writer's own statement
-- (svc-users/notify.c), over the notifications it has just inserted:
--
--   WITH n AS (INSERT INTO users.notifications ... RETURNING id, user_id,
--              title, body, link)
--   INSERT INTO users.mail_outbox (notification_id, user_id, subject, body_text, link)
--   SELECT n.id, n.user_id, n.title, coalesce(n.body, ''), n.link FROM n
--   JOIN users.accounts a ON a.id = n.user_id
--   WHERE a.email_notifications AND a.active
--   ON CONFLICT (notification_id) DO NOTHING
--
-- so a notification is mailed exactly when it is written (never one without
-- the other, whatever stops the process), and a producer that runs twice for
-- the same notification adds no second row. ON DELETE SET NULL keeps the record of what was sent when an old
-- notification goes.
ALTER TABLE users.accounts ADD COLUMN email_notifications boolean NOT NULL DEFAULT true;

-- One row per message. The sender (svc-users/mail_outbox.c) leases due rows
-- by moving next_attempt_at forward, so a replica that dies mid-send leaves
-- its rows to the others once the lease runs out; sent and dead rows stay for
-- the admin's view (GET /api/admin/mail) and the metrics.
CREATE TABLE users.mail_outbox (
  id bigserial PRIMARY KEY,
  notification_id bigint UNIQUE REFERENCES users.notifications (id) ON DELETE SET NULL,
  user_id bigint NOT NULL REFERENCES users.accounts (id) ON DELETE CASCADE,
  -- No length or shape checks: a check that failed would roll back the
  -- notification it rides with. The sender makes the subject a safe header
  -- and appends link (a UI path such as '/#/claims/12') to RCYCLE_PUBLIC_URL
  -- only when it is one.
  subject text NOT NULL,
  body_text text NOT NULL,
  link text,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- The relay's reply or libcurl's error text: never a credential.
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
-- "Due pending rows", the sender's one question, reads only pending rows.
CREATE INDEX mail_outbox_due ON users.mail_outbox (next_attempt_at) WHERE state = 'pending';
-- The admin's view: one state, newest first.
CREATE INDEX mail_outbox_state ON users.mail_outbox (state, id DESC);
CREATE INDEX mail_outbox_user ON users.mail_outbox (user_id);
