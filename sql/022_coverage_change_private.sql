-- The coverage change log (sql/021) names households and workplace buildings of party members as
-- they are written: who has a member is a personal detail. The log is the recompute's own input —
-- the system's work, which runs with the whole scope ('*') — so a user's scoped transaction sees
-- none of it, whatever its scope, while any writer may still append to it (the triggers run as the
-- writer). Unset scope reads as the system's: only the system's own connections leave it unset.
alter table coverage_change enable row level security;
alter table coverage_change force row level security;
create policy coverage_change_append on coverage_change for insert with check (true);
create policy coverage_change_system on coverage_change for select
  using (coalesce(jiceng_scope_lo(), '') = '');
create policy coverage_change_spent on coverage_change for delete
  using (coalesce(jiceng_scope_lo(), '') = '');
