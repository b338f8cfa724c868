// Times on the administrators' and the auditor's pages: Beijing time (UTC+8, no daylight saving),
// formatted the same on the server and in the browser.
const OFFSET_MS = 8 * 3600_000;

/** `2025-03-01 14:05:09` in Beijing time; `—` for none. */
export function beijingTime(iso: string | null | undefined, seconds = true): string {
	if (!iso) return '—';
	const t = new Date(new Date(iso).getTime() + OFFSET_MS).toISOString();
	return `${t.slice(0, 10)} ${t.slice(11, seconds ? 19 : 16)}`;
}

/** A `datetime-local` (or date-only) value read as Beijing time; null when empty or malformed. */
export function parseBeijingTime(value: string | null | undefined): Date | null {
	const v = value?.trim();
	if (!v) return null;
	const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?$/.exec(v);
	if (!m) return null;
	const time = m[2] ? (m[2].length === 5 ? `${m[2]}:00` : m[2]) : '00:00:00';
	const d = new Date(`${m[1]}T${time}+08:00`);
	return Number.isNaN(d.getTime()) ? null : d;
}
