// One CSV cell, for every CSV the app writes: quoted when it must be (RFC 4180), and defused when
// a spreadsheet would run it as a formula (CSV injection).
//
// Excel, LibreOffice and WPS start a formula at = + - @, also after leading blanks, and treat a
// leading tab or carriage return specially: every text cell whose first non-blank character is one
// of those, or that starts with a tab, CR or LF, gets a leading apostrophe, which spreadsheets
// show as a plain-text marker. Arrays are joined with `;` first and the joined text is defused.
// Numbers (the number type, finite) are written as they are, negative ones included.

const FORMULA_START = /^\s*[=+\-@]|^[\t\r\n]/;

export function csvCell(v: unknown): string {
	if (v === null || v === undefined) return '';
	let s: string;
	if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint') {
		s = String(v);
	} else {
		s = Array.isArray(v) ? v.map((x) => (x === null || x === undefined ? '' : String(x))).join(';') : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
		if (FORMULA_START.test(s)) s = `'${s}`;
	}
	return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
