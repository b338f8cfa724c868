-- The search box's index of building addresses and names (issue 14: the search under load).
--
-- A search for part of an address ("凤街", "3号楼") read every building's address and name with
-- ILIKE '%…%': 100 ms at Chaoyang's 153,000 buildings, which no index could help (a trigram index
-- needs three characters, and Chinese searches are mostly two). This table holds each building's
-- two-character pieces (bigrams) of its lowercased address and name; a search of two characters
-- or more finds the buildings holding every piece of its text here, and checks only those.
--
-- Kept by the schema: statement triggers write the pieces of the buildings a statement inserted
-- or whose address or name it changed, from scratch; a deleted building takes its rows. Nothing
-- else writes it (the app role may only read it). Buildings are not personal data: no row-level
-- security, as for building itself.

create table building_search (
  gram        text collate "C" not null,
  building_id bigint not null references building (id) on delete cascade,
  primary key (gram, building_id)
);
create index building_search_building_idx on building_search (building_id);
revoke insert, update, delete, truncate on building_search from jiceng_app;

-- the text a building is searched by: the same expression the search checks candidates with
create function building_search_text(address text, name text) returns text language sql immutable parallel safe as $$
  select lower(coalesce(address, '') || chr(10) || coalesce(name, ''))
$$;

-- its bigrams (pieces across the line between address and name are left out)
create function search_bigrams(t text) returns setof text language sql immutable parallel safe as $$
  select distinct substr(t, i, 2) from generate_series(1, length(t) - 1) i
  where position(chr(10) in substr(t, i, 2)) = 0
$$;

create function building_search_write() returns trigger language plpgsql security definer
  set search_path = public, pg_temp as $$
begin
  if tg_op = 'UPDATE' then
    delete from building_search s using new_rows n join old_rows o on o.id = n.id
    where s.building_id = n.id
      and (n.address is distinct from o.address or n.name is distinct from o.name);
    insert into building_search (gram, building_id)
    select g, n.id from new_rows n join old_rows o on o.id = n.id
    cross join lateral search_bigrams(building_search_text(n.address, n.name)) g
    where n.address is distinct from o.address or n.name is distinct from o.name;
  else
    insert into building_search (gram, building_id)
    select g, n.id from new_rows n cross join lateral search_bigrams(building_search_text(n.address, n.name)) g;
  end if;
  return null;
end $$;
create trigger building_search_insert after insert on building
  referencing new table as new_rows for each statement execute function building_search_write();
create trigger building_search_update after update on building
  referencing old table as old_rows new table as new_rows for each statement execute function building_search_write();

-- (a truncate of building must take building_search with it: its foreign key asks for cascade)

-- the pieces of the buildings already there
insert into building_search (gram, building_id)
select g, b.id from building b cross join lateral search_bigrams(building_search_text(b.address, b.name)) g;
analyze building_search;
