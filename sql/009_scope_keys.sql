-- Scope that the database can check cheaply (issue 9).
--
-- Every row that row-level security protects carries its own scope key: the code of its grid
-- (household, central_household, central_household_link, building_leader: `grid_code`), or for a
-- party member `scope_code` — their household's grid, or, with no household (流动党员 and the like),
-- the area their organisation covers (coalesce(org.area_code, the org's building's grid_code)).
-- Each policy is then a plain range comparison on the row itself, which a text_pattern_ops index
-- answers, instead of the IN (subquery) forms of sql/006 that cost a SubPlan over building or
-- household in every query (seconds per tile for a street secretary at Chaoyang scale).
--
-- The schema keeps the keys true:
-- - composite foreign keys with ON UPDATE CASCADE: household (building_id, grid_code) → building
--   (id, grid_code); building_leader likewise; party_member (household_id, scope_code),
--   central_household (household_id, grid_code) and central_household_link (household_id,
--   grid_code) → household (id, grid_code). A building moved to another grid carries its
--   households, their members, central households, links and leaders with it; a row whose key
--   disagrees with its parent's is refused.
-- - BEFORE triggers fill a missing key from the parent (an insert without it gets it; a parent that
--   does not exist, or that the writer's scope cannot see, is refused by name), and a row moved to
--   another parent with its key left as it was takes the new parent's key. Any other key written
--   explicitly is kept as written, and the foreign key checks it.
-- - a member with no household takes their organisation's scope, on every insert and update;
--   when an organisation moves (area_code, building_id), or the building it is seated in moves to
--   another grid, its members without a household follow.
-- Writers should still give the key (the Kysely types ask for it): the triggers only run when it
-- is missing (WHEN clauses), so bulk loads pay nothing for them.

-- ---------------------------------------------------------------- the scope as a range
-- The transaction's scope (set_config('jiceng.scope', <area code>, true), sql/006) as a half-open
-- range of codes in byte order: [scope, scope with its last character incremented) holds exactly
-- the codes that start with scope. '*' (the system's own work) is everything; unset or '' is no row
-- at all (null bounds). Compared with ~>=~ and ~<~ (text_pattern_ops): no collation involved, and
-- a btree (… text_pattern_ops) index takes both bounds as its condition. Plain stable SQL: the
-- planner inlines them and evaluates them once per index scan.
create function jiceng_scope_lo() returns text language sql stable parallel safe as $$
  select case coalesce(current_setting('jiceng.scope', true), '')
    when '' then null
    when '*' then ''
    else current_setting('jiceng.scope', true) end
$$;
create function jiceng_scope_hi() returns text language sql stable parallel safe as $$
  select case coalesce(current_setting('jiceng.scope', true), '')
    when '' then null
    when '*' then chr(127)  -- above every code (codes are digits, sql/001)
    else left(current_setting('jiceng.scope', true), -1)
         || chr(ascii(right(current_setting('jiceng.scope', true), 1)) + 1) end
$$;

-- ---------------------------------------------------------------- backfill
-- The owner does not bypass forced row-level security (sql/006): unforce it for this transaction
-- (its ALTERs hold every table exclusively until the commit) and force it again at the end.
alter table household no force row level security;
alter table party_member no force row level security;
alter table central_household no force row level security;
alter table central_household_link no force row level security;
alter table building_leader no force row level security;

alter table household add column grid_code text;
alter table party_member add column scope_code text;
alter table central_household add column grid_code text;
alter table central_household_link add column grid_code text;
alter table building_leader add column grid_code text;

-- set-based, one statement per table, before any index on the new columns exists
update household h set grid_code = b.grid_code from building b where b.id = h.building_id;
update party_member m set scope_code = h.grid_code from household h where h.id = m.household_id;
update party_member m set scope_code = coalesce(o.area_code, b.grid_code)
  from party_org o left join building b on b.id = o.building_id
  where o.id = m.org_id and m.household_id is null;
update central_household c set grid_code = h.grid_code from household h where h.id = c.household_id;
update central_household_link l set grid_code = h.grid_code from household h where h.id = l.household_id;
update building_leader l set grid_code = b.grid_code from building b where b.id = l.building_id;

alter table household alter column grid_code set not null;
alter table party_member alter column scope_code set not null;
alter table central_household alter column grid_code set not null;
alter table central_household_link alter column grid_code set not null;
alter table building_leader alter column grid_code set not null;

-- ---------------------------------------------------------------- keys that cannot drift
-- the targets of the composite keys, led by the code: each is also its table's scope index
-- (building's replaces building_grid_idx, and answers a grid's buildings from the index alone)
create unique index building_scope_key on building (grid_code text_pattern_ops, id);
drop index building_grid_idx;
create unique index household_scope_key on household (grid_code text_pattern_ops, id);

-- the composite keys replace the single-column ones (same deletes: cascade, or set null)
alter table household drop constraint household_building_id_fkey;
alter table household add constraint household_building_fkey
  foreign key (building_id, grid_code) references building (id, grid_code) on update cascade on delete cascade;

alter table party_member drop constraint party_member_household_id_fkey;
-- a deleted household leaves its members without one (the trigger below gives them their org's scope)
alter table party_member add constraint party_member_household_fkey
  foreign key (household_id, scope_code) references household (id, grid_code) on update cascade on delete set null (household_id);

alter table central_household drop constraint central_household_household_id_fkey;
alter table central_household add constraint central_household_household_fkey
  foreign key (household_id, grid_code) references household (id, grid_code) on update cascade on delete cascade;

alter table central_household_link drop constraint central_household_link_household_id_fkey;
alter table central_household_link add constraint central_household_link_household_fkey
  foreign key (household_id, grid_code) references household (id, grid_code) on update cascade on delete cascade;

alter table building_leader drop constraint building_leader_building_id_fkey;
alter table building_leader add constraint building_leader_building_fkey
  foreign key (building_id, grid_code) references building (id, grid_code) on update cascade on delete cascade;

-- ---------------------------------------------------------------- indexes
-- the scope alone (a query with no other filter than the policy; household: household_scope_key) …
create index party_member_scope_idx on party_member (scope_code text_pattern_ops);
create index central_household_scope_idx on central_household (grid_code text_pattern_ops);
create index central_household_link_scope_idx on central_household_link (grid_code text_pattern_ops);
create index building_leader_scope_idx on building_leader (grid_code text_pattern_ops);
-- … and the lookups the tiles make down the foreign keys (a building's households, a household's
-- members, a building's working members) with the scope checked inside the index; they also serve
-- the cascades, whose condition is the pair, and replace the single-column indexes
drop index household_building_idx;
create index household_building_scope_idx on household (building_id, grid_code text_pattern_ops);
drop index party_member_household_idx;
create index party_member_household_scope_idx on party_member (household_id, scope_code text_pattern_ops);
drop index party_member_workplace_idx;
create index party_member_workplace_scope_idx on party_member (workplace_building_id, scope_code text_pattern_ops);

-- ---------------------------------------------------------------- triggers
-- a missing key from the parent; a parent that does not exist or is out of the writer's scope is
-- refused here with its name (row-level security hides it from the lookup)
create function household_scope_key() returns trigger language plpgsql as $$
begin
  select b.grid_code into new.grid_code from building b where b.id = new.building_id;
  if new.grid_code is null then
    raise exception 'household: building % does not exist', new.building_id using errcode = 'foreign_key_violation';
  end if;
  return new;
end $$;
create trigger household_scope_key before insert on household
  for each row when (new.grid_code is null) execute function household_scope_key();
create trigger household_scope_key_moved before update of building_id, grid_code on household
  for each row when (new.grid_code is null
    or (new.building_id is distinct from old.building_id and new.grid_code is not distinct from old.grid_code))
  execute function household_scope_key();

create function building_leader_scope_key() returns trigger language plpgsql as $$
begin
  select b.grid_code into new.grid_code from building b where b.id = new.building_id;
  if new.grid_code is null then
    raise exception 'building_leader: building % does not exist', new.building_id using errcode = 'foreign_key_violation';
  end if;
  return new;
end $$;
create trigger building_leader_scope_key before insert on building_leader
  for each row when (new.grid_code is null) execute function building_leader_scope_key();
create trigger building_leader_scope_key_moved before update of building_id, grid_code on building_leader
  for each row when (new.grid_code is null
    or (new.building_id is distinct from old.building_id and new.grid_code is not distinct from old.grid_code))
  execute function building_leader_scope_key();

-- central_household and central_household_link: the key of `household_id`'s household
create function household_child_scope_key() returns trigger language plpgsql as $$
begin
  select h.grid_code into new.grid_code from household h where h.id = new.household_id;
  if new.grid_code is null then
    raise exception '%: household % does not exist or is outside the scope', tg_table_name, new.household_id
      using errcode = 'foreign_key_violation';
  end if;
  return new;
end $$;
create trigger central_household_scope_key before insert on central_household
  for each row when (new.grid_code is null) execute function household_child_scope_key();
create trigger central_household_scope_key_moved before update of household_id, grid_code on central_household
  for each row when (new.grid_code is null
    or (new.household_id is distinct from old.household_id and new.grid_code is not distinct from old.grid_code))
  execute function household_child_scope_key();
create trigger central_household_link_scope_key before insert on central_household_link
  for each row when (new.grid_code is null) execute function household_child_scope_key();
create trigger central_household_link_scope_key_moved before update of household_id, grid_code on central_household_link
  for each row when (new.grid_code is null
    or (new.household_id is distinct from old.household_id and new.grid_code is not distinct from old.grid_code))
  execute function household_child_scope_key();

-- where an organisation is: its area, or its building's grid
create function party_org_scope(org bigint) returns text language sql stable as $$
  select coalesce(o.area_code, b.grid_code) from party_org o left join building b on b.id = o.building_id where o.id = org
$$;

-- a member: their household's grid, or with no household their organisation's scope (always
-- recomputed, so a member who loses their household — moved out, or the household deleted — takes it)
create function party_member_scope_key() returns trigger language plpgsql as $$
begin
  if new.household_id is null then
    new.scope_code := party_org_scope(new.org_id);
    if new.scope_code is null then
      raise exception 'party_member: organisation % does not exist', new.org_id using errcode = 'foreign_key_violation';
    end if;
  else
    select h.grid_code into new.scope_code from household h where h.id = new.household_id;
    if new.scope_code is null then
      raise exception 'party_member: household % does not exist or is outside the scope', new.household_id
        using errcode = 'foreign_key_violation';
    end if;
  end if;
  return new;
end $$;
create trigger party_member_scope_key before insert on party_member
  for each row when (new.household_id is null or new.scope_code is null) execute function party_member_scope_key();
create trigger party_member_scope_key_moved before update of household_id, org_id, scope_code on party_member
  for each row when (new.household_id is null or new.scope_code is null
    or (new.household_id is distinct from old.household_id and new.scope_code is not distinct from old.scope_code))
  execute function party_member_scope_key();

-- an organisation that moves takes its members without a household along, whoever moves it: the
-- update runs as the owner with the whole scope (a writer must not leave rows it cannot see behind)
create function party_org_scope_moved() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  update party_member set scope_code = party_org_scope(new.id)
  where org_id = new.id and household_id is null and scope_code is distinct from party_org_scope(new.id);
  return null;
end $$;
create trigger party_org_scope_moved after update of area_code, building_id on party_org
  for each row when (new.area_code is distinct from old.area_code or new.building_id is distinct from old.building_id)
  execute function party_org_scope_moved();

-- so does a building that moves to another grid, for the organisations seated in it with no area
-- (its households, their members and the rest follow by the cascading foreign keys)
create function building_orgs_scope_moved() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  update party_member m set scope_code = new.grid_code
  from party_org o
  where o.building_id = new.id and o.area_code is null and m.org_id = o.id and m.household_id is null
    and m.scope_code is distinct from new.grid_code;
  return null;
end $$;
create trigger building_orgs_scope_moved after update of grid_code on building
  for each row when (new.grid_code is distinct from old.grid_code)
  execute function building_orgs_scope_moved();

-- ---------------------------------------------------------------- policies: a comparison on the row
drop policy household_scope on household;
create policy household_scope on household
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
drop policy party_member_scope on party_member;
create policy party_member_scope on party_member
  using (scope_code ~>=~ jiceng_scope_lo() and scope_code ~<~ jiceng_scope_hi());
drop policy central_household_scope on central_household;
create policy central_household_scope on central_household
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
drop policy central_household_link_scope on central_household_link;
create policy central_household_link_scope on central_household_link
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
drop policy building_leader_scope on building_leader;
create policy building_leader_scope on building_leader
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());

alter table household force row level security;
alter table party_member force row level security;
alter table central_household force row level security;
alter table central_household_link force row level security;
alter table building_leader force row level security;

-- planner statistics for the new columns and indexes (a populated database would otherwise plan
-- its first scoped queries blind)
analyze household, party_member, central_household, central_household_link, building_leader;
