-- The search box's index of area and organisation names (issue 14: the search under load), as
-- sql/026 keeps the buildings'.
--
-- After sql/026 the search still read every area name (5,100 at Chaoyang) and every organisation
-- name (9,900) with ILIKE '%…%' for every query, a grid leader's too: 9 ms of its 10 ms, and under
-- bench:load the search was PostgreSQL's second-largest cost (25 ms a search, 38 s in 60 s). These
-- tables hold each name's two-character pieces of its lowercased text (search_bigrams, sql/026);
-- a search of two characters or more checks only the names holding its rarest piece.
--
-- Kept by the schema: statement triggers write the pieces of the rows a statement inserted or
-- whose name it changed, from scratch; a deleted row takes its pieces (foreign keys, cascading).
-- Nothing else writes them (the app role may only read). Area and organisation names are not
-- personal data: no row-level security, as for the names themselves in the search.

create table area_search (
  gram text collate "C" not null,
  code text not null references area (code) on delete cascade on update cascade,
  primary key (gram, code)
);
create index area_search_code_idx on area_search (code);
revoke insert, update, delete, truncate on area_search from jiceng_app;

create table org_search (
  gram   text collate "C" not null,
  org_id bigint not null references party_org (id) on delete cascade,
  primary key (gram, org_id)
);
create index org_search_org_idx on org_search (org_id);
revoke insert, update, delete, truncate on org_search from jiceng_app;

create function area_search_write() returns trigger language plpgsql security definer
  set search_path = public, pg_temp as $$
begin
  if tg_op = 'UPDATE' then
    -- the rows whose name changed (by code: a code that changed took its pieces along, on update cascade)
    delete from area_search s
    using (select code, name from new_rows except select code, name from old_rows) c where s.code = c.code;
    insert into area_search (gram, code)
    select g, c.code from (select code, name from new_rows except select code, name from old_rows) c
    cross join lateral search_bigrams(lower(c.name)) g
    on conflict do nothing;
  else
    insert into area_search (gram, code)
    select g, n.code from new_rows n cross join lateral search_bigrams(lower(n.name)) g;
  end if;
  return null;
end $$;
create trigger area_search_insert after insert on area
  referencing new table as new_rows for each statement execute function area_search_write();
create trigger area_search_update after update on area
  referencing old table as old_rows new table as new_rows for each statement execute function area_search_write();

create function org_search_write() returns trigger language plpgsql security definer
  set search_path = public, pg_temp as $$
begin
  if tg_op = 'UPDATE' then
    delete from org_search s using new_rows n join old_rows o on o.id = n.id
    where s.org_id = n.id and n.name is distinct from o.name;
    insert into org_search (gram, org_id)
    select g, n.id from new_rows n join old_rows o on o.id = n.id
    cross join lateral search_bigrams(lower(n.name)) g
    where n.name is distinct from o.name;
  else
    insert into org_search (gram, org_id)
    select g, n.id from new_rows n cross join lateral search_bigrams(lower(n.name)) g;
  end if;
  return null;
end $$;
create trigger org_search_insert after insert on party_org
  referencing new table as new_rows for each statement execute function org_search_write();
create trigger org_search_update after update on party_org
  referencing old table as old_rows new table as new_rows for each statement execute function org_search_write();

-- the pieces of the names already there
insert into area_search (gram, code)
select g, a.code from area a cross join lateral search_bigrams(lower(a.name)) g;
insert into org_search (gram, org_id)
select g, o.id from party_org o cross join lateral search_bigrams(lower(o.name)) g;
analyze area_search;
analyze org_search;
