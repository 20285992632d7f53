// ESLint (flat config) for the front end and the browser tests: `make lint`. no-undef and no-unused-vars are errors
// (an undefined name in a page is a bug that only shows on the branch that runs it).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['www/vendor/**', 'pkg*/**', 'dist/**', 'target/**', 'node_modules/**', 'bench/node_modules/**', 'tests/e2e/out/**', 'bench-out/**'] },
  js.configs.recommended,
  {
    files: ['www/**/*.js', 'index.html'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ['tests/**/*.mjs', 'scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node, ...globals.browser } },
  },
  {
    rules: {
      'no-undef': 'error',
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      // The pages re-throw with a message for the reader; the cause is logged where it matters.
      'preserve-caught-error': 'off',
    },
  },
];
