-- The area hierarchy (district › street › community/village › grid) and the road network.
-- All geometry is lon/lat in SRID 4326 (CGCS2000-compatible at this precision).

create extension if not exists postgis;

create table area (
  code        text primary key,
  level       text not null check (level in ('district', 'street', 'community', 'grid')),
  -- only communities have a kind: 社区 (urban) or 村 (village)
  kind        text check (kind in ('community', 'village')),
  name        text not null check (length(name) between 1 and 100),
  parent_code text references area (code) on delete restrict,
  geom        geometry(MultiPolygon, 4326) not null,
  constraint area_geom_valid check (ST_IsValid(geom)),
  constraint area_kind_only_community check ((level = 'community') = (kind is not null)),
  constraint area_parent_by_level check ((level = 'district') = (parent_code is null)),
  -- hierarchical code: 6-digit district, then 3 digits per level
  constraint area_code_shape check (
    code ~ '^[0-9]+$' and length(code) = case level
      when 'district' then 6 when 'street' then 9 when 'community' then 12 else 15 end),
  constraint area_code_under_parent check (parent_code is null or left(code, length(parent_code)) = parent_code)
);
create index area_parent_idx on area (parent_code);
create index area_level_idx on area (level);
create index area_geom_idx on area using gist (geom);

create table road (
  id    bigint generated always as identity primary key,
  class text not null check (class in ('arterial', 'secondary', 'local', 'footway')),
  name  text,
  geom  geometry(LineString, 4326) not null,
  constraint road_geom_valid check (ST_IsValid(geom) and ST_NPoints(geom) >= 2)
);
create index road_geom_idx on road using gist (geom);
