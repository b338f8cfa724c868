// An input whose value the page's data sets (a filter read from the URL). Svelte's `value={…}`
// writes the server's value over whatever was typed before the page hydrated (on a slow phone, a
// user's first words); `defaultValue={…}` keeps what was typed but never follows a later change of
// the data (a link that clears the filter). Both together: `defaultValue={x} use:followValue={x}`.

/** Sets the input's value when `value` changes after the page came alive; never at hydration. */
export function followValue(node: HTMLInputElement, value: string) {
	let last = value;
	return {
		update(next: string) {
			if (next !== last && node.value !== next) node.value = next;
			last = next;
		}
	};
}
