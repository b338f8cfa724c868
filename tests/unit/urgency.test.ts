// Which urgency a request waits for a connection with (db/urgency.ts): a person waiting on a page,
// a panel, a form or a map tile goes first, what the phones' outbox sends (it retries) last; work
// outside a request is background; the budgets keep that order.
import { describe, expect, it } from 'vitest';
import { currentUrgency, requestUrgency, URGENCY_BUDGET_MS, withUrgency } from '../../src/lib/server/db/urgency.ts';

describe('request urgency', () => {
	it('sorts requests by what they ask', () => {
		const cases: [string, string, string][] = [
			['GET', '/api/areas/110105/summary', 'read'],
			['GET', '/grid/110105001001001', 'read'],
			['HEAD', '/api/health', 'read'],
			['GET', '/tiles/buildings/14/13500/6200.mvt', 'tile'],
			['POST', '/api/visits', 'write'],
			['POST', '/api/requests', 'write'],
			['POST', '/api/requests/12/photo', 'write'],
			// a person waits on these writes
			['POST', '/login', 'read'],
			['POST', '/api/members/5/reveal', 'read'],
			['PATCH', '/api/requests/12', 'read'],
			['PATCH', '/api/visits/3', 'read'],
			['POST', '/api/import', 'read']
		];
		expect(cases.map(([m, p]) => [m, p, requestUrgency(m, p)])).toEqual(cases);
	});

	it('orders the budgets prompt < read = tile < write, and runs work outside a request as background', async () => {
		const b = URGENCY_BUDGET_MS;
		// a tile and a panel both have a person waiting: neither yields to the other
		expect(b.prompt < b.read && b.read === b.tile && b.tile < b.write).toBe(true);
		expect(currentUrgency()).toBe('background');
		// the urgency follows the work through its awaits
		const seen = await withUrgency('tile', async () => {
			await new Promise((ok) => setTimeout(ok, 5));
			return currentUrgency();
		});
		expect(seen).toBe('tile');
		expect(currentUrgency()).toBe('background');
	});
});
