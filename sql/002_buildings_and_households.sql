-- Buildings (楼栋) and the households (户) in them.

create table building (
  id        bigint generated always as identity primary key,
  grid_code text not null references area (code) on delete restrict,
  kind      text not null check (kind in ('residential', 'office', 'commercial', 'school', 'public', 'industrial', 'mixed')),
  name      text,
  address   text not null,
  floors    smallint not null check (floors between 1 and 120),
  height    real not null check (height > 0 and height < 600),
  units     smallint not null default 1 check (units between 1 and 20),
  geom      geometry(MultiPolygon, 4326) not null,
  constraint building_geom_valid check (ST_IsValid(geom))
);
create index building_grid_idx on building (grid_code text_pattern_ops);
create index building_geom_idx on building using gist (geom);

create table household (
  id          bigint generated always as identity primary key,
  building_id bigint not null references building (id) on delete cascade,
  unit        smallint not null check (unit >= 1),
  floor       smallint not null check (floor between -5 and 120),
  room        text not null,
  residents   smallint not null check (residents between 1 and 20),
  unique (building_id, unit, room)
);
create index household_building_idx on household (building_id);
