// bench:coverage's freshness part (bench/coverage.ts): how soon the coverage panel shows a write,
// and how long any read waits meanwhile — measured on the built app as deployed (app-server.ts:
// server PostGIS, the app role, row-level security on) over HTTP, with a real session of a
// district admin signed in through POST /login. Only the public HTTP API is read, so it measures
// any coverage engine, whether reads wait for a recompute or answer from the last results.
//
// The writes, as the owner on a separate pg connection (the data_version triggers bump the version):
//   centre  a convenience station (便民服务站) on the building, far from every centre, with the
//           most households: the households within the 5-minute circle go up (distances move);
//   member  a party member in a household of a building with two members and no organisation of
//           its own: the building joins "3+ members, no group" (organisation figures move).
// Each is undone after it is measured (the dataset stays as seeded); the undo is timed too (stderr).
//
// fresh_after_write_ms (centre) / fresh_after_member_write_ms: from the write's commit until
// GET /api/coverage/area/<district> — the JSON the panel reads — reflects it: polled with 50 ms
// between answers; fresh when the answer's computed_version (or, before it existed, run.data_version)
// reaches the write's data version, or, if it carries neither, when its figures change. Capped
// (BENCH_FRESH_CAP_S, default 180 s; the cap is reported). Median of BENCH_FRESH_REPS (3).
//
// max_blocked_ms: right after a write (and again after its undo), BENCH_READ_CLIENTS (4) clients
// read in a loop — area summary /api/areas/<code>/summary, coverage area JSON, map tiles (coverage
// and data layers, z12–z15), a what-if POST — until the panel's poller sees fresh figures; the
// longest latency of any of those reads or of the poller's, and every status that is not 2xx/3xx
// (read_errors; a failed connection or a timeout counts too). Goal < 1000 ms. The same read loop on
// settled data (no recompute) gives idle_read_max_ms for comparison.
import pg from 'pg';
import { openDb } from '../../src/lib/server/db/open.ts';
import { appLogin, appRoleCheck, SEED } from './bench-postgis.ts';
import { startApp, signIn } from './app-server.ts';
import { benchAccount } from './accounts.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const REPS = Number(process.env.BENCH_FRESH_REPS ?? 3);
const CAP_MS = Number(process.env.BENCH_FRESH_CAP_S ?? 180) * 1000;
const CLIENTS = Number(process.env.BENCH_READ_CLIENTS ?? 4);
const WRITES = (process.env.BENCH_FRESH_WRITES ?? 'centre,member').split(',').filter(Boolean) as WriteKind[];
for (const w of WRITES) if (w !== 'centre' && w !== 'member') throw new Error(`BENCH_FRESH_WRITES: unknown write "${w}" (centre, member)`);
const POLL_GAP_MS = 50;
const IDLE_MS = 8000;
const BLOCK_GOAL_MS = 1000;
const PASSWORD = 'Bench-Coverage-2026!';
const USERNAME = 'bench-coverage-district-admin';
/** what the bench's writes are called, so a run that died half-way is cleaned up by the next */
const MARK = 'bench-coverage';

type WriteKind = 'centre' | 'member';
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f0 = (v: number) => v.toFixed(0);

