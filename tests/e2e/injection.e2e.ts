// Hostile input: SQL fragments, LIKE wildcards, NUL, path traversal, markup, odd unicode and very
// long strings (fast-check) into every query and path parameter and the login form, as the grid
// leader: never a 5xx, never anything from outside the grid. Cross-origin posts are refused, and
// the session cookie is HttpOnly, SameSite=Lax, Path=/.
import { expect, test, type APIRequestContext, type APIResponse } from '@playwright/test';
import fc from 'fast-check';
import {
	anonymousApi,
	buildingGrids,
	createKioskToken,
	decodeTile,
	demoUsername,
	json,
	signInApi,
	tilesCovering,
	type AreaGeometry
} from './access-helpers.ts';

const RUNS = 40;

const FRAGMENTS = [
	"' or 1=1 --",
	"'; drop table area; --",
	"' union select name, phone from party_member --",
	'" or ""="',
	') or (1=1',
	'%',
	'_',
	'%%',
	'%_%',
	'\\',
	'\\%',
	'\\_',
	'*',
	'.*',
	'[a-z]',
	'^',
	'$1',
	'\u0000',
	'a\u0000b',
	'\u0000%',
	'\u0001\u001f\u007f',
	'\r\n',
	'\t',
	' ',
	'',
	'../',
	'../../etc/passwd',
	'..\\..\\',
	'..%2F',
	'%2e%2e%2f',
	'/',
	'//',
	'?',
	'#',
	'&sel=420105',
	'=',
	'<script>alert(1)</script>',
	'"><img src=x onerror=alert(1)>',
	'${7*7}',
	'{{7*7}}',
	'__proto__',
	'constructor',
	'420105',
	'420105%',
	'420105_',
	'420105002',
	'4201050010010010',
	'42010500100100',
	'b:1',
	'b:1 or 1=1',
	'b:-1',
	'b:9999999999999999',
	'-1',
	'0',
	'1e309',
	'0x10',
	'1.5',
	'NaN',
	'Infinity',
	'null',
	'undefined',
	'true',
	'١٢٣',
	'４２０１０５',
	'江汉社区',
	'网格',
	'汉阳区',
	'𠮷野家',
	'🙂',
	'\u202e',
	'\u200b',
	'\ufeff',
	'ﬀ',
	'İ',
	'ß'
];

/** hostile strings: the fragments, glued together, mixed with arbitrary unicode, or very long */
const hostile = fc.oneof(
	{ weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
	{ weight: 3, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 2, maxLength: 5 }).map((a) => a.join('')) },
	{ weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
	{ weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
	{ weight: 1, arbitrary: fc.tuple(fc.constantFrom(...FRAGMENTS), fc.string({ unit: 'binary', maxLength: 8 })).map(([a, b]) => a + b) },
	{ weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '%', '网', "'"), fc.integer({ min: 50, max: 6000 })).map(([c, n]) => c.repeat(n)) }
);

/** always tried first, whatever the random runs bring */
const MUST = ['\u0000', 'a\u0000b', "' or 1=1 --", '%', '_', '\\', '../../', '<script>alert(1)</script>', '𠮷\u202e', 'a'.repeat(5000)];
const must = <T extends unknown[]>(...rest: T) => MUST.map((m) => [m, ...rest] as [string, ...T]);

/** lone surrogates cannot be sent: as the browser would, replace them */
const wellFormed = (s: string) => (s as string & { toWellFormed(): string }).toWellFormed();
/** one path segment, dots included (a bare `..` would be resolved away by the client) */
const segment = (s: string) => encodeURIComponent(wellFormed(s)).replace(/\./g, '%2E');
const query = (s: string) => encodeURIComponent(wellFormed(s));

/** not a 5xx; statuses that only say "too long" or "not found" are fine */
function no5xx(r: APIResponse, what: string) {
	expect(r.status(), `${what} → ${r.status()}`).toBeLessThan(500);
}

interface Grid {
	code: string;
	outline: AreaGeometry;
	bbox: [number, number, number, number];
	/** every building of the district → its grid */
	buildings: Map<number, string>;
}

