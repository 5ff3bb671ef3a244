// Lint configuration: typescript-eslint's recommended rules over src, test, bench and web, with type
// information for no-floating-promises (a promise nobody awaits or catches is an unhandled rejection).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'data/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    // Type information for the rules that need it (a promise nobody awaits or catches).
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['scripts/screenshot.ts'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test runs describe/it itself and reports their failures.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // kysely's values come from src/db/kysely.ts (its CommonJS build, quicker to load): a value
    // imported from 'kysely' itself would load the ES-module build beside it.
    files: ['src/**/*.ts'],
    ignores: ['src/db/kysely.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'kysely', message: "import kysely's values from src/db/kysely.ts (types from 'kysely' are fine)", allowTypeImports: true }] },
      ],
    },
  },
  {
    // Tests read JSON bodies of arbitrary shape.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js', 'scripts/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
