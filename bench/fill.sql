-- fill.sql - synthetic listings for bench/run.sh, so that the default
-- listing page returns full pages of 100. Run with psql -v rows=N on the
-- bench's own database only. Idempotent: serials BENCH-1..N are added once.
-- Follows the columns of db/migrations/listings/001_registry_listings.sql.
INSERT INTO listings.listings
  (serial_number, title, category, description, location, condition, department,
   cpu, ram, storage, ports, status, expiration_date, created_by_id, created_by)
SELECT 'BENCH-' || g,
       'Bench ' || (ARRAY['Server', 'Switch', 'Disk shelf'])[1 + g % 3] || ' #' || g,
       (ARRAY['Server', 'Networking', 'Storage'])[1 + g % 3],
       'Synthetic listing created by bench/run.sh',
       'Bench lab, Rack ' || (g % 40),
       (ARRAY['Excellent', 'Good', 'Fair'])[1 + g % 3],
       (ARRAY['IT Infrastructure', 'Data Center Operations', 'Development Team'])[1 + g % 3],
       '2x Intel Xeon E5-2630 v4', '128GB DDR4 ECC', 'No drives installed', '4x 1GbE',
       'available', current_date + 300, 1, 'bench'
FROM generate_series(1, :rows) AS g
WHERE NOT EXISTS (SELECT 1 FROM listings.listings l WHERE l.serial_number = 'BENCH-' || g);
