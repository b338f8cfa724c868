// `[id=id]`: a row id, 1 to 15 digits; any other path is no route at all (404).
import type { ParamMatcher } from '@sveltejs/kit';
import { ROW_ID } from '$lib/api/inputs';

export const match = ((param: string) => ROW_ID.test(param)) satisfies ParamMatcher;
