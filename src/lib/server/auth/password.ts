// Passwords: argon2id hashes; at least 8 characters from 3 of the 4 classes (等保 level 3).
import { randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export const PASSWORD_MAX_AGE_DAYS = 90;

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, username?: string): string | null {
	if (password.length < 8) return 'password must have at least 8 characters';
	if (password.length > 128) return 'password must have at most 128 characters';
	const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(password)).length;
	if (classes < 3) return 'password must mix 3 of: lower case, upper case, digits, symbols';
	if (username && password.toLowerCase().includes(username.toLowerCase())) return 'password must not contain the user name';
	return null;
}

export function hashPassword(password: string): Promise<string> {
	// argon2id with the library's defaults (m=19 MiB, t=2, p=1: OWASP's minimum)
	return hash(password);
}

let verifications = 0;
/** How many argon2 verifications this process has run (dummy ones included): for tests. */
export function verificationCount(): number {
	return verifications;
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
	verifications++;
	try {
		return await verify(stored, password);
	} catch {
		return false;
	}
}

/** A hash to verify against when the user does not exist, so timing doesn't tell. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
	dummy ??= hashPassword('not-a-real-password-Aa1!');
	return dummy;
}

/**
 * The first password of an account the system administrator requested is two halves: A, shown to
 * the system administrator at the request, and B, shown to the security administrator at the
 * approval. The owner types A then B. Each half: 10 characters from 56 unambiguous ones (58 bits).
 */
export const ACTIVATION_HALF_LENGTH = 10;
const HALF_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

export function generateHalf(): string {
	let out = '';
	for (let i = 0; i < ACTIVATION_HALF_LENGTH; i++) out += HALF_ALPHABET[randomInt(HALF_ALPHABET.length)];
	return out;
}
