-- Daily snapshots (issue 12): each area's figures as they stood on a day, for the big screen's
-- 30-day trends and the planner map's time slider. Filled by the server once a day (and on
-- demand); a day taken twice keeps the later figures. Holds aggregates only — counts, shares, the
-- coverage index — and, for the replay, blind spots as hull and household count (no building or
-- person ids). Writing a snapshot is the system's own bookkeeping: it does not bump data_version.

create table area_snapshot (
  day          date not null,
  code         text not null,
  level        text not null check (level in ('district', 'street', 'community', 'grid')),
  -- area_stats and area_coverage as they were: counts, shares, scores, index, rank
  figures      jsonb not null,
  data_version bigint not null,
  taken_at     timestamptz not null default now(),
  primary key (day, code)
);
create index area_snapshot_code_day_idx on area_snapshot (code text_pattern_ops, day);

create table blind_spot_snapshot (
  day          date not null,
  grid_code    text not null,
  seq          int not null,
  households   int not null,
  buildings    int not null,
  geom         geometry(Geometry, 4326) not null,
  primary key (day, grid_code, seq)
);
create index blind_spot_snapshot_day_idx on blind_spot_snapshot (day, grid_code text_pattern_ops);

-- how long the big screen's auto-tour dwells on each stop, per screen (set by the security admin)
alter table display_screen add column tour_interval_s int not null default 20
  check (tour_interval_s between 5 and 600);
