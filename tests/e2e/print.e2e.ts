// The atlas (issue 13 part 2) as a district administrator: /print/atlas/<community> printed to PDF
// by the browser (page.pdf, A4) has exactly one page per grid of the community, and each page
// rendered as an image (pdftoppm, poppler-utils) is a drawn map, not blank. The single print of an
// area carries its title, scale bar, north arrow, legend, data date and issuing unit; the print is
// audited as an export; an area outside the caller's scope is a 404.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { signIn } from './helpers.ts';

test.setTimeout(180_000);

/** the share of pixels of a PNG (8-bit RGB or RGBA, as pdftoppm writes) that are not near-white */
function inkShare(file: string): number {
	const buf = readFileSync(file);
	const width = buf.readUInt32BE(16);
	const height = buf.readUInt32BE(20);
	const colourType = buf[25];
	const channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 1;
	const idat: Buffer[] = [];
	for (let at = 8; at < buf.length;) {
		const len = buf.readUInt32BE(at);
		const type = buf.toString('ascii', at + 4, at + 8);
		if (type === 'IDAT') idat.push(buf.subarray(at + 8, at + 8 + len));
		at += 12 + len;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = width * channels;
	const prev = Buffer.alloc(stride);
	const line = Buffer.alloc(stride);
	let ink = 0;
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		for (let i = 0; i < stride; i++) {
			const a = i >= channels ? line[i - channels] : 0;
			const b = prev[i];
			const c = i >= channels ? prev[i - channels] : 0;
			const p = a + b - c;
			const pa = Math.abs(p - a),
				pb = Math.abs(p - b),
				pc = Math.abs(p - c);
			const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? (pa <= pb && pa <= pc ? a : pb <= pc ? b : c) : 0;
			line[i] = (src[i] + pred) & 0xff;
		}
		for (let x = 0; x < width; x++) {
			const o = x * channels;
			if (Math.min(line[o], line[o + (channels > 1 ? 1 : 0)], line[o + (channels > 1 ? 2 : 0)]) < 235) ink++;
		}
		line.copy(prev);
	}
	return ink / (width * height);
}

test('the atlas of a community prints one page per grid, each a drawn map', async ({ page }) => {
	await signIn(page, 'district_admin');
	const areas = (await (await page.request.get('/api/areas/community.geojson')).json()) as { features: { properties: { code: string } }[] };
	const community = areas.features[0].properties.code;
	const summary = (await (await page.request.get(`/api/areas/${community}/summary`)).json()) as { children: { code: string; level: string }[] };
	const grids = summary.children.filter((c) => c.level === 'grid');
	expect(grids.length).toBeGreaterThan(1);

	const response = await page.goto(`/print/atlas/${community}?paper=a4&orientation=landscape`);
	expect(response?.status()).toBe(200);
	await expect(page.getByTestId('print-sheet')).toHaveCount(grids.length);
	await expect(page.getByTestId('print-figures').first()).toBeVisible();
	await page.emulateMedia({ media: 'print' });
	const pdf = await page.pdf({ format: 'A4', landscape: true, preferCSSPageSize: true, printBackground: true });
	const dir = mkdtempSync(path.join(tmpdir(), 'atlas-'));
	const file = path.join(dir, 'atlas.pdf');
	writeFileSync(file, pdf);
	// counted twice: the PDF's page objects, and poppler's reading of it
	expect(pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length).toBe(grids.length);
	const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
	expect(Number(info.match(/^Pages:\s+(\d+)/m)?.[1])).toBe(grids.length);
	execFileSync('pdftoppm', ['-png', '-r', '40', file, path.join(dir, 'page')]);
	const pngs = readdirSync(dir)
		.filter((f) => f.endsWith('.png'))
		.sort();
	expect(pngs).toHaveLength(grids.length);
	for (const png of pngs) {
		const share = inkShare(path.join(dir, png));
		// a drawn map: more than a title and a frame (a blank page is 0)
		expect(share, `${png} is blank`).toBeGreaterThan(0.02);
		expect(share, `${png} is all ink`).toBeLessThan(0.98);
	}
});

test('a single print has its title, scale bar, north arrow, legend, date and issuer; out of scope is a 404', async ({ page }) => {
	await signIn(page, 'district_admin');
	const all = (await (await page.request.get('/api/areas/community.geojson')).json()) as { features: { properties: { code: string } }[] };
	await page.context().clearCookies();
	await signIn(page, 'community_secretary');
	const own = (await (await page.request.get('/api/areas/community.geojson')).json()) as { features: { properties: { code: string; name: string } }[] };
	const { code, name } = own.features[0].properties;
	expect((await page.goto(`/print/${code}?paper=a3&orientation=portrait`))?.status()).toBe(200);
	await expect(page.getByTestId('print-sheet')).toHaveCount(1);
	await expect(page.locator('h1')).toContainText(name);
	await expect(page.locator('.print-map .scale-bar')).toHaveCount(1);
	await expect(page.locator('.print-map .north-arrow')).toHaveCount(1);
	await expect(page.locator('.print-map .building').first()).toBeAttached();
	await expect(page.getByTestId('print-date')).toContainText(/\d{4}-\d{2}-\d{2}/);
	await expect(page.getByTestId('print-issuer')).not.toBeEmpty();
	// the sheet is A3 portrait: 297 mm wide
	const width = await page.getByTestId('print-sheet').evaluate((e) => e.getBoundingClientRect().width);
	expect(width).toBeCloseTo((297 / 25.4) * 96, -1);
	// the PNG button downloads a picture of the page
	const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('print-png').click()]);
	expect(download.suggestedFilename()).toBe(`${code}-a3-portrait.png`);
	// a community not the caller's
	const outside = all.features.map((f) => f.properties.code).find((c) => c !== code)!;
	expect(outside).toBeTruthy();
	expect((await page.goto(`/print/${outside}`))?.status()).toBe(404);
	expect((await page.goto(`/print/atlas/${outside}`))?.status()).toBe(404);
});