async function gridOf(leader: APIRequestContext, admin: APIRequestContext): Promise<Grid> {
	const fc_ = await json<{ features: { properties: { code: string }; geometry: AreaGeometry }[] }>(await leader.get('/api/areas/grid.geojson'));
	expect(fc_.features).toHaveLength(1);
	const code = fc_.features[0].properties.code;
	const { bbox } = await json<{ bbox: [number, number, number, number] }>(await leader.get(`/api/areas/${code}/summary`));
	const district = await json<{ bbox: [number, number, number, number] }>(await admin.get(`/api/areas/${code.slice(0, 6)}/summary`));
	return { code, outline: fc_.features[0].geometry, bbox, buildings: await buildingGrids(admin, district.bbox) };
}

function inGrid(grid: Grid, target: string): boolean {
	if (target.startsWith('b:')) return grid.buildings.get(Number(target.slice(2))) === grid.code;
	return target.startsWith(grid.code);
}

test.describe('hostile input as the grid leader', () => {
	let leader: APIRequestContext;
	let admin: APIRequestContext;
	let grid: Grid;

	test.beforeAll(async ({ playwright, baseURL }) => {
		leader = await signInApi(playwright, baseURL!, 'grid_leader');
		admin = await signInApi(playwright, baseURL!, 'district_admin');
		grid = await gridOf(leader, admin);
	});
	test.afterAll(async () => {
		await leader?.dispose();
		await admin?.dispose();
	});

	test('search: no 5xx, no hit outside the grid, LIKE wildcards are literal', async () => {
		test.setTimeout(90_000);
		// the district administrator's view: % and _ must match nothing, not everything
		for (const q of ['%', '_', '%%', '\\', '%_%']) {
			const hits = (await json<{ hits: unknown[] }>(await admin.get(`/api/search?q=${query(q)}`))).hits;
			expect(hits, `the district's search for "${q}"`).toEqual([]);
		}
		await fc.assert(
			fc.asyncProperty(hostile, async (q) => {
				const r = await leader.get(`/api/search?q=${query(q)}`);
				no5xx(r, `search "${q.slice(0, 40)}"`);
				if (r.status() !== 200) return;
				const { hits } = (await r.json()) as { hits: { target: string }[] };
				for (const h of hits) expect(inGrid(grid, h.target), `search "${q.slice(0, 40)}" found ${h.target}`).toBe(true);
			}),
			{ numRuns: RUNS, examples: must() }
		);
		// and the parameter given twice, or under other names, changes nothing
		const own = await leader.get(`/api/search?q=${query('网格')}`);
		const forged = await leader.get(`/api/search?q=${query('网格')}&scope=420105&area=420105&q=${query('%')}`);
		expect(await forged.json()).toEqual(await own.json());
	});

	test('area, building and member ids: no 5xx, nothing outside the grid', async ({ baseURL }) => {
		test.setTimeout(90_000);
		await fc.assert(
			fc.asyncProperty(hostile, async (s) => {
				const seg = segment(s);
				const summary = await leader.get(`/api/areas/${seg}/summary`);
				no5xx(summary, `area summary "${s.slice(0, 40)}"`);
				if (summary.status() === 200) expect((await summary.json()).code.startsWith(grid.code)).toBe(true);

				const outlines = await leader.get(`/api/areas/${seg}.geojson`);
				no5xx(outlines, `outlines "${s.slice(0, 40)}"`);
				if (outlines.status() === 200) {
					for (const f of (await outlines.json()).features as { properties: { code: string } }[]) expect(f.properties.code.startsWith(grid.code)).toBe(true);
				}

				for (const tail of ['summary', 'households']) {
					const b = await leader.get(`/api/buildings/${seg}/${tail}`);
					no5xx(b, `building ${tail} "${s.slice(0, 40)}"`);
					if (b.status() === 200 && tail === 'summary') expect((await b.json()).grid_code).toBe(grid.code);
				}
				const reveal = await leader.post(`/api/members/${seg}/reveal`, { headers: { origin: baseURL! } });
				no5xx(reveal, `reveal "${s.slice(0, 40)}"`);
				expect(reveal.status(), `reveal "${s.slice(0, 40)}"`).not.toBe(200);
			}),
			{ numRuns: RUNS, examples: must() }
		);
	});

	test('tile paths: no 5xx, and what is served stays in the grid', async () => {
		test.setTimeout(90_000);
		const t = tilesCovering(grid.bbox, 16)[0];
		const parts = (layer: string) => [layer, String(t.z), String(t.x), String(t.y)];
		await fc.assert(
			fc.asyncProperty(hostile, fc.constantFrom(0, 1, 2, 3), fc.constantFrom('members', 'buildings', 'central_links'), async (s, at, layer) => {
				const p = parts(layer).map(segment);
				p[at] = segment(s);
				const path = `/tiles/${p.join('/')}.mvt`;
				const r = await leader.get(path);
				no5xx(r, path);
				if (r.status() === 200) {
					for (const f of decodeTile(await r.body(), layer)) {
						const building = f.properties.building_id ?? f.properties.id;
						if (building !== undefined) expect(grid.buildings.get(Number(building)), `${path}: building ${building}`).toBe(grid.code);
					}
				}
				const tj = await leader.get(`/tiles/${segment(s)}.json`);
				no5xx(tj, `tilejson "${s.slice(0, 40)}"`);
			}),
			{ numRuns: RUNS, examples: [...must(0, 'members'), ...must(1, 'central_links'), ...must(2, 'buildings'), ...must(3, 'members')] }
		);
	});

	test("the map page's ?sel=: no 5xx, nothing outside the grid", async () => {
		test.setTimeout(90_000);
		await fc.assert(
			fc.asyncProperty(hostile, async (s) => {
				const r = await leader.get(`/?sel=${query(s)}`, { maxRedirects: 0 });
				no5xx(r, `?sel="${s.slice(0, 40)}"`);
				// a page only for nothing (the grid itself) or something inside the grid
				if (r.status() === 200 && s !== '') expect(inGrid(grid, s), `?sel="${s.slice(0, 40)}" answered 200`).toBe(true);
			}),
			{ numRuns: RUNS, examples: must() }
		);
	});
});

