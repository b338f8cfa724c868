// The inputs the API accepts, as schemas both sides use: the server parses every request with
// them (src/lib/server/api/endpoint.ts) and the browser builds its requests from the same
// definitions, so a rule (what an area code is, how many pins a suggestion takes) is written once.
import * as v from 'valibot';

/** An area code: the district's 6 digits, then 3 per level (street, community, grid). */
export const AREA_CODE = /^\d{6}(\d{3}){0,3}$/;
/** digits of an area's code by its level (sql/001 area_code_shape) */
export const AREA_CODE_LENGTH = { district: 6, street: 9, community: 12, grid: 15 } as const;
/** A row id as the URL spells it (bigint-sized, no sign, no leading junk). */
export const ROW_ID = /^\d{1,15}$/;

export const areaCode = v.pipe(v.string(), v.regex(AREA_CODE, 'must be an area code: 6, 9, 12 or 15 digits'));
export const rowId = v.pipe(v.string(), v.regex(ROW_ID, 'must be an id: 1 to 15 digits'), v.transform(Number));

/** A whole number in a query string, with its bounds; absent or empty gives `fallback`. */
export function wholeNumber(min: number, max: number, fallback: number) {
	return v.optional(
		v.pipe(
			v.string(),
			v.transform((s) => (s === '' ? fallback : Number(s))),
			v.number(`must be an integer from ${min} to ${max}`),
			v.integer(`must be an integer from ${min} to ${max}`),
			v.minValue(min, `must be an integer from ${min} to ${max}`),
			v.maxValue(max, `must be an integer from ${min} to ${max}`)
		),
		String(fallback)
	);
}

/** One of a few words; absent gives `fallback`. */
export function oneOf<const T extends readonly [string, ...string[]]>(options: T, fallback?: T[number]) {
	const word = v.picklist(options, `must be one of ${options.join(', ')}`);
	return fallback === undefined ? word : v.optional(word, fallback);
}

/** `within`: narrows the caller's area (the server refuses any that would widen it). */
export const within = v.optional(v.union([v.literal(''), areaCode], 'must be an area code: 6, 9, 12 or 15 digits'));

export const lonLat = v.object({
	lon: v.pipe(
		v.number('must be a number'),
		v.finite('must be a finite number'),
		v.minValue(-180, 'must be from -180 to 180'),
		v.maxValue(180, 'must be from -180 to 180')
	),
	lat: v.pipe(
		v.number('must be a number'),
		v.finite('must be a finite number'),
		v.minValue(-90, 'must be from -90 to 90'),
		v.maxValue(90, 'must be from -90 to 90')
	)
});

/** `lon,lat;lon,lat`: the pinned points of a site suggestion (at most 20). */
export const pinList = v.optional(
	v.pipe(
		v.string(),
		v.maxLength(20 * 48, 'is too long'),
		v.transform((s) => s.split(';').filter(Boolean)),
		v.maxLength(20, 'holds at most 20 pins'),
		v.rawTransform(({ dataset, addIssue, NEVER }) => {
			const points: { lon: number; lat: number }[] = [];
			for (const p of dataset.value) {
				const [lon, lat] = p.split(',').map(Number);
				if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
					addIssue({ message: `pin "${p.slice(0, 40)}" is not lon,lat` });
					return NEVER;
				}
				points.push({ lon, lat });
			}
			return points;
		})
	),
	''
);

/** `kind:key,kind:key`: candidate sites kept in or left out of a suggestion (junk is dropped). */
export const siteKeys = v.optional(
	v.pipe(
		v.string(),
		v.maxLength(50 * 64, 'is too long'),
		v.transform((s) =>
			s
				.split(',')
				.map((k) => k.trim())
				.filter((k) => /^[a-z]+:[\w.:-]{1,60}$/.test(k))
				.slice(0, 50)
		)
	),
	''
);

export const exportFormat = <const T extends readonly ['json', ...('csv' | 'geojson')[]]>(formats: T) => oneOf(formats, 'json');
