-- The search pieces of a text without sorting them into distinct ones first (issue 13: an import of
-- Chaoyang's 153,722 buildings computes them for each row it writes, 1.65 s of its insert; 1.15 s
-- without the sort). A GIN index keeps each row's distinct keys whatever the array holds, and
-- `@>` is the same test for an array with repeats: each index holds exactly what it held, so none
-- is rebuilt. The search's piece counts (queries/search.ts) count a repeated piece twice, which
-- changes no answer.
create or replace function search_pieces(t text) returns text[] language sql immutable parallel safe as $$
  select array(select substr(t, i, 2) from generate_series(1, length(t) - 1) i
               where position(chr(10) in substr(t, i, 2)) = 0)
$$;
