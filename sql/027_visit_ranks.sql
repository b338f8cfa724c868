-- The ranks after a visit follow in the background (issue 14: grid leaders' writes under load).
--
-- A visit that moved the visit figures ranked every area and organisation of the district again in
-- its own transaction, holding the lock every such visit takes (coverage/visits.ts): at Chaoyang
-- 100 ms of ranking each, so visits queued for that lock on their pooled connections (up to 0.9 s
-- each under bench:load) and every other request waited for a connection. Now a visit writes its
-- areas' counts, scores and index, and its organisations' scores and index, at once (a handful of
-- rows); the ranks of areas and organisations are ranked again by the next read's background work
-- (coverage/engine.ts), moments later.
--
-- visit_rank_state.roll: the visit roll (visit_roll_seq, sql/023) up to which the served ranks
-- follow the visits. A roll beyond it (a visit's change logged since) asks for a ranking; the
-- ranking and a recount set it, under the visit-count lock, so no visit's change falls between.

create table visit_rank_state (
  id   integer primary key default 1 check (id = 1),
  roll bigint not null
);
insert into visit_rank_state (id, roll)
  select 1, case when is_called then last_value else 0 end from visit_roll_seq;
grant select, update on visit_rank_state to jiceng_app;