test('the login form: hostile user names and passwords are refused, never a 5xx', async ({ playwright, baseURL }) => {
	test.setTimeout(90_000);
	const ctx = await anonymousApi(playwright, baseURL!);
	const real = /^demo-/; // never a real account: five wrong passwords would lock it
	const post = (username: string, password: string) =>
		ctx.post('/login', { form: { username, password }, headers: { origin: baseURL!, accept: 'text/html' }, maxRedirects: 0 });
	await fc.assert(
		fc.asyncProperty(hostile, hostile, async (u, p) => {
			const username = wellFormed(u);
			const normal = username
				.replace(/[\u0000-\u001f\u007f]/g, '')
				.trim()
				.toLowerCase();
			const r = await post(real.test(normal) ? `x${username}` : username, wellFormed(p));
			no5xx(r, `login "${u.slice(0, 40)}"`);
			expect([400, 401], `login "${u.slice(0, 40)}" / "${p.slice(0, 20)}" → ${r.status()}`).toContain(r.status());
			expect(r.headers()['set-cookie'] ?? '').not.toContain('jiceng_session=');
		}),
		{ numRuns: RUNS, examples: [...must('x'), ...MUST.map((m) => ['nobody', m] as [string, string])] }
	);
	// a real user name with a hostile suffix (SQL comment, NUL) is another, unknown user
	for (const suffix of ["' --", "' or '1'='1", '%', '\u0000x']) {
		const r = await post(`${demoUsername('grid_leader')}${suffix}`, 'Demo-Pass-2026!');
		expect([400, 401], `demo-grid-leader${JSON.stringify(suffix)}`).toContain(r.status());
	}
	await ctx.dispose();
});

