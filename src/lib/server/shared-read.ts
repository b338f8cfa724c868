// One read under way at a time: callers that arrive while it runs get its answer instead of each
// sending their own (a hundred tile requests asking for the data version in the same millisecond).
// For reads whose callers accept an answer a moment old; a caller that must see its own write
// reads for itself.

/** `read`, shared by every caller while one call of it is under way. */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
	let under: Promise<T> | undefined;
	return () => (under ??= read().finally(() => (under = undefined)));
}
