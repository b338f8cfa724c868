// Builds the offline SDF glyph PBFs in static/glyphs/{fontstack}/{start}-{end}.pbf.
//
// Run by hand (`node scripts/build-glyphs.ts`); the output is committed, so the app never needs
// Chromium. CJK ideographs (and everything else MapLibre's `localIdeographFontFamily` covers)
// are drawn client-side by MapLibre, so we only ship real glyphs for the ranges in GLYPH_RANGES;
// every other BMP range gets a valid but empty PBF so a stray character never causes a 404.
//
// Glyphs are rasterised in Debian's Chromium with TinySDF, the same SDF code and parameters
// (24px, buffer 3, radius 8, cutoff 0.25) MapLibre uses, from a system font found by fontconfig.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { PbfWriter } from 'pbf';

const OUT_DIR = 'static/glyphs';

/** The fontstack names the style refers to, and the system font that provides them. */
const STACKS = [
	{ name: 'Noto Sans Regular', family: 'Noto Sans CJK SC', style: 'Regular', weight: '400' },
	{ name: 'Noto Sans Bold', family: 'Noto Sans CJK SC', style: 'Bold', weight: '700' }
];

/** First code point of each 256-range that gets real glyphs. */
const GLYPH_RANGES = [
	0, // Basic Latin, Latin-1
	256, // Latin Extended-A/B (pinyin tone letters)
	8192, // General Punctuation
	12288, // CJK Symbols & Punctuation, kana
	65280 // Halfwidth & Fullwidth Forms
];

// TinySDF parameters MapLibre uses for glyph PBFs (1x, 24px em).
const FONT_SIZE = 24;
const BUFFER = 3;
const RADIUS = 8;
const CUTOFF = 0.25;
/**
 * MapLibre places the top edge of a glyph's ink `top` px above a baseline that sits 27px below the
 * glyph origin: its locally drawn glyphs use `glyphTop / 2 - 27.5` at 2x with a half-pixel atlas
 * padding offset, which also works out to a baseline 27px down. Using `glyphTop - 27` here puts
 * shipped and locally drawn (CJK) glyphs on the same baseline.
 */
const BASELINE = 27;

type Glyph = {
	id: number;
	width: number;
	height: number;
	left: number;
	top: number;
	advance: number;
	bitmap?: Uint8Array;
};

type RawGlyph = {
	id: number;
	glyphWidth: number;
	glyphHeight: number;
	glyphLeft: number;
	glyphTop: number;
	glyphAdvance: number;
	data: string; // base64
};

/** Code points the font maps, from fontconfig's charset (e.g. "20-7e a0-103 192"). */
function fontCharset(family: string, style: string): { codePoints: Set<number>; file: string; version: string } {
	const out = execFileSync('fc-list', ['--format', '%{family[0]}\t%{style[0]}\t%{file}\t%{fontversion}\t%{charset}\n', `${family}:style=${style}`], {
		encoding: 'utf8'
	});
	const line = out.split('\n').find((l) => l.split('\t')[0] === family && l.split('\t')[1] === style);
	if (!line) throw new Error(`font "${family}" (${style}) not found by fontconfig; install fonts-noto-cjk`);
	const [, , file, version, charset] = line.split('\t');
	const codePoints = new Set<number>();
	for (const part of charset.trim().split(/\s+/)) {
		const [a, b = a] = part.split('-').map((h) => parseInt(h, 16));
		for (let cp = a; cp <= b; cp++) codePoints.add(cp);
	}
	return { codePoints, file, version: (Number(version) / 65536).toFixed(3) };
}

/** Code points in [start, start + 255] that should become glyphs. */
function wantedCodePoints(start: number, charset: Set<number>): number[] {
	const ids: number[] = [];
	for (let cp = start; cp < start + 256; cp++) {
		if (!charset.has(cp)) continue;
		const ch = String.fromCodePoint(cp);
		if (/\p{Cc}|\p{Cs}|\p{Co}|\p{Cn}/u.test(ch)) continue; // controls, surrogates, private use, unassigned
		ids.push(cp);
	}
	return ids;
}

function writeGlyph(g: Glyph, pbf: PbfWriter) {
	pbf.writeVarintField(1, g.id);
	if (g.bitmap) pbf.writeBytesField(2, g.bitmap);
	pbf.writeVarintField(3, g.width);
	pbf.writeVarintField(4, g.height);
	pbf.writeSVarintField(5, g.left);
	pbf.writeSVarintField(6, g.top);
	pbf.writeVarintField(7, g.advance);
}

/** glyphs.proto: glyphs { repeated fontstack stacks = 1 } fontstack { name = 1; range = 2; repeated glyph glyphs = 3 } */
function encodeRange(name: string, start: number, glyphs: Glyph[]): Uint8Array {
	const pbf = new PbfWriter();
	pbf.writeMessage(
		1,
		(_: unknown, p: PbfWriter) => {
			p.writeStringField(1, name);
			p.writeStringField(2, `${start}-${start + 255}`);
			for (const g of glyphs) p.writeMessage(3, writeGlyph, g);
		},
		null
	);
	return pbf.finish();
}

function toGlyph(raw: RawGlyph): Glyph {
	const empty = raw.glyphWidth === 0 || raw.glyphHeight === 0;
	const bitmap = empty ? undefined : new Uint8Array(Buffer.from(raw.data, 'base64'));
	if (bitmap && bitmap.length !== (raw.glyphWidth + 2 * BUFFER) * (raw.glyphHeight + 2 * BUFFER)) {
		throw new Error(`U+${raw.id.toString(16)}: bitmap size mismatch`);
	}
	return {
		id: raw.id,
		width: empty ? 0 : raw.glyphWidth,
		height: empty ? 0 : raw.glyphHeight,
		left: empty ? 0 : raw.glyphLeft,
		top: empty ? -BASELINE : raw.glyphTop - BASELINE,
		advance: Math.max(0, Math.round(raw.glyphAdvance)),
		bitmap
	};
}

