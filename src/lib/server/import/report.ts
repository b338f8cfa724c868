// The validation report as a download: CSV, UTF-8 with BOM (Excel opens it), cells defused.
import { csvCell } from '../csv.ts';
import type { ReportRow } from './types.ts';

export function reportCsv(rows: ReportRow[]): string {
	const lines = [['file', 'feature', 'field', 'reason', 'action'].join(',')];
	for (const r of rows) lines.push([r.file, r.feature, r.field, r.reason, r.action].map(csvCell).join(','));
	return `\ufeff${lines.join('\r\n')}\r\n`;
}
