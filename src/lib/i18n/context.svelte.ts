// The current locale and `t`, handed to every component by the root layout (+layout.svelte calls
// I18n.provide()). zh-CN by default; the map page's language button switches to English.
//   const { t, n } = I18n.get();   …   {t('selection.figures')}  {t('coverage.hh', { n: 12 })}
// `t` reads the locale when called, so text in the template follows a switch.
import { getContext, setContext } from 'svelte';
import { DEFAULT_LOCALE, formatDateTime, formatNumber, localized, translate, type Locale, type Localized, type Translate } from './index.ts';

const KEY = Symbol('jiceng.i18n');

export class I18n {
	locale = $state<Locale>(DEFAULT_LOCALE);

	constructor(locale: Locale = DEFAULT_LOCALE) {
		this.locale = locale;
	}

	/** the message in the current locale, its {placeholders} filled (numbers formatted for the locale) */
	t: Translate = (key, ...args) => translate(this.locale, key, ...args);
	/** a number in the current locale: 12,345 */
	n = (value: number): string => formatNumber(this.locale, value);
	/** a date and time in the current locale */
	dateTime = (value: string | number | Date): string => formatDateTime(this.locale, value);
	/** a label the server sent in both languages, in the current one */
	localized = (label: Localized): string => localized(label, this.locale);
	/** zh-CN ⇄ en */
	toggle = (): void => {
		this.locale = this.locale === 'zh-CN' ? 'en' : 'zh-CN';
	};

	static provide(locale?: Locale): I18n {
		return setContext(KEY, new I18n(locale));
	}

	static get(): I18n {
		const context = getContext<I18n | undefined>(KEY);
		if (!context) throw new Error('I18n context not found: provided by the root +layout.svelte');
		return context;
	}
}
