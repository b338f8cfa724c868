// The access matrix: every route × every role (8 accounts, a big screen, nobody) × ids from inside
// and outside the caller's area ⇒ allowed, 401, 403, 404 or nothing, as the rules say. The
// expectations come from the small table below (the rules), not from the app's code; ids
// are discovered as the district administrator. Every allowed list is checked item by item.
import { mkdirSync, writeFileSync } from 'node:fs';
import { expect, test, type APIRequestContext, type APIResponse } from '@playwright/test';
import {
	ACCOUNT_ROLES, anonymousApi, createKioskToken, decodeTile, json, kioskApi, signInApi, tileOf, tilePath,
	tilesCovering, tileToLonLat, type AccountRole, type Tile
} from './access-helpers.ts';

type Level = 'district' | 'street' | 'community' | 'grid';
type Principal = AccountRole | 'display' | 'anonymous';

interface Rules {
	level: Level;
	map: boolean;
	persons: boolean;
	/** the page a role without the map is sent to from / */
	home?: '/admin' | '/audit';
	/** an account (not a kiosk screen) */
	account: boolean;
}

// the rules, as the issue states them; the big screen used here is created on the demo street
const RULES: Record<Exclude<Principal, 'anonymous'>, Rules> = {
	district_admin: { level: 'district', map: true, persons: true, account: true },
	street_secretary: { level: 'street', map: true, persons: true, account: true },
	community_secretary: { level: 'community', map: true, persons: true, account: true },
	grid_leader: { level: 'grid', map: true, persons: true, account: true },
	planner: { level: 'district', map: true, persons: false, account: true },
	auditor: { level: 'district', map: false, persons: false, home: '/audit', account: true },
	system_admin: { level: 'district', map: false, persons: false, home: '/admin', account: true },
	security_admin: { level: 'district', map: false, persons: false, home: '/admin', account: true },
	display: { level: 'street', map: true, persons: false, account: false }
};
const PAGE_OF: Partial<Record<Principal, string>> = { auditor: '/audit', system_admin: '/admin', security_admin: '/admin' };

const NOWHERE = { area: '999999', building: 999_999_999, member: 999_999_999 };

interface AreaFeature {
	properties: { code: string; name: string; level: Level; parent_code: string | null };
}
interface Household {
	household: number;
	building: number;
	central: boolean;
	at: [number, number];
}

/** What the district administrator sees: the tree, every building's grid, the member households. */
interface World {
	chain: Record<Level, string>;
	names: Map<string, string>;
	parent: Map<string, string | null>;
	bbox: Map<string, [number, number, number, number]>;
	buildingGrid: Map<number, string>;
	households: Map<number, Household>;
	/** per level of the chain: a sibling of that level's chain area (the nearest outside) */
	sibling: Record<Level, string>;
	/** per area code: a building there with a central household, one of its members, and that household */
	sample: Map<string, { building: number; member: number; household: Household; householdIds: number[] }>;
}

interface Who {
	principal: Principal;
	rules: Rules | null;
	ctx: APIRequestContext;
	scope: string;
	inside: { area: string; building: number; member: number; household: Household };
	outside: { area: string; parent: string | null; building: number; member: number; household: Household | null };
}

interface Outcome {
	path: string;
	method: 'GET' | 'POST';
	response: APIResponse;
}
interface Expectation {
	/** one status, or any of several (a tile may be empty: 204) */
	status: number | number[];
	/** for 303: where to */
	location?: string;
}
interface Route {
	name: string;
	cases: string[];
	call(who: Who, c: string, env: { baseURL: string; world: World }): Promise<Outcome>;
	expect(who: Who, c: string): Expectation;
	/** problems with an allowed answer's content (items outside the scope, persons shown…) */
	check?(who: Who, c: string, response: APIResponse, world: World): Promise<string[]>;
}

const LEVELS: Level[] = ['district', 'street', 'community', 'grid'];

