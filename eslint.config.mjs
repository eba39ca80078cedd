import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// Which project may import which (Nx module boundaries, by project tags in each project.json).
// Product code: apps and tools use the libs; the engine uses stores; reconcile and backup use stores and the
// engine's public index; nothing imports apps or tools; no cycles.
const productConstraints = [
  { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:stores', 'scope:engine', 'scope:reconcile', 'scope:backup', 'scope:config', 'scope:example'] },
  { sourceTag: 'scope:example', onlyDependOnLibsWithTags: ['scope:stores'] },
  { sourceTag: 'scope:engine', onlyDependOnLibsWithTags: ['scope:stores'] },
  { sourceTag: 'scope:reconcile', onlyDependOnLibsWithTags: ['scope:stores', 'scope:engine'] },
  { sourceTag: 'scope:backup', onlyDependOnLibsWithTags: ['scope:stores', 'scope:engine'] },
  { sourceTag: 'scope:stores', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:config', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['scope:stores', 'scope:backup', 'scope:example'] },
];

// Specs and their helpers (files under a testing/ folder) may also use the test helpers and the example domain.
const specConstraints = productConstraints.map((constraint) =>
  constraint.sourceTag === 'type:testing'
    ? constraint
    : { ...constraint, onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:testing', 'scope:example'] },
);

const boundaries = (depConstraints) => [
  'error',
  { enforceBuildableLibDependency: false, allow: ['../../../generated/prisma/client', '../../../../generated/prisma/client'], depConstraints, checkNestedExternalImports: false },
];

// Spec support lives beside the specs: a lib's test/ folder, or a testing/ folder (@dualwrite/stores/testing).
const specFiles = ['**/*.spec.ts', '**/testing/**/*.ts', 'libs/*/test/**/*.ts'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'generated/**', '.nx/**', '**/jest.config.js', 'jest.*.js', 'tools/run.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@nx/enforce-module-boundaries': boundaries(productConstraints),
    },
  },
  {
    files: ['**/*.ts'],
    ignores: specFiles,
    rules: {
      // The contract suite is a spec helper too, published on its own entry point.
      'no-restricted-imports': ['error', { paths: [{ name: '@dualwrite/stores/testing', message: 'spec helpers are for spec files only' }] }],
    },
  },
  { files: specFiles, rules: { '@nx/enforce-module-boundaries': boundaries(specConstraints) } },
);
