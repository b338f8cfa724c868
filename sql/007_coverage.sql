-- Coverage results (issue 5): service coverage by walking distance, organisation and work gaps,
-- blind spots and the coverage index, computed by src/lib/server/coverage/ and stamped with the
-- data_version they were computed from. Derived data: no foreign keys (a stale row is replaced at
-- the next recompute, which ensureCoverage runs whenever data_version has moved) and no
-- bump_data_version triggers (writing results is not a change of data).
-- Every table carries an area code, so each query filters by the caller's area-code prefix.

-- the one run the stored results come from
create table coverage_run (
  id           smallint primary key default 1 check (id = 1),
  data_version bigint not null,
  computed_at  timestamptz not null default now(),
  -- walking speed (m/min), the three circles (m), the reach band (m)
  params       jsonb not null,
  seconds      real not null,
  counts       jsonb not null default '{}'
);

-- per building: the nearest centre of each level by walking distance (metres; null: none reachable)
create table building_coverage (
  building_id        bigint primary key,
  grid_code          text not null,
  households         integer not null,
  access_m           real,              -- straight walk from the building to its nearest road point
  any_centre_id      bigint,
  any_m              real,
  district_centre_id bigint,
  district_m         real,
  street_centre_id   bigint,
  street_m           real,
  community_centre_id bigint,
  community_m        real,
  station_centre_id  bigint,
  station_m          real,
  -- 1, 2, 3: the smallest living circle (5, 10, 15 minutes) the nearest centre lies in; 0: none
  circle             smallint not null
);
create index building_coverage_grid_idx on building_coverage (grid_code text_pattern_ops);

-- per area (district, street, community, grid): the figures of the three coverages and the index
create table area_coverage (
  code                     text primary key,
  level                    text not null,
  households               integer not null,
  hh_5min                  integer not null,  -- households whose nearest centre is within the 5-minute circle
  hh_10min                 integer not null,
  hh_15min                 integer not null,
  hh_cared                 integer not null,  -- households a central household or building leader looks after
  grids                    integer not null,
  grids_with_branch        integer not null,
  member_buildings         integer not null,
  member_buildings_covered integer not null,
  key_buildings            integer not null,  -- office, commercial (商圈) and park buildings
  key_buildings_covered    integer not null,
  orgs                     integer not null,
  orgs_with_secretary      integer not null,
  blind_spots              integer not null,
  hh_in_blind_spots        integer not null,
  service_score            real,              -- 0..1, null when there is nothing to score
  organisation_score       real,
  work_score               real,
  coverage_index           real,              -- 0..100 (src/lib/server/coverage/ranking.ts)
  rank                     integer,           -- 1 = best, among areas of the same level
  rank_of                  integer,
  rectify                  boolean not null default false  -- bottom of the ranking: 排名靠后, to rectify
);
create index area_coverage_level_idx on area_coverage (level, rank);

-- per organisation: its coverage index among organisations of the same kind
create table org_coverage (
  org_id             bigint primary key,
  kind               text not null,
  area_code          text not null,         -- its area, or its building's grid
  service_score      real,
  organisation_score real,
  work_score         real,
  coverage_index     real,
  rank               integer,
  rank_of            integer,
  rectify            boolean not null default false
);
create index org_coverage_area_idx on org_coverage (area_code text_pattern_ops);
create index org_coverage_kind_idx on org_coverage (kind, rank);

-- the part of the network within each circle of each centre, as a band around it
create table reach_area (
  centre_id   bigint not null,
  circle      smallint not null,            -- 1, 2, 3
  threshold_m real not null,
  level       text not null,
  area_code   text not null,
  geom        geometry(MultiPolygon, 4326) not null,
  primary key (centre_id, circle)
);
create index reach_area_geom_idx on reach_area using gist (geom);
create index reach_area_area_idx on reach_area (area_code text_pattern_ops);

-- one row per object at fault per rule (src/lib/server/coverage/gaps.ts)
create table coverage_gap (
  rule        text not null,
  object_id   text not null,
  area_code   text not null,
  households  integer not null,
  detail      jsonb not null default '{}',
  primary key (rule, object_id)
);
create index coverage_gap_area_idx on coverage_gap (area_code text_pattern_ops);

-- uncovered buildings grouped, within each grid, into areas (src/lib/server/coverage/blind-spots.ts)
create table blind_spot (
  id             integer primary key,
  grid_code      text not null,
  households     integer not null,          -- households affected by at least one gap
  buildings      integer not null,
  gap_kinds      text[] not null,           -- service, organisation, work
  gap_rules      text[] not null,
  building_ids   bigint[] not null,
  geom           geometry(MultiPolygon, 4326) not null
);
create index blind_spot_grid_idx on blind_spot (grid_code text_pattern_ops);
create index blind_spot_geom_idx on blind_spot using gist (geom);
