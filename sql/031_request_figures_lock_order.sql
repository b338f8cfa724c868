-- Request figures (sql/029): a request moving to another grid (its household moved) takes the two
-- grids' figure rows in code order, whichever way it moves.
--
-- sql/029's trigger took the old grid's row first, then the new one's: two moves at once in opposite
-- directions (a household from A to B, another from B to A) could each hold one row and wait for the
-- other, and PostgreSQL aborted one of them (deadlock detected). Every writer now takes them lowest
-- code first, so one waits for the other instead.

create or replace function request_grid_figures_write() returns trigger language plpgsql security definer
  set search_path = public, pg_temp set jiceng.scope = '*' as $$
begin
  if tg_op = 'UPDATE' and new.grid_code < old.grid_code then
    perform request_grid_figures_add(new.grid_code, 1, new.created_at, new.accepted_at, new.resolved_at);
    perform request_grid_figures_add(old.grid_code, -1, old.created_at, old.accepted_at, old.resolved_at);
    return null;
  end if;
  if tg_op in ('UPDATE', 'DELETE') then
    perform request_grid_figures_add(old.grid_code, -1, old.created_at, old.accepted_at, old.resolved_at);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform request_grid_figures_add(new.grid_code, 1, new.created_at, new.accepted_at, new.resolved_at);
  end if;
  return null;
end $$;
