// The big screen's base map: the same sources and layers as the map page (style.ts), recoloured
// for a dark wall seen from across a room; labels larger.
import type { StyleSpecification, LayerSpecification } from 'maplibre-gl';
import { baseStyle } from './style.ts';

const DARK = {
	background: '#07101f',
	street: '#0e1b33',
	road: '#1f2f4d',
	arterial: '#35507a',
	line: '#4f6b94',
	label: '#dbe7ff',
	halo: '#07101f'
};

export function screenStyle(origin: string): StyleSpecification {
	const style = baseStyle(origin);
	style.layers = style.layers.map((l): LayerSpecification => {
		const paint = { ...(l as { paint?: Record<string, unknown> }).paint };
		const layout = { ...(l as { layout?: Record<string, unknown> }).layout };
		if (l.id === 'background') paint['background-color'] = DARK.background;
		else if (l.id === 'street-fill') Object.assign(paint, { 'fill-color': DARK.street, 'fill-opacity': 0.9 });
		else if (l.id.startsWith('road-')) paint['line-color'] = l.id === 'road-arterial' ? DARK.arterial : DARK.road;
		else if (l.type === 'line') paint['line-color'] = DARK.line;
		else if (l.type === 'symbol') {
			Object.assign(paint, { 'text-color': DARK.label, 'text-halo-color': DARK.halo });
			if (typeof layout['text-size'] === 'number') layout['text-size'] = Math.round((layout['text-size'] as number) * 1.6);
		}
		return { ...l, paint, ...(l.type === 'symbol' ? { layout } : {}) } as LayerSpecification;
	});
	return style;
}
