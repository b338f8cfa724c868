-- Time limits for the application's role (issue 8: one request must not hold the database):
-- no statement of the web server runs longer than 30 s, and no transaction it leaves open idles
-- longer than a minute (the coverage recompute, which computes in memory inside its transaction,
-- raises both for itself: src/lib/server/coverage/store.ts).
--
-- Set for this database only (ALTER ROLE … IN DATABASE): roles are cluster-wide, and a
-- cluster-wide setting would be rewritten by every database migrating on the same cluster at
-- once. PostgreSQL applies role settings when a session logs in as jiceng_app; a login that
-- steps down with SET ROLE does not get them, so the app's pool applies the same settings itself
-- after the step-down (src/lib/server/db/open.ts reads them from here). Tune them with ALTER ROLE
-- jiceng_app IN DATABASE … SET …; the pool follows.
--
-- Embedded (PGlite): the statements are accepted and stored; the single in-process session never
-- logs in as jiceng_app and PGlite has no statement timer, so they have no effect there.
do $$
begin
  execute format('alter role jiceng_app in database %I set statement_timeout = %L', current_database(), '30s');
  execute format('alter role jiceng_app in database %I set idle_in_transaction_session_timeout = %L', current_database(), '60s');
end $$;
