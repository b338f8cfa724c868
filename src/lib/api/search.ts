// What the search box receives (GET /api/search): areas, buildings and organisations in the
// caller's area. People are not searchable there.
import * as v from 'valibot';

export const searchHit = v.object({
	type: v.picklist(['area', 'building', 'organisation']),
	/** what selecting it opens: an area code or `b:<building id>` */
	target: v.string(),
	label: v.string(),
	detail: v.string()
});
export type SearchHit = v.InferOutput<typeof searchHit>;

export const searchAnswer = v.object({ query: v.string(), hits: v.array(searchHit) });
