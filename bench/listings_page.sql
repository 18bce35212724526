-- listings_page.sql - pgbench script for bench/run.sh: the SQL svc-listings
-- runs for the default listing page (GET /api/listings: no filter, newest
-- first, limit 100), run straight on PostgreSQL as the ceiling of that route.
-- KEEP IN SYNC with the query in svc-listings (its ListListings SQL) when
-- that query changes.
SELECT id, serial_number, title FROM listings.listings ORDER BY created_at DESC, id DESC LIMIT 100;
