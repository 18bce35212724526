-- listings_page.sql - pgbench script for bench/run.sh and bench/speed.sh:
-- the statement svc-listings runs for the default listing page (GET
-- /api/listings, no filter, newest first, limit 100; the total in the last
-- column, counted only when the page is full), run straight on PostgreSQL
-- as the ceiling of that route. With pgbench -M prepared the limit and
-- offset variables are bound parameters, as the service binds them.
-- KEEP IN SYNC with page_all_listings in svc-listings/listings.c and
-- LISTING_COLUMNS in svc-listings/listings.h. The time formats spell their
-- colons as \x3a: pgbench would take ":MI" for a variable.
\set lim 100
\set off 0
WITH page AS (
  SELECT id, serial_number, title, category, description, location, condition, department,
         cpu, ram, storage, ports, other_specs, status,
         to_char(expiration_date, 'YYYY-MM-DD'), created_by,
         to_char(created_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
         to_char(updated_at AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS"Z"'),
         claim_id
  FROM listings.listings
  ORDER BY created_at DESC, id DESC LIMIT :lim OFFSET :off)
SELECT page.*, CASE WHEN (SELECT count(*) FROM page) < :lim THEN :off + (SELECT count(*) FROM page)
  ELSE (SELECT count(*) FROM listings.listings) END FROM page;
