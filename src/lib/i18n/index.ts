// One i18n mechanism for the whole UI: a message catalogue per locale (messages/zh-CN.ts is the
// source of truth, messages/en.ts has every key), `t(key, params)` with {placeholders}, and
// numbers formatted for the locale. Components reach the current locale and `t` through the
// I18n context (context.svelte.ts: `const { t } = I18n.get()`); the pages that show both
// languages side by side (sign-in, password, admin, audit, kiosk) use `zh`, `en` and `both`.
// Labels the server sends as `{ 'zh-CN': …, en: … }` JSON are read with `localized`.
import { messages as zhCN } from './messages/zh-CN.ts';
import { messages as enMessages } from './messages/en.ts';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const DEFAULT_LOCALE: Locale = 'zh-CN';

export type MessageKey = keyof typeof zhCN;
export const catalogues: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en: enMessages };

type PlaceholdersOf<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | PlaceholdersOf<Rest> : never;
/** the {placeholders} of a message (read from the zh-CN text; the test holds en to the same) */
export type Placeholders<K extends MessageKey> = PlaceholdersOf<(typeof zhCN)[K]>;
/** a number is formatted for the locale; a string is put in as it is */
export type MessageValue = string | number;
/** no second argument for a message without placeholders, else a value for each */
export type MessageArgs<K extends MessageKey> = [Placeholders<K>] extends [never] ? [] : [params: Record<Placeholders<K>, MessageValue>];
/** a message without {placeholders}: what label tables (layer names, kinds, …) hold */
export type PlainKey = { [K in MessageKey]: [Placeholders<K>] extends [never] ? K : never }[MessageKey];
export type Translate = <K extends MessageKey>(key: K, ...args: MessageArgs<K>) => string;

/** A label the server sends in both languages (JSON `{ "zh-CN": …, "en": … }`). */
export type Localized = Record<Locale, string>;

const numberFormats = new Map<Locale, Intl.NumberFormat>();
export function formatNumber(locale: Locale, n: number): string {
	let format = numberFormats.get(locale);
	if (!format) numberFormats.set(locale, (format = new Intl.NumberFormat(locale)));
	return format.format(n);
}

export function formatDateTime(locale: Locale, value: string | number | Date): string {
	return new Date(value).toLocaleString(locale);
}

export function translate<K extends MessageKey>(locale: Locale, key: K, ...args: MessageArgs<K>): string {
	const text = catalogues[locale][key] ?? catalogues[DEFAULT_LOCALE][key];
	const params = args[0] as Record<string, MessageValue> | undefined;
	if (!params) return text;
	// one pass: a value that itself reads `{x}` is not expanded again
	return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
		const value = params[name];
		return value === undefined ? whole : typeof value === 'number' ? formatNumber(locale, value) : value;
	});
}

export function localized(label: Localized, locale: Locale): string {
	return label[locale] ?? label[DEFAULT_LOCALE];
}

// The pages shown in both languages at once: each string from the catalogue in Chinese and in English.
export const zh: Translate = (key, ...args) => translate('zh-CN', key, ...args);
export const en: Translate = (key, ...args) => translate('en', key, ...args);
/** `中文 English` */
export const both: Translate = (key, ...args) => `${zh(key, ...args)} ${en(key, ...args)}`;
