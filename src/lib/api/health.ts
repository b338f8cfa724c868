// GET /api/health: `ok` or `down` for anyone (a load balancer's probe); for an administrator, what
// is running: the backend, PostGIS, the migrations applied, the dataset loaded.
import * as v from 'valibot';
import { count, jsonTime } from './contract.ts';

// the details first: a union answers with the first option that fits, and `{status}` alone fits every answer
export const healthAnswer = v.union([
	v.object({
		status: v.literal('ok'),
		backend: v.picklist(['embedded', 'server']),
		postgis: v.string(),
		migrations: v.array(v.object({ name: v.string(), applied_at: jsonTime })),
		dataset: v.nullable(v.object({ scale: v.string(), seed: v.number(), loaded_at: jsonTime, seconds: v.number(), counts: v.unknown() })),
		data_version: v.nullable(count)
	}),
	v.object({ status: v.picklist(['ok', 'down']) })
]);
