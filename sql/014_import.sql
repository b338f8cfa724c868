-- Imports (issue 13): rows that come from a file carry the id they have there, so importing the
-- same file again updates them in place instead of adding copies (areas are keyed by their code
-- already), and mapping profiles are saved by name for the next file of the same shape.

alter table building add column source_id text;
alter table road add column source_id text;
alter table service_centre add column source_id text;
-- e.g. 'osm:123456' (OpenStreetMap way 123456), or '<file>#<feature>' when the file has no ids
create unique index building_source_id_key on building (source_id) where source_id is not null;
create unique index road_source_id_key on road (source_id) where source_id is not null;
create unique index service_centre_source_id_key on service_centre (source_id) where source_id is not null;

-- a field mapping (source attribute → ours, value tables), reusable by name
create table import_profile (
  name       text primary key check (length(name) between 1 and 80),
  layer      text not null check (layer in ('areas', 'buildings', 'roads', 'service_centres')),
  mapping    jsonb not null,
  updated_at timestamptz not null default now(),
  updated_by text
);