test("the audit log's filters: hostile values, never a 5xx", async ({ playwright, baseURL }) => {
	test.setTimeout(90_000);
	const auditor = await signInApi(playwright, baseURL!, 'auditor');
	const PARAMS = ['q', 'user', 'action', 'result', 'from', 'to', 'page'];
	await fc.assert(
		fc.asyncProperty(hostile, fc.constantFrom(...PARAMS), async (s, name) => {
			const r = await auditor.get(`/audit?${name}=${query(s)}`, { maxRedirects: 0 });
			no5xx(r, `/audit?${name}="${s.slice(0, 40)}"`);
		}),
		{ numRuns: RUNS, examples: PARAMS.flatMap((name) => must(name)) }
	);
	await auditor.dispose();
});

test.describe('cross-origin requests and the session cookie', () => {
	test('state-changing requests from another origin are refused', async ({ playwright, baseURL }) => {
		const leader = await signInApi(playwright, baseURL!, 'grid_leader');
		const evil = { origin: 'http://evil.example' };
		// reveal: another origin, no origin at all, the opaque origin
		for (const headers of [evil, {}, { origin: 'null' }, { origin: baseURL!.replace('127.0.0.1', 'localhost') }]) {
			const r = await leader.post('/api/members/1/reveal', { headers, maxRedirects: 0 });
			expect(r.status(), `reveal with ${JSON.stringify(headers)}`).toBe(403);
		}
		// login from another site: refused, and no session
		const anon = await anonymousApi(playwright, baseURL!);
		const login = await anon.post('/login', {
			form: { username: demoUsername('grid_leader'), password: 'Demo-Pass-2026!' },
			headers: { ...evil, accept: 'text/html' },
			maxRedirects: 0
		});
		expect(login.status()).toBe(403);
		expect(login.headers()['set-cookie'] ?? '').not.toContain('jiceng_session=');
		// logout from another site: refused, and the session lives on
		const logout = await leader.post('/logout', { headers: evil, maxRedirects: 0 });
		expect(logout.status()).toBe(403);
		expect((await leader.get('/api/search?q=x')).status()).toBe(200);
		// the security administrator's actions too
		const security = await signInApi(playwright, baseURL!, 'security_admin');
		const screen = await security.post('/admin?/createScreen', {
			form: { name: 'evil screen', areaCode: '420105' },
			headers: { ...evil, accept: 'application/json' },
			maxRedirects: 0
		});
		expect(screen.status()).toBe(403);
		expect(await screen.text()).not.toMatch(/\/kiosk\/[A-Za-z0-9_-]{43}/);
		for (const c of [leader, anon, security]) await c.dispose();
	});

	test('the session and kiosk cookies are HttpOnly, SameSite=Lax, Path=/', async ({ playwright, baseURL }) => {
		const anon = await anonymousApi(playwright, baseURL!);
		const r = await anon.post('/login', {
			form: { username: demoUsername('grid_leader'), password: 'Demo-Pass-2026!' },
			headers: { origin: baseURL!, accept: 'text/html' },
			maxRedirects: 0
		});
		expect(r.status()).toBe(303);
		const flags = (setCookie: string, name: string) => {
			const line = setCookie.split('\n').find((l) => l.startsWith(`${name}=`));
			expect(line, `${name} is set`).toBeTruthy();
			const attrs = line!.split(';').map((a) => a.trim().toLowerCase());
			expect(attrs).toContain('httponly');
			expect(attrs).toContain('samesite=lax');
			expect(attrs).toContain('path=/');
			expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);
			// Secure only over https (this run is plain http)
			expect(attrs.includes('secure')).toBe(baseURL!.startsWith('https:'));
		};
		flags(r.headers()['set-cookie'] ?? '', 'jiceng_session');
		await anon.dispose();

		const security = await signInApi(playwright, baseURL!, 'security_admin');
		const token = await createKioskToken(security, baseURL!, '注入测试大屏', '420105');
		const screen = await playwright.request.newContext({ baseURL });
		const k = await screen.get(`/kiosk/${token}`, { maxRedirects: 0 });
		expect(k.status()).toBe(303);
		flags(k.headers()['set-cookie'] ?? '', 'jiceng_kiosk');
		for (const c of [security, screen]) await c.dispose();
	});
});
