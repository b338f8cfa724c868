// Masking of personal details, the same on every screen: 张*明, 138****1234.

/** Keeps the first and last character of a name: 张明 → 张*, 张小明 → 张*明, 欧阳小明 → 欧**明. */
export function maskName(name: string): string {
	const chars = [...name.trim()];
	if (chars.length <= 1) return '*';
	if (chars.length === 2) return `${chars[0]}*`;
	return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}

/** Keeps the first three and last four digits of an 11-digit phone: 138****1234. */
export function maskPhone(phone: string): string {
	const digits = phone.replace(/\D/g, '');
	if (digits.length < 7) return '*'.repeat(digits.length);
	return digits.slice(0, 3) + '*'.repeat(digits.length - 7) + digits.slice(-4);
}
