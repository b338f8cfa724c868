// Checks the committed SDF glyph PBFs in static/glyphs (built by scripts/build-glyphs.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PbfReader } from 'pbf';
import { describe, expect, it } from 'vitest';

const GLYPHS_DIR = join(import.meta.dirname, '..', 'static', 'glyphs');
const STACKS = ['Noto Sans Regular', 'Noto Sans Bold'];
const BUFFER = 3; // MapLibre's GLYPH_PBF_BORDER

type Glyph = {
	id: number;
	bitmap?: Uint8Array;
	width: number;
	height: number;
	left: number;
	top: number;
	advance: number;
};
type Fontstack = { name?: string; range?: string; glyphs: Glyph[] };

// glyphs.proto, read the way MapLibre's parse_glyph_pbf.ts does
function decode(buf: Uint8Array): Fontstack[] {
	return new PbfReader(buf).readFields((tag, stacks: Fontstack[], pbf) => {
		if (tag !== 1) throw new Error(`unexpected top-level field ${tag}`);
		stacks.push(
			pbf.readMessage(
				(tag, stack: Fontstack, pbf) => {
					if (tag === 1) stack.name = pbf.readString();
					else if (tag === 2) stack.range = pbf.readString();
					else if (tag === 3) {
						stack.glyphs.push(
							pbf.readMessage((tag, g: Glyph, pbf) => {
								if (tag === 1) g.id = pbf.readVarint();
								else if (tag === 2) g.bitmap = pbf.readBytes();
								else if (tag === 3) g.width = pbf.readVarint();
								else if (tag === 4) g.height = pbf.readVarint();
								else if (tag === 5) g.left = pbf.readSVarint();
								else if (tag === 6) g.top = pbf.readSVarint();
								else if (tag === 7) g.advance = pbf.readVarint();
								else throw new Error(`unexpected glyph field ${tag}`);
							}, {} as Glyph)
						);
					} else throw new Error(`unexpected fontstack field ${tag}`);
				},
				{ glyphs: [] } as Fontstack
			)
		);
	}, []);
}

function load(stack: string, start: number): Fontstack {
	const file = join(GLYPHS_DIR, stack, `${start}-${start + 255}.pbf`);
	const stacks = decode(new Uint8Array(readFileSync(file)));
	expect(stacks, file).toHaveLength(1);
	return stacks[0];
}

function glyphMap(stack: string, start: number): Map<number, Glyph> {
	return new Map(load(stack, start).glyphs.map((g) => [g.id, g]));
}

const char = (c: string) => c.codePointAt(0)!;

