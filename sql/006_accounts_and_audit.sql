-- Accounts bound to one node of the hierarchy, sessions, kiosk tokens for the big screen, and an
-- append-only, hash-chained audit trail (PIPL; MLPS 2.0 level 3: 三员分立 — the system, security
-- and audit administrators are separate roles).

create table account (
  id                   bigint generated always as identity primary key,
  username             text not null unique check (username ~ '^[a-z0-9_.-]{3,40}$'),
  display_name         text not null check (length(display_name) between 1 and 50),
  role                 text not null check (role in (
                         'district_admin', 'street_secretary', 'community_secretary', 'grid_leader',
                         'planner', 'auditor', 'system_admin', 'security_admin')),
  -- the node of the hierarchy the account sees: its subtree and nothing else
  area_code            text not null,
  password_hash        text not null,
  must_change_password boolean not null default true,
  password_changed_at  timestamptz not null default now(),
  failed_logins        smallint not null default 0,
  locked_until         timestamptz,
  -- planners see counts, not persons, unless granted
  can_view_persons     boolean not null default false,
  demo                 boolean not null default false,
  disabled_at          timestamptz,
  created_at           timestamptz not null default now()
);

create table session (
  token_hash   text primary key,          -- sha256 of the 256-bit token; the token is never stored
  account_id   bigint not null references account (id) on delete cascade,
  created_at   timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at   timestamptz not null,      -- absolute lifetime
  client_addr  text
);
create index session_account_idx on session (account_id);

-- the command centre's wall display: a long random token bound to one screen and one area
create table display_screen (
  id           bigint generated always as identity primary key,
  name         text not null,
  area_code    text not null,
  token_hash   text not null unique,
  created_by   bigint references account (id) on delete set null,
  created_at   timestamptz not null default now(),
  last_seen_at timestamptz,
  revoked_at   timestamptz
);

create table audit_log (
  id          bigint generated always as identity primary key,
  seq         bigint not null unique,      -- chain order, assigned under a lock
  at          timestamptz not null default now(),
  account_id  bigint,                      -- no foreign key: the trail outlives accounts
  username    text,
  role        text,
  action      text not null check (action in (
                'login', 'failed_login', 'logout', 'account_locked', 'password_change', 'view_person',
                'export', 'import', 'edit', 'permission_change', 'kiosk_access')),
  object      text,
  result      text not null check (result in ('ok', 'denied', 'error')),
  client_addr text,
  prev_hash   text not null,
  hash        text not null
);
create index audit_log_at_idx on audit_log (at);
create index audit_log_account_idx on audit_log (account_id);

create function audit_log_chain() returns trigger language plpgsql as $$
declare prev record;
begin
  perform pg_advisory_xact_lock(hashtext('audit_log_chain'));
  select seq, hash into prev from audit_log order by seq desc limit 1;
  new.seq := coalesce(prev.seq, 0) + 1;
  new.at := now();
  new.prev_hash := coalesce(prev.hash, repeat('0', 64));
  new.hash := encode(sha256(convert_to(concat_ws('|', new.prev_hash, new.seq,
    to_char(new.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), new.account_id, new.username, new.role,
    new.action, new.object, new.result, new.client_addr), 'UTF8')), 'hex');
  return new;
end $$;
create trigger audit_log_chain before insert on audit_log for each row execute function audit_log_chain();

-- append-only: no update ever; delete only through purge_audit_log, and never younger than 184 days
create function audit_log_refuse() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and current_setting('jiceng.audit_purge', true) = 'on'
     and old.at < now() - interval '184 days' then
    return old;
  end if;
  raise exception 'audit_log is append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_log_refuse();
create function audit_log_refuse_truncate() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only (TRUNCATE refused)' using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_refuse_truncate();

create function purge_audit_log(older_than interval) returns bigint language plpgsql as $$
declare n bigint;
begin
  if older_than < interval '184 days' then
    raise exception 'audit rows younger than 184 days are kept (asked to purge older than %)', older_than;
  end if;
  perform set_config('jiceng.audit_purge', 'on', true);
  delete from audit_log where at < now() - older_than;
  get diagnostics n = row_count;
  perform set_config('jiceng.audit_purge', 'off', true);
  return n;
end $$;

-- Row-level security. The scope of a transaction is set by the app from the session, per
-- transaction: set_config('jiceng.scope', <area code>, true); '*' is the system's own work
-- (seeding, recomputing statistics). No scope: no rows.

-- The LIKE pattern of the transaction's scope ('%' for the system, null — no rows — when unset).
-- Policies below use uncorrelated IN (subquery) forms, which PostgreSQL hashes once per query
-- instead of running a lookup per row.
create function jiceng_scope_pattern() returns text language sql stable as $$
  select case coalesce(current_setting('jiceng.scope', true), '')
    when '' then null
    when '*' then '%'
    else current_setting('jiceng.scope', true) || '%' end
$$;

alter table household enable row level security;
alter table household force row level security;
create policy household_scope on household using (
  building_id in (select b.id from building b where b.grid_code like jiceng_scope_pattern()));

alter table party_member enable row level security;
alter table party_member force row level security;
-- a member belongs where they live; a member with no household (流动党员) where their organisation is
-- (household's own policy applies inside the subquery)
create policy party_member_scope on party_member using (
  household_id in (select h.id from household h)
  or (household_id is null and org_id in (
    select o.id from party_org o left join building b on b.id = o.building_id
    where coalesce(o.area_code, b.grid_code) like jiceng_scope_pattern())));

alter table central_household enable row level security;
alter table central_household force row level security;
create policy central_household_scope on central_household using (household_id in (select h.id from household h));

alter table central_household_link enable row level security;
alter table central_household_link force row level security;
create policy central_household_link_scope on central_household_link using (household_id in (select h.id from household h));

alter table building_leader enable row level security;
alter table building_leader force row level security;
create policy building_leader_scope on building_leader using (
  building_id in (select b.id from building b where b.grid_code like jiceng_scope_pattern()));

-- the application's role: neither owner nor superuser nor BYPASSRLS (server PostGIS connects
-- as a login in this role, or SET ROLEs to it; see README)
do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'jiceng_app') then
    create role jiceng_app nologin nosuperuser nobypassrls;
  end if;
end $$;
grant usage on schema public to jiceng_app;
grant select, insert, update, delete on all tables in schema public to jiceng_app;
grant usage, select on all sequences in schema public to jiceng_app;
revoke update, delete, truncate on audit_log from jiceng_app;
revoke insert, update, delete, truncate on schema_migration from jiceng_app;
alter default privileges in schema public grant select, insert, update, delete on tables to jiceng_app;
alter default privileges in schema public grant usage, select on sequences to jiceng_app;
