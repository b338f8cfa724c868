import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	server: { port: 5173 },
	// PGlite ships its own wasm and data files: let Node load it, don't bundle it
	ssr: { external: ['@electric-sql/pglite', '@electric-sql/pglite-postgis'] },
	optimizeDeps: { exclude: ['@electric-sql/pglite', '@electric-sql/pglite-postgis'] },
	test: {
		include: ['tests/**/*.test.ts'],
		testTimeout: 120_000,
		hookTimeout: 180_000,
		fileParallelism: false
	}
});