describe('static/glyphs', () => {
	it('has a decodable PBF for every BMP range of every fontstack', () => {
		for (const stack of STACKS) {
			for (let start = 0; start < 65536; start += 256) {
				const fs = load(stack, start);
				expect(fs.name).toBe(stack);
				expect(fs.range).toBe(`${start}-${start + 255}`);
				for (const g of fs.glyphs) {
					expect(g.id >= start && g.id <= start + 255, `U+${g.id.toString(16)} in ${fs.range}`).toBe(true);
					expect(g.advance).toBeTypeOf('number');
					expect(g.top).toBeTypeOf('number');
					if (g.width > 0 && g.height > 0) {
						expect(g.bitmap?.length, `bitmap of U+${g.id.toString(16)}`).toBe((g.width + 2 * BUFFER) * (g.height + 2 * BUFFER));
					} else {
						expect(g.bitmap === undefined || g.bitmap.length === 0).toBe(true);
					}
				}
			}
		}
	});

	it('ships real Latin glyphs with MapLibre-compatible metrics', () => {
		const latin = glyphMap('Noto Sans Regular', 0);
		for (const c of 'AZaz09,.()-') expect(latin.has(char(c)), c).toBe(true);

		const A = latin.get(char('A'))!;
		expect(A.width).toBeGreaterThanOrEqual(10);
		expect(A.width).toBeLessThanOrEqual(20);
		expect(A.height).toBeGreaterThanOrEqual(14);
		expect(A.height).toBeLessThanOrEqual(21);
		expect(A.advance).toBeGreaterThanOrEqual(10);
		expect(A.advance).toBeLessThanOrEqual(20);
		expect(A.bitmap).toHaveLength((A.width + 6) * (A.height + 6));
		// baseline 27px below the origin, like MapLibre's locally drawn glyphs: top = capHeight - 27
		expect(A.top).toBe(A.height - 27);

		// A real SDF: inside values above the 0.25 cutoff edge (191), outside near 0
		const bitmap = A.bitmap!;
		expect(Math.max(...bitmap)).toBeGreaterThan(200);
		expect(bitmap[0]).toBeLessThan(40);

		// descender: 'g' reaches below the baseline, 'x' sits on it
		const g = latin.get(char('g'))!;
		const x = latin.get(char('x'))!;
		expect(g.height - (g.top + 27)).toBeGreaterThan(3);
		expect(x.height - (x.top + 27)).toBeLessThanOrEqual(1);
		expect(x.top).toBeLessThan(A.top);

		const space = latin.get(char(' '))!;
		expect(space.advance).toBeGreaterThan(0);
		expect(space.width).toBe(0);
		expect(latin.has(0x0a)).toBe(false); // control characters are not glyphs
	});

	it('ships pinyin tone letters', () => {
		const ext = glyphMap('Noto Sans Regular', 256);
		for (const c of 'āǎīǐōǒūǔǖǘǚǜ') expect(ext.has(char(c)), c).toBe(true);
	});

	it('ships CJK punctuation and fullwidth forms', () => {
		const cjk = glyphMap('Noto Sans Regular', 12288);
		for (const c of '、。「」《》〈〉【】') {
			const glyph = cjk.get(char(c));
			expect(glyph, c).toBeDefined();
			expect(glyph!.advance, c).toBeGreaterThanOrEqual(20);
		}
		const full = glyphMap('Noto Sans Regular', 65280);
		for (const c of '，（）：；！？０Ａ') {
			const glyph = full.get(char(c));
			expect(glyph, c).toBeDefined();
			expect(glyph!.advance, c).toBe(24);
			expect(glyph!.bitmap!.length, c).toBe((glyph!.width + 6) * (glyph!.height + 6));
		}
		const punct = glyphMap('Noto Sans Regular', 8192);
		for (const c of '—…“”‘’') expect(punct.has(char(c)), c).toBe(true);
	});

	it('draws the bold stack bolder than the regular one', () => {
		const ink = (g: Glyph) => g.bitmap!.reduce((n, v) => n + (v > 191 ? 1 : 0), 0);
		const regular = glyphMap('Noto Sans Regular', 0).get(char('l'))!;
		const bold = glyphMap('Noto Sans Bold', 0).get(char('l'))!;
		expect(bold.width).toBeGreaterThan(regular.width);
		expect(ink(bold)).toBeGreaterThan(ink(regular) * 1.3);
	});

	it('leaves ideographs to the browser and other ranges empty', () => {
		for (const stack of STACKS) {
			expect(load(stack, 19968).glyphs).toHaveLength(0); // 一 U+4E00
			expect(load(stack, 44032).glyphs).toHaveLength(0); // Hangul syllables
			expect(load(stack, 1024).glyphs).toHaveLength(0); // not a shipped range
		}
	});

	it('stays small', () => {
		let total = 0;
		for (const stack of STACKS) {
			for (let start = 0; start < 65536; start += 256) {
				const file = join(GLYPHS_DIR, stack, `${start}-${start + 255}.pbf`);
				expect(existsSync(file), file).toBe(true);
				total += statSync(file).size;
			}
		}
		expect(total).toBeLessThan(1_200_000);
	});
});
