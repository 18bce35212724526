-- listings_page.sql - pgbench script for bench/run.sh: the statement
-- svc-listings runs for the default listing page (GET /api/listings: no
-- filter, newest first, limit 100, the total in the last column), with the
-- parameters as the service binds them (filters NULL), run straight on
-- PostgreSQL as the ceiling of that route.
-- KEEP IN SYNC with page_listings in svc-listings/listings.c and
-- LISTING_COLUMNS in svc-listings/listing_row.h.
WITH page AS (
  SELECT id, serial_number, title, category, description, location, condition, department,
         cpu, ram, storage, ports, other_specs, status,
         to_char(expiration_date, 'YYYY-MM-DD'), created_by,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         claim_id
  FROM listings.listings
  WHERE (NULL::text IS NULL OR category = NULL) AND (NULL::text IS NULL OR status = NULL)
    AND (NULL::text IS NULL OR department = NULL) AND (NULL::text IS NULL)
  ORDER BY created_at DESC, id DESC LIMIT 100 OFFSET 0)
SELECT page.*, (SELECT count(*) FROM listings.listings) FROM page;