function tileOf(lon: number, lat: number, z: number) {
	const n = 2 ** z;
	const r = (lat * Math.PI) / 180;
	return { x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

interface Read {
	kind: 'summary' | 'coverage' | 'tile' | 'whatif' | 'poll';
	path: string;
	body?: unknown;
}
/** the parts of a coverage answer the freshness check reads */
interface PanelBody {
	computed_version?: number | string | null;
	run?: { data_version?: number | string | null };
	area?: unknown;
	gaps?: unknown;
	updating?: boolean;
}
interface Sample {
	read: Read;
	ms: number;
	status: number;
	error?: string;
	json?: PanelBody;
}

// ---------------------------------------------------------------- the client
function client(origin: string, cookie: string) {
	return async (read: Read, opts: { json?: boolean } = {}): Promise<Sample> => {
		const started = performance.now();
		try {
			const r = await fetch(`${origin}${read.path}`, {
				method: read.body === undefined ? 'GET' : 'POST',
				redirect: 'manual',
				headers: { cookie, origin, accept: 'application/json', ...(read.body === undefined ? {} : { 'content-type': 'application/json' }) },
				body: read.body === undefined ? undefined : JSON.stringify(read.body),
				signal: AbortSignal.timeout(CAP_MS + 60_000)
			});
			const text = await r.text();
			const ms = performance.now() - started;
			let json: PanelBody | undefined;
			if (opts.json && r.status === 200) json = JSON.parse(text) as PanelBody;
			return { read, ms, status: r.status, json, error: r.status >= 400 ? text.slice(0, 200) : undefined };
		} catch (e) {
			return { read, ms: performance.now() - started, status: 0, error: (e as Error).message };
		}
	};
}
const failed = (s: Sample) => s.status === 0 || s.status >= 400;

/** the version the answer's figures reflect: computed_version, or the older answers' run.data_version */
function versionOf(body: PanelBody | undefined): number | null {
	const v = body?.computed_version ?? body?.run?.data_version;
	return v === undefined || v === null ? null : Number(v);
}
/** the figures the panel shows (not the version stamps) */
const figuresOf = (body: PanelBody | undefined) => JSON.stringify({ area: body?.area, gaps: body?.gaps });

// ---------------------------------------------------------------- one dataset
export async function benchFreshness(ownerUrl: string, scale: string, build: string): Promise<Record<string, unknown>> {
	const owner = await openDb({ backend: 'server', url: ownerUrl, poolSize: 1 });
	// the writes: the owner, on a connection of their own
	const writer = new pg.Client({ connectionString: ownerUrl });
	await writer.connect();
	const q = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => (await writer.query(text, params)).rows as T[];
	const dataVersion = async () => Number((await q<{ v: string }>('select version as v from data_version where id = 1'))[0].v);
	// a statement bumps data_version even when it writes no row (statement triggers): delete only what is there
	const cleanUp = async () => {
		const [{ m, c }] = await q<{ m: number; c: number }>(
			`select (select count(*) from party_member where name = $1)::int as m,
			(select count(*) from service_centre where name = $1)::int as c`,
			[MARK]
		);
		if (m) await q(`delete from party_member where name = $1`, [MARK]);
		if (c) await q(`delete from service_centre where name = $1`, [MARK]);
		if (m || c) log(`[bench] ${scale}: removed ${m} member(s) and ${c} centre(s) a previous run left behind`);
	};
	let app: Awaited<ReturnType<typeof startApp>> | null = null;
	try {
		await cleanUp();
		const [{ code: district }] = await q<{ code: string }>(`select code from area where level = 'district' order by code limit 1`);
		const pick = async (level: string) =>
			(await q<{ code: string }>(`select code from area where level = $1 order by md5($2 || code) limit 1`, [level, String(SEED)]))[0].code;
		const street = await pick('street');
		const community = await pick('community');

		// where the writes go
		// a building with households far from every centre (straight line: a lower bound of the walk),
		// next to a road, so that a station there puts its households within 5 minutes
		const centreSites = await q<{ id: string; community: string; households: number; far_m: number }>(`
			with b as (
				select b.id, b.grid_code, b.geom, h.n,
				       (select ST_Distance(b.geom::geography, c.geom::geography) from service_centre c order by c.geom <-> b.geom limit 1) as far_m
				from building b join (select building_id, count(*)::int as n from household group by 1) h on h.building_id = b.id
			), far as (
				select * from b order by least(far_m, 1200) desc, n desc, id limit 200
			)
			select id, left(grid_code, 12) as community, n as households, far_m from far
			where (select ST_Distance(r.geom::geography, far.geom::geography) from road r order by r.geom <-> far.geom limit 1) < 60
			order by least(far_m, 1200) desc, n desc, id limit ${REPS}`);
		const memberSites = await q<{ household_id: string; org_id: string; building_id: string }>(
			`
			with living as (
				select h.building_id, count(*) as n, min(m.org_id) as org_id from party_member m join household h on h.id = m.household_id group by 1
			), working as (
				select workplace_building_id as building_id, count(*) as n from party_member where workplace_building_id is not null group by 1
			)
			select (select min(h.id) from household h where h.building_id = b.id) as household_id, l.org_id, b.id as building_id
			from building b join living l on l.building_id = b.id left join working w on w.building_id = b.id
			where l.n + coalesce(w.n, 0) = 2 and not exists (select 1 from party_org o where o.building_id = b.id)
			order by md5($1 || b.id::text) limit ${REPS}`,
			[String(SEED)]
		);
		if (centreSites.length < REPS || memberSites.length < REPS)
			throw new Error(`${scale}: not enough sites for the writes (${centreSites.length} centre, ${memberSites.length} member)`);
		log(
			`[bench] ${scale}: centre sites: ${centreSites.map((s) => `building ${s.id} (${s.households} households, nearest centre ${f0(s.far_m)} m)`).join(', ')}`
		);

		// the reads: summaries and coverage of the district, a street, a community; tiles over
		// buildings by a seeded hash; what-if stations at them
		const places = await q<{ lon: number; lat: number }>(
			`
			select ST_X(ST_Centroid(geom)) as lon, ST_Y(ST_Centroid(geom)) as lat from building order by md5($1 || id::text) limit 6`,
			[String(SEED)]
		);
		const tiles: Read[] = [];
		for (const { lon, lat } of places) {
			for (const [layer, z] of [
				['coverage_community', 12],
				['coverage_grid', 13],
				['gaps', 14],
				['buildings', 15],
				['members', 14],
				['service_centres', 13]
			] as const) {
				const { x, y } = tileOf(lon, lat, z);
				tiles.push({ kind: 'tile', path: `/tiles/${layer}/${z}/${x}/${y}.mvt` });
			}
		}
		const areas = [district, street, community];
		const mix: Read[] = [];
		for (let i = 0; i < tiles.length; i++) {
			mix.push(tiles[i]);
			if (i % 3 === 0) mix.push({ kind: 'summary', path: `/api/areas/${areas[(i / 3) % 3]}/summary` });
			if (i % 3 === 1) mix.push({ kind: 'coverage', path: `/api/coverage/area/${areas[((i - 1) / 3) % 3]}` });
			if (i % 6 === 2)
				mix.push({
					kind: 'whatif',
					path: '/api/coverage/whatif',
					body: { lon: places[Math.floor(i / 6) % places.length].lon, lat: places[Math.floor(i / 6) % places.length].lat }
				});
		}

		// the app as deployed, and a district admin's session
		await benchAccount(owner, { username: USERNAME, role: 'district_admin', area: district, password: PASSWORD });
		const appUrl = await appLogin(ownerUrl);
		const check = await appRoleCheck(appUrl);
		log(
			`[bench] ${scale}: the app logs in as ${check.session_user} and runs as ${check.current_user} (superuser ${check.superuser}, bypassrls ${check.bypassrls})`
		);
		app = await startApp(appUrl, { build });
		const cookie = await signIn(app.origin, USERNAME, PASSWORD);
		const read = client(app.origin, cookie);
		const panel: Read = { kind: 'poll', path: `/api/coverage/area/${district}` };

		/**
		 * Polls the panel's JSON until it reflects `target` (see versionOf; without a version: its
		 * figures differ from `before`), from `t0` on, capped. Every poll's latency is kept.
		 */
		const awaitFresh = async (target: number, before: string | null, t0: number, polls: Sample[] = []) => {
			for (;;) {
				const s = await read(panel, { json: true });
				polls.push(s);
				const now = performance.now();
				if (s.status === 200) {
					const v = versionOf(s.json);
					const changed = before !== null && figuresOf(s.json) !== before;
					if (v !== null ? v >= target : changed) return { ms: now - t0, capped: false, changed, body: s.json, polls };
				}
				if (now - t0 > CAP_MS) return { ms: CAP_MS, capped: true, changed: false, body: s.json, polls };
				await sleep(POLL_GAP_MS);
			}
		};
		const current = async () => {
			const s = await read(panel, { json: true });
			if (s.status !== 200) throw new Error(`${panel.path} → ${s.status} ${s.error ?? ''}`);
			return s.json;
		};

		// settled: the results reflect every write so far (the app may be computing them at start-up)
		const settle = async (what: string) => {
			const t0 = performance.now();
			const target = await dataVersion();
			const r = await awaitFresh(target, null, t0);
			if (r.capped) throw new Error(`${scale}: the coverage never caught up with data version ${target} (${what})`);
			return r.ms;
		};
		log(`[bench] ${scale}: results settled in ${f0(await settle('start'))} ms`);

		// the writes and their undo; each returns the data version it made
		type Undo = () => Promise<number>;
		const tx = async (text: string, params: unknown[]): Promise<{ id: string; version: number }> => {
			await q('begin');
			try {
				const [{ id }] = await q<{ id: string }>(text, params);
				const version = await dataVersion();
				await q('commit');
				return { id, version };
			} catch (e) {
				await q('rollback');
				throw e;
			}
		};
		const write = async (kind: WriteKind, rep: number): Promise<{ version: number; undo: Undo; what: string }> => {
			if (kind === 'centre') {
				const s = centreSites[rep % centreSites.length];
				const { id, version } = await tx(
					`
					insert into service_centre (level, name, area_code, building_id, services, geom)
					select 'station', $2, $3, b.id, '{}', ST_PointOnSurface(b.geom) from building b where b.id = $1 returning id`,
					[s.id, MARK, s.community]
				);
				return {
					version,
					what: `station ${id} on building ${s.id}`,
					undo: async () => (await tx(`delete from service_centre where id = $1 returning id`, [id])).version
				};
			}
			const s = memberSites[rep % memberSites.length];
			const { id, version } = await tx(
				`
				insert into party_member (name, gender, birth_year, status, joined_on, org_id, household_id)
				values ($1, 'female', 1980, 'formal', date '2020-07-01', $2, $3) returning id`,
				[MARK, s.org_id, s.household_id]
			);
			return {
				version,
				what: `member ${id} in household ${s.household_id} (building ${s.building_id})`,
				undo: async () => (await tx(`delete from party_member where id = $1 returning id`, [id])).version
			};
		};

		// ---------------------------------------------------------------- freshness
		const fresh: Record<WriteKind, number[]> = { centre: [], member: [] };
		let capped = false;
		const pollMax: number[] = [];
		for (const kind of WRITES) {
			for (let rep = 0; rep < REPS; rep++) {
				const before = figuresOf(await current());
				const w = await write(kind, rep);
				const t0 = performance.now();
				const r = await awaitFresh(w.version, before, t0);
				const slowest = Math.max(...r.polls.map((p) => p.ms));
				pollMax.push(slowest);
				capped ||= r.capped;
				fresh[kind].push(r.ms);
				log(
					`[bench] ${scale}: ${kind} write ${rep + 1}/${REPS} (${w.what}, data version ${w.version}): ${r.capped ? `NOT fresh within the cap, ${f0(CAP_MS)} ms` : `fresh after ${f0(r.ms)} ms`}; ${r.polls.length} polls, slowest ${f0(slowest)} ms, ${r.polls.filter(failed).length} failed${r.polls.some((p) => p.json?.updating) ? ', answers said updating' : ''}${r.capped || r.changed ? '' : '; WARNING: the figures did not change'}`
				);
				const u0 = performance.now();
				const uv = await w.undo();
				const u = await awaitFresh(uv, null, u0);
				log(`[bench] ${scale}: ${kind} undo ${rep + 1}/${REPS} (data version ${uv}): ${u.capped ? 'NOT fresh within the cap' : `fresh after ${f0(u.ms)} ms`}`);
				if (u.capped) await settle('after an undo');
			}
		}

		// ---------------------------------------------------------------- reads during a recompute
		/** CLIENTS clients read `mix` round and round (each from its own place) until stop() */
		const stream = () => {
			let stopped = false;
			const samples: Sample[] = [];
			const done = Promise.all(
				Array.from({ length: CLIENTS }, async (_, c) => {
					for (let i = Math.floor((c * mix.length) / CLIENTS); !stopped; i++) samples.push(await read(mix[i % mix.length]));
				})
			);
			return { samples, stop: async () => ((stopped = true), await done, samples) };
		};
		const summarise = (samples: Sample[]) => {
			const by = new Map<string, number[]>();
			for (const s of samples) by.set(s.read.kind, [...(by.get(s.read.kind) ?? []), s.ms]);
			return [...by].map(([k, ms]) => `${k} ${ms.length}× max ${f0(Math.max(...ms))}`).join(', ');
		};

		await settle('before the idle reads');
		const idle = stream();
		await sleep(IDLE_MS);
		const idleSamples = await idle.stop();
		const idleMax = Math.max(...idleSamples.map((s) => s.ms));
		log(
			`[bench] ${scale}: idle reads (no recompute), ${CLIENTS} clients for ${IDLE_MS / 1000} s: ${idleSamples.length} reads, max ${f0(idleMax)} ms (${summarise(idleSamples)}); ${idleSamples.filter(failed).length} failed`
		);

		const during: Sample[] = [];
		for (const kind of WRITES) {
			const w = await write(kind, 0);
			// the write's recompute, then its undo's
			for (const label of ['write', 'undo'] as const) {
				const v = label === 'write' ? w.version : await w.undo();
				const t0 = performance.now();
				const s = stream();
				const r = await awaitFresh(v, null, t0);
				const samples = [...(await s.stop()), ...r.polls];
				during.push(...samples);
				capped ||= r.capped;
				const worst = samples.reduce((m, x) => (x.ms > m.ms ? x : m));
				log(
					`[bench] ${scale}: reads after the ${kind} ${label} (data version ${v}), ${CLIENTS} clients + the panel's poller until ${r.capped ? 'the cap' : `fresh (${f0(r.ms)} ms)`}: ${samples.length} reads, max ${f0(worst.ms)} ms (${worst.read.kind} ${worst.read.path}); ${summarise(samples)}; ${samples.filter(failed).length} failed`
				);
			}
		}
		const errors = during.filter(failed);
		for (const [key, n] of Map.groupBy(errors, (e) => `${e.read.kind} → ${e.status || 'no answer'}: ${(e.error ?? '').replace(/\s+/g, ' ').slice(0, 120)}`)) {
			log(`[bench] ${scale}: read error ×${n.length}: ${key}`);
		}
		if (errors.length) {
			// what the app said of them
			const said = [
				...new Set(
					app
						.output()
						.split('\n')
						.filter((l) => /error|exception|timeout/i.test(l) && !/^\s+at /.test(l))
						.map((l) => l.trim().slice(0, 300))
				)
			];
			log(`[bench] ${scale}: the app's log on errors (${said.length} distinct lines, the last 12):\n${said.slice(-12).join('\n')}`);
		}
		const worst = during.reduce((m, x) => (x.ms > m.ms ? x : m));

		const result: Record<string, unknown> = {};
		if (fresh.centre.length) result.fresh_after_write_ms = Math.round(median(fresh.centre));
		if (fresh.member.length) result.fresh_after_member_write_ms = Math.round(median(fresh.member));
		if (capped) result.fresh_capped_ms = CAP_MS;
		result.max_blocked_ms = Math.round(worst.ms);
		result.max_blocked_read = `${worst.read.kind} ${worst.read.path}`;
		result.read_errors = errors.length;
		result.reads_during_recompute = during.length;
		result.idle_read_max_ms = Math.round(idleMax);
		log(
			`[bench] ${scale}: fresh after a write (median of ${REPS}): ${WRITES.map((k) => `${k} ${f0(median(fresh[k]))} ms (${fresh[k].map(f0).join(', ')})`).join('; ')}; the panel's slowest poll ${f0(Math.max(...pollMax))} ms`
		);
		log(
			`[bench] ${scale} goals: no read waits ≥ ${BLOCK_GOAL_MS} ms during a recompute: ${worst.ms < BLOCK_GOAL_MS ? 'met' : 'MISSED'} (max ${f0(worst.ms)} ms, ${worst.read.kind} ${worst.read.path}); no read error: ${errors.length ? `MISSED (${errors.length} of ${during.length})` : 'met'}${capped ? `; fresh within ${CAP_MS / 1000} s: MISSED` : ''}`
		);
		return result;
	} catch (e) {
		if (app) log(`[bench] ${scale}: the app's last output:\n${app.output().slice(-3000)}`);
		throw e;
	} finally {
		await cleanUp().catch((e) => log(`[bench] ${scale}: cleaning up: ${(e as Error).message}`));
		await app?.stop();
		await writer.end();
		await owner.close();
	}
}
