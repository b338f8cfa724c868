// `[code=areacode]`: 6, 9, 12 or 15 digits; any other path is no route at all (404).
import type { ParamMatcher } from '@sveltejs/kit';
import { AREA_CODE } from '$lib/api/inputs';

export const match = ((param: string) => AREA_CODE.test(param)) satisfies ParamMatcher;
