-- Party organisations, members, central households (党员中心户) and building/unit leaders.

create table party_org (
  id               bigint generated always as identity primary key,
  kind             text not null check (kind in (
                     'district_committee',   -- 区委
                     'street_committee',     -- 街道大工委 / 党工委
                     'community_committee',  -- 社区大党委
                     'village_committee',    -- 村党组织
                     'grid_branch',          -- 网格党支部
                     'building_group',       -- 楼栋党小组
                     'office_branch',        -- 楼宇党支部
                     'liaison_station',      -- 党员联络站
                     'park_branch')),        -- 园区党支部
  name             text not null,
  parent_id        bigint references party_org (id) on delete restrict,
  -- what it covers: an area of the hierarchy, a building, or both (a grid branch seated in a building)
  area_code        text references area (code) on delete restrict,
  building_id      bigint references building (id) on delete set null,
  -- the secretary's seat; empty seats are a coverage gap, not an error
  secretary_id     bigint,
  constraint party_org_covers_something check (area_code is not null or building_id is not null),
  constraint party_org_root check ((kind = 'district_committee') = (parent_id is null))
);
create index party_org_parent_idx on party_org (parent_id);
create index party_org_area_idx on party_org (area_code);
create index party_org_building_idx on party_org (building_id);

create table party_member (
  id                    bigint generated always as identity primary key,
  name                  text not null check (length(name) between 1 and 50),
  gender                text not null check (gender in ('male', 'female')),
  birth_year            smallint not null check (birth_year between 1900 and 2010),
  phone                 text check (phone ~ '^[0-9]{11}$'),
  status                text not null check (status in ('formal', 'probationary')),  -- 正式 / 预备
  joined_on             date not null,
  org_id                bigint not null references party_org (id) on delete restrict,
  household_id          bigint references household (id) on delete set null,
  workplace_building_id bigint references building (id) on delete set null,
  reported_to_community boolean not null default false,  -- 在职党员到社区报到
  mobile                boolean not null default false   -- 流动党员
);
create index party_member_org_idx on party_member (org_id);
create index party_member_household_idx on party_member (household_id);
create index party_member_workplace_idx on party_member (workplace_building_id);

alter table party_org add constraint party_org_secretary_fk
  foreign key (secretary_id) references party_member (id) on delete set null deferrable initially deferred;

-- 党员中心户: a member's household that looks after its neighbours
create table central_household (
  household_id bigint primary key references household (id) on delete cascade,
  member_id    bigint not null references party_member (id) on delete cascade
);
create table central_household_link (
  central_household_id bigint not null references central_household (household_id) on delete cascade,
  household_id         bigint not null references household (id) on delete cascade,
  primary key (central_household_id, household_id),
  constraint central_household_link_not_self check (central_household_id <> household_id)
);
create index central_household_link_household_idx on central_household_link (household_id);

-- 楼栋长 / 单元长: a resident (often, not always, a member) responsible for a building or a unit
create table building_leader (
  id          bigint generated always as identity primary key,
  role        text not null check (role in ('building', 'unit')),
  building_id bigint not null references building (id) on delete cascade,
  unit        smallint check (unit >= 1),
  name        text not null,
  phone       text check (phone ~ '^[0-9]{11}$'),
  member_id   bigint references party_member (id) on delete set null,
  constraint building_leader_unit_by_role check ((role = 'unit') = (unit is not null))
);
create unique index building_leader_seat_idx on building_leader (building_id, coalesce(unit, 0));
