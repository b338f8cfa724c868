-- Visits (走访, issue 11 part 2): a grid leader (or a secretary) records a visit to a household —
-- its kind, the day, a short note, and whether a follow-up is due (with a date). The visitor may
-- edit their own visit for 24 hours (src/lib/server/db/queries/visits.ts); every change is
-- audited. Visit coverage (households visited in the last 30 / 90 days, src/lib/coverage-rules.ts)
-- is counted from this table where the other work-coverage figures are read.
--
-- Scope: every row carries its household's grid_code, kept true like sql/009's household
-- children — a composite foreign key (household_id, grid_code) → household (id, grid_code) with
-- ON UPDATE CASCADE (a household or building moving grid takes its visits along), a BEFORE trigger
-- that fills a missing key from the household (refusing, by name, one that does not exist or is
-- outside the writer's scope), and a policy that is a range on the row's own key (sql/016 does the
-- same for requests).
--
-- This file may be applied after 016–019 on a database that already has them (the migrations run
-- in name order, each once) or before them on a new one: it uses nothing they define. The clock of
-- sql/016 (jiceng_now()) is read by the queries, not by defaults here.

create table visit (
  id            bigint generated always as identity primary key,
  -- the client's id for the submission: a retry finds the visit it already made (a UUID, or the
  -- device's fallback where crypto.randomUUID is missing: plain http)
  client_id     text not null unique check (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  household_id  bigint not null,
  grid_code     text not null,
  -- the account that made the visit (accounts are never deleted: no foreign key, like request.created_by)
  visitor_id    bigint,
  visitor_name  text check (length(visitor_name) <= 50),
  kind          text not null check (kind in ('routine', 'help', 'follow_up', 'event')),
  visited_on    date not null default current_date check (visited_on >= date '2000-01-01'),
  note          text check (length(note) <= 500),
  follow_up_on  date,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint visit_follow_up_after check (follow_up_on is null or follow_up_on >= visited_on),
  constraint visit_household_fkey foreign key (household_id, grid_code)
    references household (id, grid_code) on update cascade on delete cascade
);
-- the scope alone, and a grid's visits by day (the coverage counts: which households, since when)
create index visit_scope_idx on visit (grid_code text_pattern_ops, visited_on, household_id);
-- a household's visits, newest first (the grid page, the last visit), and the cascades
create index visit_household_idx on visit (household_id, visited_on desc, id desc);
-- follow-ups due
create index visit_follow_up_idx on visit (grid_code text_pattern_ops, follow_up_on) where follow_up_on is not null;

create function visit_scope_key() returns trigger language plpgsql as $$
begin
  select h.grid_code into new.grid_code from household h where h.id = new.household_id;
  if new.grid_code is null then
    raise exception 'visit: household % does not exist or is outside the scope', new.household_id
      using errcode = 'foreign_key_violation';
  end if;
  return new;
end $$;
create trigger visit_scope_key before insert on visit
  for each row when (new.grid_code is null) execute function visit_scope_key();
create trigger visit_scope_key_moved before update of household_id, grid_code on visit
  for each row when (new.grid_code is null
    or (new.household_id is distinct from old.household_id and new.grid_code is not distinct from old.grid_code))
  execute function visit_scope_key();

alter table visit enable row level security;
create policy visit_scope on visit
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
alter table visit force row level security;

-- a visit is never deleted by the application (it goes with its household); edits are audited
revoke delete, truncate on visit from jiceng_app;
