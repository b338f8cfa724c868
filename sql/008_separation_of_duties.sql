-- 三员分立 for accounts, by dual control (like a bank's PIN mailer). The system administrator
-- requests an account with a role and an area; it stays pending — no role, no area, no sign-in —
-- until the security administrator approves it (who may change the role or the area). Each of
-- them is shown one half of the first password; only argon2 hashes of the halves are kept. The
-- owner signs in with both halves together and then chooses a password of their own. A disabled
-- account that the system administrator enables again is pending again, its role back in
-- requested_role, until the security administrator approves it once more.
-- (The server's shell operator, `npm run user:add`, and the demo accounts still create active
-- accounts directly.)

alter table account
  add column pending           boolean not null default false,
  -- what the system administrator asked for; kept after approval as the record of the request
  add column requested_role    text check (requested_role in (
                                 'district_admin', 'street_secretary', 'community_secretary', 'grid_leader',
                                 'planner', 'auditor', 'system_admin', 'security_admin')),
  add column requested_area    text,
  -- the system administrator who asked for the account, or for enabling it again
  add column requested_by      bigint references account (id) on delete set null,
  add column approved_by       bigint references account (id) on delete set null,
  add column approved_at       timestamptz,
  -- argon2id hashes of the two halves of the first password (A: shown to the creator, B: to the
  -- approver); both cleared at the owner's first sign-in
  add column activation_hash_a text,
  add column activation_hash_b text;

-- a pending account holds no role and no area at all, so nothing can read one as effective; an
-- account without a password of its own is awaiting its first sign-in with both halves
alter table account
  alter column role drop not null,
  alter column area_code drop not null,
  alter column password_hash drop not null;

alter table account
  add constraint account_pending_has_no_role check (
    case when pending
      then role is null and area_code is null and not can_view_persons
           and requested_role is not null and requested_area is not null
      else role is not null and area_code is not null end),
  add constraint account_has_a_credential check (
    password_hash is not null or activation_hash_a is not null);

create index account_pending_idx on account (pending) where pending;
