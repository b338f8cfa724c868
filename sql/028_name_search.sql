-- The search box's indexes of name pieces, as expression indexes the database keeps itself
-- (issues 13 and 14): buildings by address and name, and now areas and organisations by name.
--
-- sql/026 kept each building's two-character pieces (bigrams) in a table of their own, written by
-- statement triggers: 2.4 million rows in two B-tree indexes at Chaoyang, and an import of its
-- 153,722 buildings spent 21 s of its 37 s writing them (17 pieces a building, each made by a
-- set-returning function that sorted them). And the search still read every area name (5,100) and
-- organisation name (9,900) with ILIKE '%…%' for every query: under bench:load (100 connections)
-- the search was PostgreSQL's second-largest cost, 25 ms a search.
--
-- Here each table has one GIN index on the array of its text's pieces: built in 3 s at Chaoyang,
-- written by the database with every insert and update (a GIN index takes new rows in its pending
-- list and merges them in sorted batches: the import's building insert 21 → 5.7 s), never out of
-- step, with no table, trigger or function of its own to keep. A search of two characters or more
-- asks each index for the rows holding every piece of its text (`@>`, exact for arrays: no recheck),
-- then checks only those with ILIKE. Names and addresses are not personal data: row-level security
-- is that of the tables themselves, as before.

-- the distinct two-character pieces of a text, leaving out pieces across a line break (the search
-- text of a building is its address and name on two lines), as sql/026's search_bigrams made them
create function search_pieces(t text) returns text[] language sql immutable parallel safe as $$
  select array(select distinct substr(t, i, 2) from generate_series(1, length(t) - 1) i
               where position(chr(10) in substr(t, i, 2)) = 0)
$$;

drop trigger building_search_insert on building;
drop trigger building_search_update on building;
drop function building_search_write();
drop table building_search;
drop function search_bigrams(text);

create index building_search_idx on building using gin (search_pieces(building_search_text(address, name)));
create index area_search_idx on area using gin (search_pieces(lower(name)));
create index party_org_search_idx on party_org using gin (search_pieces(lower(name)));
