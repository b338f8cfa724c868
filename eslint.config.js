// ESLint 9 flat config: TypeScript and Svelte 5 (runes), formatting left to Prettier.
// Not type-aware: svelte-check already type-checks the tree, and type-aware rules over every
// file would double `npm test`'s lint time on a 2-core machine.
import js from '@eslint/js';
import ts from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{
		ignores: ['build/', '.svelte-kit/', 'node_modules/', 'data/', 'static/', 'tests/artifacts/', 'bench/results/', '**/*.min.js']
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'@typescript-eslint/no-explicit-any': 'error',
			// `_name` marks a parameter kept for its position
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
			// control characters in regexes are deliberate (input sanitising, JSON text sequences)
			'no-control-regex': 'off',
			// TypeScript checks names (and knows DOM types such as RequestInit); no-undef does not
			'no-undef': 'off',
			// the app is served at the root (no paths.base), so links need no resolve()
			'svelte/no-navigation-without-resolve': 'off',
			// flags URLSearchParams/Date built and used inside one function, never held in state
			'svelte/prefer-svelte-reactivity': 'off'
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: { parserOptions: { projectService: false, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
	}
);