// TinySDF is an ES module; load it into the page as a classic script exposing window.TinySDF.
const require = createRequire(import.meta.url);
const tinySdfSource = readFileSync(require.resolve('@mapbox/tiny-sdf'), 'utf8').replace(/export default class TinySDF/, 'class TinySDF');
if (tinySdfSource.includes('export ')) throw new Error('unexpected @mapbox/tiny-sdf module shape');

const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync']
});
const chromiumVersion = browser.version();
const page = await browser.newPage();
await page.setContent('<!doctype html><meta charset="utf-8"><title>glyphs</title>');
await page.addScriptTag({ content: `${tinySdfSource}\nwindow.TinySDF = TinySDF;` });

const summary: string[] = [];
let totalBytes = 0;
const fontInfo: string[] = [];

for (const stack of STACKS) {
	const { codePoints: charset, file, version } = fontCharset(stack.family, stack.style);
	fontInfo.push(`- \`${stack.name}\`: ${stack.family} ${stack.style} (weight ${stack.weight}), version ${version}, ${file}`);

	// Make sure Chromium really resolves the family (otherwise it silently falls back).
	const resolved = await page.evaluate(
		({ family, weight }) => {
			const ctx = new OffscreenCanvas(8, 8).getContext('2d')!;
			const sample = 'Hamburgefonstiv 0123456789';
			const widths = ['monospace', 'serif', 'sans-serif'].map((generic) => {
				ctx.font = `${weight} 24px ${generic}`;
				const base = ctx.measureText(sample).width;
				ctx.font = `${weight} 24px '${family}', ${generic}`;
				return ctx.measureText(sample).width !== base;
			});
			return widths.filter(Boolean).length >= 2;
		},
		{ family: stack.family, weight: stack.weight }
	);
	if (!resolved) throw new Error(`Chromium does not resolve font family "${stack.family}"`);

	const dir = join(OUT_DIR, stack.name);
	rmSync(dir, { recursive: true, force: true });
	mkdirSync(dir, { recursive: true });

	let glyphCount = 0;
	let stackBytes = 0;
	for (let start = 0; start < 65536; start += 256) {
		let glyphs: Glyph[] = [];
		if (GLYPH_RANGES.includes(start)) {
			const ids = wantedCodePoints(start, charset);
			const raw: RawGlyph[] = await page.evaluate(
				({ ids, family, weight, fontSize, buffer, radius, cutoff }) => {
					// @ts-expect-error injected above
					const sdf = new window.TinySDF({ fontSize, buffer, radius, cutoff, fontFamily: `'${family}'`, fontWeight: weight });
					return ids.map((id) => {
						const g = sdf.draw(String.fromCodePoint(id));
						let bin = '';
						for (const byte of g.data as Uint8ClampedArray) bin += String.fromCharCode(byte);
						return {
							id,
							glyphWidth: g.glyphWidth,
							glyphHeight: g.glyphHeight,
							glyphLeft: g.glyphLeft,
							glyphTop: g.glyphTop,
							glyphAdvance: g.glyphAdvance,
							data: btoa(bin)
						};
					});
				},
				{ ids, family: stack.family, weight: stack.weight, fontSize: FONT_SIZE, buffer: BUFFER, radius: RADIUS, cutoff: CUTOFF }
			);
			glyphs = raw.map(toGlyph);
			const clipped = glyphs.filter((g) => g.width >= FONT_SIZE + BUFFER * 3 || g.height >= FONT_SIZE + BUFFER * 3);
			if (clipped.length) {
				console.warn(`${stack.name} ${start}: clipped glyphs ${clipped.map((g) => 'U+' + g.id.toString(16)).join(' ')}`);
			}
			glyphCount += glyphs.length;
		}
		const bytes = encodeRange(stack.name, start, glyphs);
		writeFileSync(join(dir, `${start}-${start + 255}.pbf`), bytes);
		stackBytes += bytes.length;
		if (glyphs.length) summary.push(`${stack.name} ${start}-${start + 255}: ${glyphs.length} glyphs, ${bytes.length} bytes`);
	}
	totalBytes += stackBytes;
	summary.push(`${stack.name}: ${glyphCount} glyphs, 256 files, ${stackBytes} bytes`);
}

await browser.close();

writeFileSync(
	join(OUT_DIR, 'README.md'),
	`# Glyphs

Generated by \`node scripts/build-glyphs.ts\` — do not edit by hand.

SDF glyph PBFs (Mapbox glyphs.proto; TinySDF, 24px, buffer ${BUFFER}, radius ${RADIUS}, cutoff ${CUTOFF};
rendered in Chromium ${chromiumVersion}) for the style's \`glyphs\` URL
\`/glyphs/{fontstack}/{range}.pbf\`. Real glyphs only in the ranges starting at
${GLYPH_RANGES.join(', ')}; all other BMP ranges are valid empty PBFs. CJK ideographs are drawn
in the browser by MapLibre (\`localIdeographFontFamily\`).

${fontInfo.join('\n')}

The glyph bitmaps are derived from Noto Sans CJK, © Google / Adobe, licensed under the
SIL Open Font License 1.1 (https://openfontlicense.org).
`
);

for (const line of summary) console.log(line);
console.log(`total ${totalBytes} bytes in ${STACKS.length * 256} files under ${OUT_DIR}`);
