// GCJ-02 (the "Mars" coordinates of Chinese web maps): lon/lat shifted by a few hundred metres
// by a published obfuscation formula. A file in GCJ-02 lies systematically off the layers already
// in the database; if moving a sample of its points back (GCJ-02 → WGS84, gcoord) brings them
// much nearer to the existing buildings and roads, it is most likely GCJ-02: warn, and offer the
// conversion (--from-gcj02, or the page's checkbox), which is then applied to every coordinate.
import { sql } from 'kysely';
import gcoord from 'gcoord';
import type { Scoped } from '../db/scoped.ts';
import type { RawGeometry } from './types.ts';

export interface GcjVerdict {
	suspect: boolean;
	/** median distance of the sample to the nearest existing feature, as read and as GCJ-02 → WGS84 (m) */
	asRead: number | null;
	converted: number | null;
	sample: number;
}

/** Tests a sample of lon/lat points against the buildings and roads already stored. */
export async function detectGcj02(trx: Scoped, sample: [number, number][]): Promise<GcjVerdict> {
	const pts = sample.filter(([x, y]) => x > 72 && x < 137 && y > 3 && y < 54).slice(0, 200);
	if (pts.length < 3) return { suspect: false, asRead: null, converted: null, sample: pts.length };
	const back = pts.map((p) => gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84) as [number, number]);
	// the median distance to the nearest stored building or road, and the share of points on one (within 5 m)
	const measure = async (points: [number, number][]): Promise<{ median: number | null; near: number }> => {
		const { rows } = await sql<{ d: number | null; near: number | null }>`
			with p as (select ST_SetSRID(ST_MakePoint((v->>0)::float8, (v->>1)::float8), 4326) as g from json_array_elements(${JSON.stringify(points)}::json) v),
			d as (select least(
				(select ST_Distance(b.geom::geography, p.g::geography) from building b order by b.geom <-> p.g limit 1),
				(select ST_Distance(r.geom::geography, p.g::geography) from road r order by r.geom <-> p.g limit 1)) as d from p)
			select percentile_cont(0.5) within group (order by d) as d, avg((d < 5)::int)::float8 as near from d where d is not null`.execute(trx);
		return { median: rows[0]?.d == null ? null : Number(rows[0].d), near: Number(rows[0]?.near ?? 0) };
	};
	const a = await measure(pts);
	const b = await measure(back);
	const asRead = a.median;
	const converted = b.median;
	// most converted points sit on stored features, far more than as read: the file is GCJ-02
	const suspect = asRead !== null && converted !== null && b.near >= 0.5 && b.near >= 3 * a.near && converted < asRead / 3;
	return { suspect, asRead, converted, sample: pts.length };
}

/** GCJ-02 → WGS84 for a GeoJSON geometry (a copy). */
export function geometryFromGcj02(g: RawGeometry): RawGeometry {
	return gcoord.transform(structuredClone(g) as never, gcoord.GCJ02, gcoord.WGS84) as unknown as RawGeometry;
}
