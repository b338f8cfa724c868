-- Residents' requests (群众诉求, issue 11 part 3): created by a grid leader from a household or a
-- point on the map, handled by the party organisation of the level that holds it (grid →
-- community → street and back down), each transition recorded with who, when and why.
--
-- Scope: every row carries grid_code, and the policies compare it with the transaction's scope
-- range like sql/009 — a grid leader sees their grid's requests, a secretary their subtree's.
-- Which level *acts* is the request's `level`; who may do what is enforced by the server
-- (src/lib/server/requests/machine.ts, the README's table).
--
-- The clock: jiceng_now() is now(), unless the transaction set jiceng.clock (set_config(…, true)).
-- Only tests set it; no route does, and a request's transaction is opened by the server
-- (src/lib/server/db/scoped.ts), so a client cannot.

create function jiceng_now() returns timestamptz language sql stable parallel safe as $$
  select coalesce(nullif(current_setting('jiceng.clock', true), '')::timestamptz, now())
$$;

-- how long each level has, per category × urgency (configurable by the district admin)
create table request_time_limit (
  category      text not null,
  urgency       text not null check (urgency in ('normal', 'urgent', 'critical')),
  respond_hours int  not null check (respond_hours between 1 and 8760),
  resolve_hours int  not null check (resolve_hours between 1 and 8760),
  primary key (category, urgency)
);

insert into request_time_limit (category, urgency, respond_hours, resolve_hours)
select c, u,
  case u when 'critical' then 2 when 'urgent' then 12 else 24 end,
  case u when 'critical' then 24 when 'urgent' then 72 else 168 end
from unnest(array['environment', 'facilities', 'safety', 'neighbours', 'welfare', 'other']) c,
     unnest(array['normal', 'urgent', 'critical']) u;

create table request (
  id           bigint generated always as identity primary key,
  -- the client's id for the submission: a retry finds the row it already made (a UUID, or the
  -- device's fallback where crypto.randomUUID is missing: plain http)
  client_id    text not null unique check (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  grid_code    text not null references area (code) on delete restrict,
  household_id bigint references household (id) on delete set null,
  geom         geometry(Point, 4326) not null,
  category     text not null check (category in ('environment', 'facilities', 'safety', 'neighbours', 'welfare', 'other')),
  urgency      text not null check (urgency in ('normal', 'urgent', 'critical')),
  description  text not null check (length(description) between 1 and 1000),
  state        text not null default 'submitted'
               check (state in ('submitted', 'accepted', 'in_progress', 'resolved', 'confirmed', 'reopened')),
  -- who holds it now: the party organisation of this level acts
  level        text not null default 'grid' check (level in ('grid', 'community', 'street')),
  -- the instruction that came down with it from a higher level
  instruction  text check (length(instruction) <= 1000),
  -- a re-encoded JPEG/PNG/WebP with no metadata segments, at most 1 MiB
  photo        bytea check (octet_length(photo) <= 1048576),
  photo_type   text check (photo_type in ('image/jpeg', 'image/png', 'image/webp')),
  created_by   bigint,
  created_at   timestamptz not null default jiceng_now(),
  accepted_at  timestamptz,
  resolved_at  timestamptz,
  confirmed_at timestamptz,
  constraint request_photo_typed check ((photo is null) = (photo_type is null))
);
create index request_scope_idx on request (grid_code text_pattern_ops, id);
create index request_household_idx on request (household_id) where household_id is not null;
create index request_geom_idx on request using gist (geom);

create table request_event (
  id          bigint generated always as identity primary key,
  request_id  bigint not null references request (id) on delete cascade,
  grid_code   text not null,
  at          timestamptz not null default jiceng_now(),
  account_id  bigint,
  username    text,
  role        text,
  action      text not null check (action in ('submit', 'accept', 'start', 'resolve', 'confirm', 'reopen', 'escalate', 'return')),
  from_state  text,
  to_state    text not null,
  from_level  text,
  to_level    text not null,
  reason      text check (length(reason) <= 1000)
);
create index request_event_request_idx on request_event (request_id, id);
create index request_event_scope_idx on request_event (grid_code text_pattern_ops);

-- a household moved to another grid takes its requests (and their trail) with it
create function household_requests_moved() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  update request set grid_code = new.grid_code where household_id = new.id and grid_code is distinct from new.grid_code;
  update request_event e set grid_code = new.grid_code from request r
    where r.household_id = new.id and e.request_id = r.id and e.grid_code is distinct from new.grid_code;
  return null;
end $$;
create trigger household_requests_moved after update of grid_code on household
  for each row when (new.grid_code is distinct from old.grid_code)
  execute function household_requests_moved();

alter table request enable row level security;
alter table request_event enable row level security;
create policy request_scope on request
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
create policy request_event_scope on request_event
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
alter table request force row level security;
alter table request_event force row level security;

-- the trail is append-only for the application
revoke update, delete, truncate on request_event from jiceng_app;
