// Colours shared by the base style, deck.gl layers and legends, so a legend never lies.
export const palette = {
	background: '#f4f1ea',
	water: '#a9cbe3',
	district: '#7f1d1d',
	street: '#b91c1c',
	community: '#c2410c',
	grid: '#78716c',
	roadArterial: '#ffffff',
	roadCasing: '#d6cfc2',
	label: '#3f3a36',
	labelHalo: '#ffffff'
} as const;
