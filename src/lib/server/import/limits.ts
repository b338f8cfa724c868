// Bounds on what an import will read, before reading it (hostile files: issue 13).
// JICENG_IMPORT_MAX_MB raises or lowers the file size limit (default 2048 MB on the command
// line; the admin page's upload has its own, smaller bound).

export interface ImportLimits {
	/** largest file (or sum of a zip's entries, uncompressed) in bytes */
	maxBytes: number;
	/** most entries in a zip */
	maxZipEntries: number;
	/** largest uncompressed/compressed ratio of a zip entry (a zip bomb compresses 1000:1 and more) */
	maxZipRatio: number;
}

export function defaultLimits(): ImportLimits {
	const mb = Number(process.env.JICENG_IMPORT_MAX_MB ?? 2048);
	return { maxBytes: (Number.isFinite(mb) && mb > 0 ? mb : 2048) * 1024 * 1024, maxZipEntries: 1000, maxZipRatio: 100 };
}
