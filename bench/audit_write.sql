-- audit_write.sql - pgbench script of bench/audit.sh: the write path of a
-- state change and its audit event in one transaction; :table is the events
-- table (users.events with the chain, or a plain copy without it).
\set id random(1, 1000)
BEGIN;
UPDATE public.bench_rows SET n = n + 1 WHERE id = :id;
INSERT INTO :table (actor_id, actor_email, actor_department, entity, entity_id, action, note)
  VALUES (:id, 'bench@bench.example', 'Bench', 'user', :id, 'bench_write', 'write path');
END;
