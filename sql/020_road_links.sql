-- Road fragment links (issue 13): the straight walking links the coverage engine made between road
-- pieces whose ends lay within the snap distance (src/lib/server/coverage/graph.ts), as computed
-- with the network of the served distances, so the map can flag them. A list on the one run row:
-- [{"from_road", "to_road", "metres", "from": [lon, lat], "to": [lon, lat]}, …]. No personal data.
alter table coverage_run add column road_links jsonb not null default '[]';
