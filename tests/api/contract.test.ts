// One contract between server and client (issue 10 part 4): each JSON answer has a valibot schema
// beside its type (src/lib/api/*), the server sends only what the schema holds (reply.ts), and the
// browser checks every answer against the same schema (client.ts). The route tests call the real
// routes on both backends, so an answer that drifts from its contract fails them with a 500 that
// names the field; here: the mechanism itself, and that the compiler refuses a drifted schema.
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHttpError } from '@sveltejs/kit';
import * as v from 'valibot';
import { reply, replyLine } from '../../src/lib/server/api/reply.ts';
import { ApiError, ContractError, fetchJson, fetchLines } from '../../src/lib/api/client.ts';
import { count, shownCount } from '../../src/lib/api/contract.ts';
import { searchAnswer } from '../../src/lib/api/search.ts';

const row = v.object({ code: v.string(), households: shownCount, members: count });

describe('the server sends what the contract holds', () => {
	it('drops a field the contract does not name (an allow-list, not a filter of known secrets)', async () => {
		const r = reply(v.object({ rows: v.array(row) }), { rows: [{ code: '420105', households: 12, members: 3, phone: '13800000000' } as never] });
		expect(await r.json()).toEqual({ rows: [{ code: '420105', households: 12, members: 3 }] });
		expect(r.headers.get('content-type')).toMatch(/json/);
	});

	it('refuses a body that breaks it with a 500 naming the field — a count a driver left as text', () => {
		const errors: string[] = [];
		const original = console.error;
		console.error = (m: string) => errors.push(m);
		try {
			reply(v.object({ rows: v.array(row) }), { rows: [{ code: '420105', households: 12, members: '3' as never }] });
			expect.unreachable('a broken answer was sent');
		} catch (e) {
			expect(isHttpError(e) && e.status).toBe(500);
			expect(isHttpError(e) && e.body.message).toMatch(/rows\.0\.members/);
		} finally {
			console.error = original;
		}
		expect(errors.join('\n')).toMatch(/\[contract\].*rows\.0\.members/);
	});

	it('checks each line of a streamed answer', () => {
		expect(replyLine(row, { code: 'x', households: null, members: 0 })).toBe('{"code":"x","households":null,"members":0}\n');
		const original = console.error;
		console.error = () => {};
		try {
			expect(() => replyLine(row, { code: 'x', households: -1, members: 0 })).toThrow(/households/);
		} finally {
			console.error = original;
		}
	});
});

