-- Searches of one or two characters (issue 11). The trigram index
-- (listings_search, 001) cannot serve them: a pattern shorter than three
-- characters holds no trigram, so PostgreSQL reads the whole index or the
-- whole table (1.3 s at 100k listings under load). search_grams holds every
-- substring of one and two characters of the very text the search matches
-- (svc-listings/listings.h, LISTING_SEARCH_TEXT), each as a lexeme of a
-- tsvector. A text holds a term of one or two characters if and only if the
-- term is one of its lexemes, so `search_grams @@ listings.search_gram(term)`
-- alone finds exactly the matches (svc-listings/listings.c, LISTING_FILTER).
--
-- A tsvector rather than a text[]: its lexemes are sorted, so a test of one
-- row is a binary search (0.2 us) where an array's @> compares every element
-- (1.5 us), and a walk of the newest listings that tests row after row is
-- what a common term's first page is. A stored column rather than an index
-- expression: PostgreSQL evaluates an indexed expression again for every
-- row it filters or rechecks, where a stored value costs it a comparison.
-- The function runs when a row is written (about 25 us an UPDATE of a
-- listing of a few hundred characters).

-- The substrings of one and two characters of t, as lexemes (array_to_tsvector
-- takes each string as it is, unparsed, and sorts and dedups them). One pass
-- over t's characters: substr() on a UTF-8 text counts from the start at
-- each call, which made a 2,300-character text cost 96 ms instead of 2 ms.
CREATE FUNCTION listings.search_grams(t text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN coalesce((
    SELECT array_to_tsvector(array_agg(c) || (array_agg(c || next) FILTER (WHERE next IS NOT NULL)))
    FROM (SELECT c, lead(c) OVER (ORDER BY i) AS next
          FROM unnest(string_to_array(t, NULL)) WITH ORDINALITY AS u (c, i)) AS chars),
    ''::tsvector);

-- The query of one lexeme: the term itself, whatever characters it holds.
-- The term is never read as query syntax: tsvector's output writes the
-- lexeme quoted, in the form tsquery's input reads back as one lexeme.
CREATE FUNCTION listings.search_gram(term text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN array_to_tsvector(ARRAY[term])::text::tsquery;

ALTER TABLE listings.listings ADD COLUMN search_grams tsvector NOT NULL GENERATED ALWAYS AS (
  listings.search_grams(lower(title || E'\n' || serial_number || E'\n' || department || E'\n'
    || coalesce(description, '')))) STORED;

CREATE INDEX listings_search_short ON listings.listings USING gin (search_grams);

-- A GIN index takes new entries into a pending list, which every search
-- reads through until VACUUM merges it; at the default 4 MB that list cost
-- a search at 100k listings half its speed after a bulk load. 256 kB bounds
-- that scan and still batches the entries of a few hundred rows.
ALTER INDEX listings.listings_search SET (gin_pending_list_limit = 256);
ALTER INDEX listings.listings_search_short SET (gin_pending_list_limit = 256);
