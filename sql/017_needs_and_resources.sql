-- Needs, resources and two-way claiming (需求清单 · 资源清单 · 双向认领 · 项目清单, issue 11 part 4;
-- seed 003, 汉阳). Residents' needs — from a request, or entered by the community — and resources
-- offered by the organisations and members of the area are lists with a place on the map. Claiming
-- goes both ways: an organisation or member claims a need (资源认领需求), or the community takes a
-- listed resource for a need (需求认领资源); either way the need becomes a project with an owner, a
-- due date and, at the end, a result.
--
-- Scope: a need and its project carry the grid_code of the grid holding the need (its request's
-- grid, or the grid its point lies in), compared with the transaction's scope range like sql/016.
-- A resource is offered to an area (area_code: a community, a street or a grid); it is visible in
-- that area's subtree *and* from inside it — a grid leader sees the resources offered to their
-- community and street, since matching a need to a resource crosses grid lines by nature.
--
-- Categories are the server's list (src/lib/api/needs.ts NEED_CATEGORIES), checked here too.

create table need (
  id            bigint generated always as identity primary key,
  -- the client's id for the submission: a retry finds the need it already made
  client_id     text not null unique check (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  grid_code     text not null references area (code) on delete restrict,
  -- the request it came from (a request answers to one need at most)
  request_id    bigint unique references request (id) on delete set null,
  geom          geometry(Point, 4326) not null,
  category      text not null check (category in ('elderly', 'children', 'health', 'legal', 'employment', 'culture', 'environment', 'other')),
  title         text not null check (length(title) between 1 and 100),
  description   text check (length(description) <= 1000),
  state         text not null default 'open' check (state in ('open', 'claimed', 'done')),
  created_by    bigint,
  created_at    timestamptz not null default jiceng_now()
);
create index need_scope_idx on need (grid_code text_pattern_ops, state, id);
create index need_geom_idx on need using gist (geom);

create table resource (
  id            bigint generated always as identity primary key,
  client_id     text not null unique check (client_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  -- the area it is offered to: everyone in it, and everyone above and below it, sees it
  area_code     text not null references area (code) on delete restrict,
  -- who offers it: an organisation (a 楼宇党支部, a 双报到 unit's branch) or a member (在职党员到社区报到)
  org_id        bigint references party_org (id) on delete cascade,
  member_id     bigint references party_member (id) on delete cascade,
  geom          geometry(Point, 4326) not null,
  category      text not null check (category in ('elderly', 'children', 'health', 'legal', 'employment', 'culture', 'environment', 'other')),
  title         text not null check (length(title) between 1 and 100),
  description   text check (length(description) <= 1000),
  active        boolean not null default true,
  created_by    bigint,
  created_at    timestamptz not null default jiceng_now(),
  constraint resource_offered_by_one check ((org_id is null) <> (member_id is null))
);
create index resource_area_idx on resource (area_code text_pattern_ops);
create index resource_geom_idx on resource using gist (geom);

create table project (
  id            bigint generated always as identity primary key,
  need_id       bigint not null references need (id) on delete cascade,
  grid_code     text not null,
  -- the listed resource taken for it, when the community claimed a resource
  resource_id   bigint references resource (id) on delete set null,
  -- 资源认领需求: an organisation or member claimed the need; 需求认领资源: a resource was taken for it
  direction     text not null check (direction in ('claims_need', 'claims_resource')),
  -- the owner: the organisation or member that carries it out
  org_id        bigint references party_org (id) on delete set null,
  member_id     bigint references party_member (id) on delete set null,
  due_on        date not null,
  state         text not null default 'in_progress' check (state in ('in_progress', 'done', 'cancelled')),
  result        text check (length(result) <= 1000),
  created_by    bigint,
  created_at    timestamptz not null default jiceng_now(),
  finished_at   timestamptz,
  constraint project_owned_by_one check ((org_id is null) <> (member_id is null) or state <> 'in_progress'),
  constraint project_result_when_done check (state <> 'done' or (result is not null and length(result) > 0))
);
create index project_scope_idx on project (grid_code text_pattern_ops, state);
-- one live project per need: a second claim of the same need is refused by this key (a cancelled
-- project keeps its row, and the need may be claimed again)
create unique index project_one_per_need on project (need_id) where state <> 'cancelled';

-- a need moved to another grid (its request moved with its household) takes its project along
create function need_request_moved() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  update need set grid_code = new.grid_code where request_id = new.id and grid_code is distinct from new.grid_code;
  update project p set grid_code = new.grid_code from need n
    where n.request_id = new.id and p.need_id = n.id and p.grid_code is distinct from new.grid_code;
  return null;
end $$;
create trigger need_request_moved after update of grid_code on request
  for each row when (new.grid_code is distinct from old.grid_code)
  execute function need_request_moved();

alter table need enable row level security;
alter table project enable row level security;
alter table resource enable row level security;
create policy need_scope on need
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
create policy project_scope on project
  using (grid_code ~>=~ jiceng_scope_lo() and grid_code ~<~ jiceng_scope_hi());
-- below the scope, or the scope's own area or one above it (a community's resources, seen from its grids)
create policy resource_scope on resource
  using ((area_code ~>=~ jiceng_scope_lo() and area_code ~<~ jiceng_scope_hi())
         or (jiceng_scope_lo() <> '' and starts_with(jiceng_scope_lo(), area_code)));
alter table need force row level security;
alter table project force row level security;
alter table resource force row level security;

-- needs and projects are closed, never deleted, by the application
revoke delete, truncate on need, project from jiceng_app;
revoke truncate on resource from jiceng_app;