async function discover(admin: APIRequestContext): Promise<World> {
	const names = new Map<string, string>();
	const parent = new Map<string, string | null>();
	const byLevel: Record<Level, string[]> = { district: [], street: [], community: [], grid: [] };
	for (const level of ['street', 'community', 'grid'] as const) {
		const fc = await json<{ features: AreaFeature[] }>(await admin.get(`/api/areas/${level}.geojson`));
		for (const { properties: p } of fc.features) {
			names.set(p.code, p.name);
			parent.set(p.code, p.parent_code);
			byLevel[level].push(p.code);
			if (level === 'street' && p.parent_code && !byLevel.district.includes(p.parent_code)) byLevel.district.push(p.parent_code);
		}
	}
	for (const l of LEVELS) byLevel[l].sort();
	// the demo accounts' branch: the first street, its first community, its first grid
	const district = byLevel.district[0];
	const street = byLevel.street.find((c) => parent.get(c) === district)!;
	const community = byLevel.community.find((c) => parent.get(c) === street)!;
	const grid = byLevel.grid.find((c) => parent.get(c) === community)!;
	const chain = { district, street, community, grid };
	const nextSibling = (code: string) => {
		const siblings = [...parent].filter(([, p]) => p === parent.get(code)).map(([c]) => c).sort();
		return siblings.find((c) => c !== code) ?? NOWHERE.area;
	};
	const sibling = { district: NOWHERE.area, street: nextSibling(street), community: nextSibling(community), grid: nextSibling(grid) };

	const bbox = new Map<string, [number, number, number, number]>();
	for (const code of [district, street, community, grid, sibling.street, sibling.community, sibling.grid]) {
		const s = await json<{ name: string; bbox: [number, number, number, number] }>(await admin.get(`/api/areas/${code}/summary`));
		bbox.set(code, s.bbox);
		names.set(code, s.name);
	}

	// every building's grid (buildings tiles carry grid_code), every member household (members z16)
	const buildingGrid = new Map<number, string>();
	for (const t of tilesCovering(bbox.get(district)!, 14)) {
		for (const f of decodeTile(await tileBody(admin, 'buildings', t), 'buildings')) buildingGrid.set(Number(f.properties.id), String(f.properties.grid_code));
	}
	const households = new Map<number, Household>();
	for (const t of tilesCovering(bbox.get(district)!, 16)) {
		for (const f of decodeTile(await tileBody(admin, 'members', t), 'members')) {
			const p = f.geometry[0][0];
			households.set(Number(f.properties.household_id), {
				household: Number(f.properties.household_id), building: Number(f.properties.building_id),
				central: f.properties.central === 1, at: tileToLonLat(t, p.x, p.y, f.extent)
			});
		}
	}
	expect(buildingGrid.size, 'buildings found in the district').toBeGreaterThan(100);
	expect(households.size, 'member households found in the district').toBeGreaterThan(100);

	const sample: World['sample'] = new Map();
	for (const area of [grid, sibling.grid, sibling.community, sibling.street]) {
		if (area === NOWHERE.area) continue;
		// a member household in the area, a central one if there is one (central_links start there)
		const candidates = [...households.values()].filter((h) => buildingGrid.get(h.building)?.startsWith(area));
		const h = candidates.find((c) => c.central) ?? candidates[0];
		expect(h, `a member household in ${area}`).toBeTruthy();
		const list = await json<{ households: { id: number; members: { id: number }[] }[] }>(await admin.get(`/api/buildings/${h.building}/households`));
		const member = list.households.find((x) => x.id === h.household)!.members[0].id;
		sample.set(area, { building: h.building, member, household: h, householdIds: list.households.map((x) => x.id) });
	}
	return { chain, names, parent, bbox, buildingGrid, households, sibling, sample };
}

async function tileBody(ctx: APIRequestContext, layer: string, t: Tile): Promise<Buffer | null> {
	const r = await ctx.get(tilePath(layer, t));
	if (r.status() === 204) return null;
	if (r.status() !== 200) throw new Error(`${tilePath(layer, t)} answered ${r.status()}`);
	return r.body();
}

function whoFor(principal: Principal, ctx: APIRequestContext, world: World): Who {
	const rules = principal === 'anonymous' ? null : RULES[principal];
	const level = rules?.level ?? 'district';
	const scope = world.chain[level];
	const inside = world.sample.get(world.chain.grid)!;
	const outsideArea = world.sibling[level];
	// the nearest outside building: in the sibling of the caller's area (none for the district)
	const outside = level === 'district' ? null : world.sample.get(outsideArea)!;
	return {
		principal, rules, ctx, scope,
		inside: { area: scope, building: inside.building, member: inside.member, household: inside.household },
		outside: {
			area: outsideArea,
			parent: level === 'district' ? null : world.parent.get(scope) ?? null,
			building: outside?.building ?? NOWHERE.building,
			member: outside?.member ?? NOWHERE.member,
			household: outside?.household ?? null
		}
	};
}