describe('the browser checks every answer against the same contract', () => {
	let server: Server;
	let base = '';
	const answers: Record<string, { status: number; body: string; headers?: Record<string, string>; chunks?: string[] }> = {
		'/good': { status: 200, body: JSON.stringify({ query: '红光', hits: [{ type: 'area', target: '420105001', label: '红光街道', detail: 'street' }] }) },
		'/drifted': { status: 200, body: JSON.stringify({ query: '红光', hits: [{ type: 'area', target: 420105001, label: '红光街道', detail: 'street' }] }) },
		'/computing': { status: 503, body: JSON.stringify({ message: 'coverage is being computed' }), headers: { 'retry-after': '5' } },
		'/missing': { status: 404, body: JSON.stringify({ message: 'no area with code 420105999' }) },
		'/lines': { status: 200, body: '', chunks: ['{"code":"a","househ', 'olds":1,"members":2}\n{"code":"b",', '"households":null,"members":0}\n'] }
	};

	beforeAll(async () => {
		server = createServer((req, res) => {
			const a = answers[req.url ?? ''];
			res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
			if (!a.chunks) return res.end(a.body);
			// a streamed answer whose lines break across chunks
			let i = 0;
			const next = () => (i < a.chunks!.length ? (res.write(a.chunks![i++]), setTimeout(next, 10)) : res.end());
			next();
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const address = server.address();
		base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
	});
	afterAll(() => server?.close());

	it('hands over an answer that keeps it', async () => {
		expect((await fetchJson(`${base}/good`, searchAnswer)).hits[0].label).toBe('红光街道');
	});

	it('refuses one that drifted, naming the field, and says so on the console (the e2e tests watch it)', async () => {
		const errors: string[] = [];
		const original = console.error;
		console.error = (m: string) => errors.push(m);
		try {
			const e = await fetchJson(`${base}/drifted`, searchAnswer).catch((x: unknown) => x);
			expect(e).toBeInstanceOf(ContractError);
			expect((e as ContractError).issue).toMatch(/^hits\.0\.target: /);
		} finally {
			console.error = original;
		}
		expect(errors).toHaveLength(1);
	});

	it('gives the status, the server’s message and Retry-After', async () => {
		const computing = await fetchJson(`${base}/computing`, searchAnswer).catch((x: unknown) => x);
		expect(computing).toBeInstanceOf(ApiError);
		expect(computing).toMatchObject({ status: 503, retryAfter: 5, message: 'coverage is being computed' });
		const missing = await fetchJson(`${base}/missing`, searchAnswer).catch((x: unknown) => x);
		expect(missing).toMatchObject({ status: 404, retryAfter: null, message: 'no area with code 420105999' });
	});

	it('reads a streamed answer line by line, each line checked, lines split across chunks', async () => {
		const lines = [];
		for await (const line of fetchLines(`${base}/lines`, row)) lines.push(line);
		expect(lines).toEqual([
			{ code: 'a', households: 1, members: 2 },
			{ code: 'b', households: null, members: 0 }
		]);
	});
});

describe('every JSON answer goes through its contract', () => {
	it.each(globSync('src/routes/**/+server.ts').sort())('%s sends JSON with reply(schema, …), never json() of its own', (file) => {
		const text = readFileSync(file, 'utf8');
		expect(text, `${file} imports SvelteKit's json()`).not.toMatch(/import\s*\{[^}]*\bjson\b[^}]*\}\s*from\s*'@sveltejs\/kit'/);
		expect(text, `${file} hand-makes a JSON response`).not.toMatch(/'content-type':\s*'application\/json/);
	});
});

describe('a schema cannot drift from its type', () => {
	it('every answer schema in src/lib/api is checked against its type with agrees<…>() or derives its type', () => {
		for (const file of globSync('src/lib/api/*.ts')) {
			const text = readFileSync(file, 'utf8');
			// a hand-written interface beside a schema must be tied to it
			if (!/answer|Answer/.test(text) || !/^export interface /m.test(text)) continue;
			expect(text, `${file} writes types by hand and schemas beside them: tie them with agrees<Type>()`).toMatch(/agrees</);
		}
	});

	it('the compiler refuses a schema that no longer matches its type', () => {
		// beside the sources (the imports are relative); tests/artifacts is not there in a fresh clone
		mkdirSync('tests/artifacts', { recursive: true });
		const dir = mkdtempSync(join(process.cwd(), 'tests/artifacts/contract-'));
		try {
			const file = join(dir, 'drift.ts');
			writeFileSync(
				file,
				[
					`import * as v from 'valibot';`,
					`import { agrees, count } from '../../../src/lib/api/contract.ts';`,
					`interface Row { code: string; households: number | null }`,
					`export const fine = agrees<Row>()(v.object({ code: v.string(), households: v.nullable(count) }));`,
					// the count is no longer nullable: a viewer's withheld count would break the client
					`export const drifted = agrees<Row>()(v.object({ code: v.string(), households: count }));`
				].join('\n')
			);
			let output = '';
			try {
				execFileSync(
					'node_modules/.bin/tsc',
					['--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--allowImportingTsExtensions', file],
					{ encoding: 'utf8' }
				);
			} catch (e) {
				output = String((e as { stdout: string }).stdout);
			}
			expect(output).toMatch(/drift\.ts\(5,/);
			expect(output).not.toMatch(/drift\.ts\(4,/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}, 60_000);
});
