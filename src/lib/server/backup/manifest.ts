// A backup is two files side by side: the dump itself (pg_dump's custom format for the server,
// PGlite's data folder as a .tar.gz for the embedded database) and `<dump>.manifest.json`, which
// says what the dump holds, so a restore can prove it brought everything back.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { BackendKind } from '../db/config.ts';
import type { Fingerprint } from './fingerprint.ts';

export const MANIFEST_FORMAT = 'jiceng-backup/1';

export interface Manifest {
	format: typeof MANIFEST_FORMAT;
	backend: BackendKind;
	createdAt: string;
	/** the dump's file name (beside the manifest) and size */
	file: string;
	bytes: number;
	seconds: number;
	migrations: string[];
	fingerprint: Fingerprint;
	/** server only: extensions to have, roles the dump's grants and policies name, per-database role settings */
	server?: {
		version: string;
		extensions: { name: string; version: string }[];
		roles: string[];
		roleSettings: { role: string; setting: string }[];
	};
}

export class BackupError extends Error {}

export const manifestPath = (dumpFile: string) => `${dumpFile}.manifest.json`;

export function writeManifest(dumpFile: string, manifest: Manifest): void {
	const path = manifestPath(dumpFile);
	writeFileSync(`${path}.part`, JSON.stringify(manifest, null, '\t') + '\n');
	renameSync(`${path}.part`, path);
}

export function readManifest(dumpFile: string): Manifest {
	const path = manifestPath(dumpFile);
	let text: string;
	try {
		text = readFileSync(path, 'utf8');
	} catch (e) {
		throw new BackupError(
			`${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): every backup has its manifest beside it, which the restore checks the data against`
		);
	}
	let m: Manifest;
	try {
		m = JSON.parse(text) as Manifest;
	} catch (e) {
		throw new BackupError(`${path} is not valid JSON (${(e as Error).message})`);
	}
	if (m.format !== MANIFEST_FORMAT) throw new BackupError(`${path} is not a Jiceng backup manifest (format ${String(m.format)}, expected ${MANIFEST_FORMAT})`);
	return m;
}

/** `jiceng-<backend>-20261204T052100Z` */
export function defaultBaseName(backend: BackendKind, at = new Date()): string {
	return `jiceng-${backend}-${at
		.toISOString()
		.replace(/[-:]/g, '')
		.replace(/\.\d+Z$/, 'Z')}`;
}