// ─── expectations ──────────────────────────────────────────────────────────────────────────

const status = (s: number | number[]): Expectation => ({ status: s });
/** the gate in front of the map: nobody 401, roles without the map 403 */
const mapGate = (who: Who): Expectation | null => (!who.rules ? status(401) : !who.rules.map ? status(403) : null);
/** and in front of persons */
const personGate = (who: Who): Expectation | null => mapGate(who) ?? (!who.rules!.persons ? status(403) : null);
const byCase = (c: string): Expectation => status(c === 'inside' ? 200 : 404);
/** a tile around the inside household has it; one around the outside household may hold the caller's own neighbours, or nothing */
const tileStatus = (who: Who, c: string): Expectation => status(c === 'inside' ? 200 : who.outside.household ? [200, 204] : 204);
const toLogin = (who: Who): Expectation | null => (!who.rules ? { status: 303, location: '/login' } : null);

// ─── content checks ────────────────────────────────────────────────────────────────────────

const inScope = (who: Who, code: string) => code.startsWith(who.scope);

function targetInScope(who: Who, world: World, target: string): boolean {
	if (target.startsWith('b:')) return world.buildingGrid.get(Number(target.slice(2)))?.startsWith(who.scope) ?? false;
	return inScope(who, target);
}

/** roles that see no persons get no secretary's name either */
function personsShown(who: Who, body: unknown): string[] {
	if (who.rules?.persons) return [];
	const found: string[] = [];
	const walk = (v: unknown) => {
		if (Array.isArray(v)) v.forEach(walk);
		else if (v && typeof v === 'object') {
			for (const [k, x] of Object.entries(v)) {
				if (k === 'secretary' && x !== null) found.push(`secretary "${x}" shown to a role that sees no persons`);
				walk(x);
			}
		}
	};
	walk(body);
	return found;
}

function privateCache(response: APIResponse): string[] {
	const cc = response.headers()['cache-control'] ?? '';
	return /private|no-store/.test(cc) ? [] : [`cache-control "${cc}" is not private`];
}

interface BreadcrumbStep {
	code: string;
	in_scope: boolean;
}

async function tileProblems(who: Who, world: World, c: string, layer: string, response: APIResponse): Promise<string[]> {
	const problems: string[] = [];
	if (!(response.headers()['cache-control'] ?? '').includes('private')) problems.push('tile cache-control is not private');
	const features = decodeTile(response.status() === 200 ? await response.body() : null, layer);
	const building = c === 'inside' ? who.inside.building : who.outside.building;
	for (const f of features) {
		const p = f.properties;
		if (layer === 'buildings' && !inScope(who, String(p.grid_code))) problems.push(`building ${p.id} of grid ${p.grid_code}`);
		if (layer === 'members' && p.building_id !== undefined) {
			const grid = world.buildingGrid.get(Number(p.building_id)) ?? '?';
			if (!inScope(who, grid)) problems.push(`members point of building ${p.building_id} in grid ${grid}`);
		}
		if (layer === 'central_links') {
			const h = world.households.get(Number(p.central_household_id));
			const grid = h ? world.buildingGrid.get(h.building) ?? '?' : '?';
			if (!inScope(who, grid)) problems.push(`central link from household ${p.central_household_id} in grid ${grid}`);
		}
	}
	const mentions = (f: (typeof features)[number]) =>
		layer === 'buildings' ? Number(f.properties.id) === building
			: layer === 'members' ? Number(f.properties.building_id) === building
				: world.households.get(Number(f.properties.central_household_id))?.building === building;
	if (c === 'inside' && !features.some(mentions)) problems.push(`the inside building ${building} is missing from the tile`);
	if (c === 'outside' && features.some(mentions)) problems.push(`the outside building ${building} is in the tile`);
	return problems;
}

// ─── the routes ────────────────────────────────────────────────────────────────────────────

const get = async (who: Who, path: string): Promise<Outcome> => ({ path, method: 'GET', response: await who.ctx.get(path, { maxRedirects: 0 }) });

function tileOfCase(who: Who, c: string, z: number): Tile {
	const h = c === 'inside' ? who.inside.household : who.outside.household;
	// the district has no outside: a tile far away, which must be empty
	return h ? tileOf(h.at[0], h.at[1], z) : tileOf(0.5, 0.5, z);
}

