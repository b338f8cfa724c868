-- Party-mass service centres (党群服务中心) and convenience stations (便民服务站),
-- the demo dataset's provenance, and the data version every cache keys on.

create table service_centre (
  id            bigint generated always as identity primary key,
  level         text not null check (level in ('district', 'street', 'community', 'station')),
  name          text not null,
  area_code     text not null references area (code) on delete restrict,
  building_id   bigint references building (id) on delete set null,
  services      text[] not null default '{}',
  opening_hours text not null default '',
  geom          geometry(Point, 4326) not null
);
create index service_centre_area_idx on service_centre (area_code);
create index service_centre_geom_idx on service_centre using gist (geom);

create table dataset (
  id          smallint primary key default 1 check (id = 1),
  scale       text not null,
  seed        integer not null,
  loaded_at   timestamptz not null default now(),
  seconds     real not null,
  counts      jsonb not null
);

-- One counter, bumped by every statement that writes data: caches compare it, never guess.
create table data_version (
  id      smallint primary key default 1 check (id = 1),
  version bigint not null
);
insert into data_version (id, version) values (1, 1);

create function bump_data_version() returns trigger language plpgsql as $$
begin
  update data_version set version = version + 1 where id = 1;
  return null;
end $$;

do $$
declare t text;
begin
  foreach t in array array['area', 'road', 'building', 'household', 'party_org', 'party_member',
                           'central_household', 'central_household_link', 'building_leader', 'service_centre']
  loop
    execute format('create trigger %I after insert or update or delete or truncate on %I
                    for each statement execute function bump_data_version()', t || '_bump_version', t);
  end loop;
end $$;
