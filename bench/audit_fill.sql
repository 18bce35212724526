-- audit_fill.sql - :rows synthetic audit events for bench/audit.sh, a fifth
-- on the users chain and two fifths on each of listings and claims: 200
-- actors in 20 departments, 50000 entities per chain (ids from 1000000001,
-- clear of real ones), times spread back from now. Their actions start with bench_ and they name no listing, so the
-- listing feed ignores them. Run by the administrator.
--
-- A million appends through the chain trigger would take the better part of
-- an hour on a small machine (each one updates the head row, and the
-- versions pile up faster than they are pruned), so the fill links the chain
-- itself, in batches of 20000, with the same canonical encoding and hash as
-- the trigger (public.rcycle_audit_canonical) and the trigger switched off
-- for the batch; the result is a chain like any other, and the bench's
-- export must verify.
SET client_min_messages = warning;
CREATE OR REPLACE PROCEDURE pg_temp.bench_fill(chain text, n bigint, step interval)
LANGUAGE plpgsql AS $$
DECLARE
  done bigint := 0;
  batch bigint;
  s bigint;
  h bytea;
  r record;
  seqs bigint[];
  prevs bytea[];
  hashes bytea[];
  entity text := CASE chain WHEN 'users' THEN 'user' WHEN 'listings' THEN 'listing' ELSE 'claim' END;
  ids int := CASE chain WHEN 'users' THEN 200 ELSE 50000 END;
  actions text[] := CASE chain
    WHEN 'users' THEN ARRAY['bench_signed_in', 'bench_signed_out', 'bench_sign_in_failed']
    WHEN 'listings' THEN ARRAY['bench_created', 'bench_updated', 'bench_withdrawn']
    ELSE ARRAY['bench_created', 'bench_approved', 'bench_denied'] END;
BEGIN
  WHILE done < n LOOP
    batch := least(20000, n - done);
    EXECUTE format('LOCK TABLE %I.audit_head IN EXCLUSIVE MODE', chain);
    EXECUTE format('SELECT seq, hash FROM %I.audit_head', chain) INTO s, h;
    CREATE TEMP TABLE IF NOT EXISTS bench_rows_new (g bigint, at timestamptz, actor_id bigint,
      actor_email text, actor_department text, entity_id text, action text);
    TRUNCATE bench_rows_new;
    INSERT INTO bench_rows_new
      SELECT g, now() - ((n - g) * step), 1 + g % 200, 'bench-user-' || (g % 200) || '@bench.example',
             'Bench Dept ' || (g % 20), (1000000001 + g % ids)::text, actions[1 + g % 3]
      FROM generate_series(done + 1, done + batch) g;
    seqs := '{}';
    prevs := '{}';
    hashes := '{}';
    FOR r IN SELECT * FROM bench_rows_new ORDER BY g LOOP
      s := s + 1;
      seqs := seqs || s;
      prevs := prevs || h;
      h := sha256(h || public.rcycle_audit_canonical(chain, s, r.at, r.actor_id, r.actor_email,
        r.actor_department, entity, r.entity_id, r.action, NULL, NULL, 'bench'));
      hashes := hashes || h;
    END LOOP;
    EXECUTE format('ALTER TABLE %I.events DISABLE TRIGGER events_chain', chain);
    EXECUTE format('INSERT INTO %I.events (at, actor_id, actor_email, actor_department, entity,'
      ' entity_id, action, note, seq, prev_hash, hash)'
      ' SELECT b.at, b.actor_id, b.actor_email, b.actor_department, $1, b.entity_id, b.action,'
      ' ''bench'', c.seq, c.prev, c.hash FROM bench_rows_new b'
      ' JOIN unnest($2::bigint[], $3::bytea[], $4::bytea[]) WITH ORDINALITY AS c(seq, prev, hash, i)'
      ' ON c.i = b.g - $5', chain) USING entity, seqs, prevs, hashes, done;
    EXECUTE format('ALTER TABLE %I.events ENABLE TRIGGER events_chain', chain);
    EXECUTE format('UPDATE %I.audit_head SET seq = $1, hash = $2', chain) USING s, h;
    COMMIT;
    done := done + batch;
  END LOOP;
END
$$;
CALL pg_temp.bench_fill('users', (:rows) / 5, interval '31 seconds');
CALL pg_temp.bench_fill('listings', (:rows) - 3 * ((:rows) / 5), interval '13 seconds');
CALL pg_temp.bench_fill('claims', 2 * ((:rows) / 5), interval '13 seconds');