const ROUTES: Route[] = [
	{
		name: 'GET /api/areas/{code}/summary',
		cases: ['inside', 'outside', 'above'],
		call: (who, c) => get(who, `/api/areas/${c === 'inside' ? who.inside.area : c === 'outside' ? who.outside.area : who.outside.parent ?? NOWHERE.area}/summary`),
		expect: (who, c) => mapGate(who) ?? byCase(c),
		async check(who, _c, response) {
			const body = await response.json();
			const problems = [...privateCache(response), ...personsShown(who, body)];
			if (!inScope(who, body.code)) problems.push(`area ${body.code} outside the scope`);
			for (const ch of body.children as { code: string }[]) if (!inScope(who, ch.code)) problems.push(`child ${ch.code} outside the scope`);
			for (const step of body.breadcrumb as BreadcrumbStep[]) {
				if (step.in_scope !== inScope(who, step.code)) problems.push(`breadcrumb ${step.code} marked in_scope=${step.in_scope}`);
			}
			return problems;
		}
	},
	{
		name: 'GET /api/areas/{level}.geojson',
		cases: ['inside', 'outside'],
		call: (who, c) => {
			// the level of the area in question (the district has no outline list: its grids, or streets)
			const code = c === 'inside' ? who.inside.area : who.outside.area;
			const level = code.length === 6 ? (c === 'inside' ? 'grid' : 'street') : code.length === 9 ? 'street' : code.length === 12 ? 'community' : 'grid';
			return get(who, `/api/areas/${level}.geojson`);
		},
		expect: (who) => mapGate(who) ?? status(200),
		async check(who, c, response) {
			const fc = (await response.json()) as { features: AreaFeature[] };
			const problems = privateCache(response);
			for (const f of fc.features) if (!inScope(who, f.properties.code)) problems.push(`outline of ${f.properties.code}`);
			const codes = new Set(fc.features.map((f) => f.properties.code));
			if (c === 'inside' && fc.features.length === 0) problems.push('no outlines at all');
			if (c === 'inside' && who.inside.area.length > 6 && !codes.has(who.inside.area)) problems.push(`own area ${who.inside.area} missing`);
			if (c === 'outside' && codes.has(who.outside.area)) problems.push(`outside area ${who.outside.area} listed`);
			return problems;
		}
	},
	{
		name: 'GET /api/buildings/{id}/summary',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, `/api/buildings/${c === 'inside' ? who.inside.building : who.outside.building}/summary`),
		expect: (who, c) => mapGate(who) ?? byCase(c),
		async check(who, _c, response) {
			const body = await response.json();
			const problems = [...privateCache(response), ...personsShown(who, body)];
			if (!inScope(who, body.grid_code)) problems.push(`building of grid ${body.grid_code}`);
			return problems;
		}
	},
	{
		name: 'GET /api/buildings/{id}/households',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, `/api/buildings/${c === 'inside' ? who.inside.building : who.outside.building}/households`),
		expect: (who, c) => personGate(who) ?? byCase(c),
		async check(who, _c, response, world) {
			const body = (await response.json()) as { masked: boolean; households: { id: number }[] };
			const problems = privateCache(response);
			// every account that sees persons here sees its own area unmasked
			if (body.masked) problems.push('masked for a role that sees its own area unmasked');
			const expected = world.sample.get(world.chain.grid)!.householdIds;
			const ids = body.households.map((h) => h.id);
			if (JSON.stringify(ids) !== JSON.stringify(expected)) problems.push(`households ${ids.length} ≠ the district's ${expected.length}`);
			return problems;
		}
	},
	{
		name: 'POST /api/members/{id}/reveal',
		cases: ['inside', 'outside'],
		call: async (who, c, { baseURL }) => {
			const path = `/api/members/${c === 'inside' ? who.inside.member : who.outside.member}/reveal`;
			return { path, method: 'POST', response: await who.ctx.post(path, { headers: { origin: baseURL }, maxRedirects: 0 }) };
		},
		expect: (who, c) => personGate(who) ?? byCase(c),
		async check(who, _c, response) {
			const body = await response.json();
			const problems = privateCache(response);
			if (body.id !== who.inside.member) problems.push(`revealed member ${body.id}, not ${who.inside.member}`);
			return problems;
		}
	},
	{
		name: 'GET /api/search?q=',
		cases: ['inside', 'outside', 'broad'],
		call: (who, c, { world }) => {
			const q = c === 'broad' ? '网格' : c === 'inside' ? world.names.get(who.inside.area)! : world.names.get(who.outside.area) ?? '不存在的地方';
			return get(who, `/api/search?q=${encodeURIComponent(q)}`);
		},
		expect: (who) => mapGate(who) ?? status(200),
		async check(who, c, response, world) {
			const body = (await response.json()) as { hits: { target: string }[] };
			const problems = privateCache(response);
			for (const h of body.hits) if (!targetInScope(who, world, h.target)) problems.push(`hit ${h.target} outside the scope`);
			if (c === 'inside' && !body.hits.some((h) => h.target === who.inside.area)) problems.push(`own area ${who.inside.area} not found by name`);
			if (c === 'outside' && body.hits.some((h) => h.target === who.outside.area)) problems.push(`outside area ${who.outside.area} found by name`);
			if (c === 'broad' && body.hits.length === 0) problems.push('no hits for 网格');
			return problems;
		}
	},
	{
		name: 'GET /tiles/{layer}.json',
		cases: ['members', 'central_links'],
		call: (who, c) => get(who, `/tiles/${c}.json`),
		expect: (who, c) => (c === 'central_links' ? personGate(who) : mapGate(who)) ?? status(200),
		async check(who, _c, response, world) {
			const doc = await response.json();
			const problems = privateCache(response);
			const want = world.bbox.get(who.scope)!;
			const got = doc.bounds as number[] | undefined;
			if (!got || got.some((v, i) => Math.abs(v - want[i]) > 1e-5)) problems.push(`bounds ${JSON.stringify(got)} are not the scope's ${JSON.stringify(want)}`);
			return problems;
		}
	},
	{
		name: 'GET /tiles/buildings/16/{x}/{y}.mvt',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, tilePath('buildings', tileOfCase(who, c, 16))),
		expect: (who, c) => mapGate(who) ?? tileStatus(who, c),
		check: (who, c, response, world) => tileProblems(who, world, c, 'buildings', response)
	},
	{
		name: 'GET /tiles/members/15/{x}/{y}.mvt (per building)',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, tilePath('members', tileOfCase(who, c, 15))),
		expect: (who, c) => mapGate(who) ?? tileStatus(who, c),
		check: (who, c, response, world) => tileProblems(who, world, c, 'members', response)
	},
	{
		name: 'GET /tiles/members/16/{x}/{y}.mvt (per household)',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, tilePath('members', tileOfCase(who, c, 16))),
		expect: (who, c) => personGate(who) ?? tileStatus(who, c),
		check: (who, c, response, world) => tileProblems(who, world, c, 'members', response)
	},
	{
		// the same tile spelt differently must meet the same gate
		name: 'GET /tiles/members/016/{x}/{y}.mvt, //members/16, //central_links/17 (spellings)',
		cases: ['zero-padded', 'double-slash', 'central-double-slash'],
		call: (who, c) => {
			const t = tileOfCase(who, 'inside', c === 'central-double-slash' ? 17 : 16);
			return get(who, c === 'zero-padded' ? `/tiles/members/0${t.z}/${t.x}/${t.y}.mvt`
				: c === 'double-slash' ? `/tiles//members/${t.z}/${t.x}/${t.y}.mvt` : `/tiles//central_links/${t.z}/${t.x}/${t.y}.mvt`);
		},
		expect: (who) => personGate(who) ?? status(200),
		check: (who, c, response, world) => tileProblems(who, world, 'inside', c === 'central-double-slash' ? 'central_links' : 'members', response)
	},
	{
		name: 'GET /tiles/central_links/17/{x}/{y}.mvt',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, tilePath('central_links', tileOfCase(who, c, 17))),
		expect: (who, c) => personGate(who) ?? tileStatus(who, c),
		check: (who, c, response, world) => tileProblems(who, world, c, 'central_links', response)
	},
	{
		name: 'GET /?sel={area code}',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, `/?sel=${c === 'inside' ? who.inside.area : who.outside.area}`),
		expect: (who, c) => toLogin(who) ?? (who.rules!.map ? byCase(c) : { status: 303, location: PAGE_OF[who.principal] })
	},
	{
		name: 'GET /?sel=b:{building id}',
		cases: ['inside', 'outside'],
		call: (who, c) => get(who, `/?sel=b:${c === 'inside' ? who.inside.building : who.outside.building}`),
		expect: (who, c) => toLogin(who) ?? (who.rules!.map ? byCase(c) : { status: 303, location: PAGE_OF[who.principal] })
	},
	{
		name: 'GET /admin',
		cases: ['page'],
		call: (who) => get(who, '/admin'),
		expect: (who) => toLogin(who) ?? status(who.principal === 'system_admin' || who.principal === 'security_admin' ? 200 : 403)
	},
	{
		name: 'GET /audit',
		cases: ['page'],
		call: (who) => get(who, '/audit'),
		expect: (who) => toLogin(who) ?? status(who.principal === 'auditor' ? 200 : 403)
	},
	{
		name: 'GET /account/password',
		cases: ['page'],
		call: (who) => get(who, '/account/password'),
		// a big screen has no password to change
		expect: (who) => (who.rules?.account ? status(200) : { status: 303, location: '/login' })
	},
	{
		name: 'GET /login',
		cases: ['page'],
		call: (who) => get(who, '/login'),
		expect: (who) => (who.rules?.account ? { status: 303, location: '/' } : status(200))
	},
	{
		name: 'GET /api/health',
		cases: ['public'],
		call: (who) => get(who, '/api/health'),
		expect: () => status(200)
	}
];

