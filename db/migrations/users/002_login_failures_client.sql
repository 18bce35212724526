-- The client network of each failed login, for the limit per client address
-- (docs/API.md): an IPv4 address as itself, an IPv6 address as its /64, since
-- one IPv6 client commonly holds a whole /64. NULL when the caller named no
-- address (a tool calling svc-users directly); such failures count for their
-- email only.
ALTER TABLE users.login_failures ADD COLUMN client_net inet;
CREATE INDEX login_failures_client_net_at ON users.login_failures (client_net, at)
  WHERE client_net IS NOT NULL;