test('access matrix: every route × every role × inside/outside answers as the rules say', async ({ playwright, baseURL }) => {
	test.setTimeout(120_000);
	const started = Date.now();
	const base = baseURL!;
	const contexts: APIRequestContext[] = [];
	const keep = <T extends APIRequestContext>(c: T) => (contexts.push(c), c);

	const admin = keep(await signInApi(playwright, base, 'district_admin'));
	const world = await discover(admin);

	const principals: Principal[] = [...ACCOUNT_ROLES, 'display', 'anonymous'];
	const who: Who[] = [];
	for (const p of principals) {
		let ctx: APIRequestContext;
		if (p === 'anonymous') ctx = keep(await anonymousApi(playwright, base));
		else if (p === 'display') {
			const security = keep(await signInApi(playwright, base, 'security_admin'));
			const token = await createKioskToken(security, base, '访问矩阵测试大屏', world.chain.street);
			ctx = keep(await kioskApi(playwright, base, token));
		} else ctx = p === 'district_admin' ? admin : keep(await signInApi(playwright, base, p));
		who.push(whoFor(p, ctx, world));
	}

	const cells: { route: string; role: Principal; case: string; method: string; path: string; expected: Expectation; status: number; location?: string; problems: string[] }[] = [];
	for (const route of ROUTES) {
		for (const w of who) {
			for (const c of route.cases) {
				const { path, method, response } = await route.call(w, c, { baseURL: base, world });
				const expected = route.expect(w, c);
				const problems: string[] = [];
				const location = response.headers()['location'];
				const allowed = ([] as number[]).concat(expected.status);
				if (!allowed.includes(response.status())) problems.push(`status ${response.status()}, expected ${expected.status}`);
				else if (expected.location && !(location ?? '').startsWith(expected.location)) problems.push(`redirect to ${location}, expected ${expected.location}`);
				else if (response.status() >= 200 && response.status() < 300 && route.check) problems.push(...(await route.check(w, c, response, world)));
				cells.push({ route: route.name, role: w.principal, case: c, method, path, expected, status: response.status(), location, problems });
			}
		}
	}

	const cases = ROUTES.reduce((n, r) => n + r.cases.length, 0);
	const failures = cells.filter((c) => c.problems.length > 0);
	const summary = {
		routes: ROUTES.length, roles: principals.length, casesPerRoleSum: cases, cells: cells.length,
		size: `${ROUTES.length} routes (${cases} route×case pairs) × ${principals.length} roles = ${cells.length} checks`,
		failures: failures.length, seconds: (Date.now() - started) / 1000,
		scopes: Object.fromEntries(who.map((w) => [w.principal, w.scope])),
		ids: Object.fromEntries(who.map((w) => [w.principal, { inside: { ...w.inside, household: w.inside.household.household }, outside: { ...w.outside, household: w.outside.household?.household ?? null } }]))
	};
	console.log(`access matrix: ${summary.size}, ${failures.length} failing, ${summary.seconds.toFixed(1)} s`);
	mkdirSync('tests/artifacts', { recursive: true });
	writeFileSync('tests/artifacts/access-matrix.json', JSON.stringify({ summary, cells }, null, 1));

	for (const c of contexts) await c.dispose();
	expect(failures.map((f) => `${f.role} ${f.method} ${f.path} [${f.route} / ${f.case}]: ${f.problems.join('; ')}`)).toEqual([]);
});
