// Lint: typescript-eslint's type-checked recommended rules (types from tsconfig.json through the
// project service), plus the layers of src/ as allow-lists: each folder
// names the folders of ours it may import, and everything else is refused. The table must match
// the one in docs/architecture.md row for row.
import tseslint from 'typescript-eslint';

/** folder → the folders of ours it may import (besides itself); test/architecture.test.ts reads it. */
export const LAYERS = {
  wire: [],
  time: [],
  errors: ['wire', 'time'],
  policy: ['wire', 'time', 'errors'],
  pacing: ['wire', 'time', 'errors'],
  transport: ['wire', 'time', 'errors'],
  pipeline: ['wire', 'time', 'errors', 'policy', 'pacing', 'transport'],
  fleet: ['wire', 'time', 'errors', 'policy', 'pipeline'],
  client: ['wire', 'time', 'errors', 'policy', 'pacing', 'transport', 'pipeline', 'fleet'],
  config: ['wire', 'time', 'errors', 'policy', 'pacing', 'client'],
  doctor: ['wire', 'time', 'errors', 'transport'],
  gateway: ['wire', 'time', 'errors', 'policy', 'pacing', 'transport', 'pipeline', 'client', 'config'],
  translate: ['wire', 'time', 'errors', 'client', 'config'],
  emulator: ['wire', 'time'],
  cli: ['wire', 'time', 'errors', 'client', 'config', 'doctor', 'emulator', 'gateway', 'translate'],
};

/** What reads time or chance directly; outside src/time/ it goes through the Clock instead. */
const TIME_READS = {
  properties: [
    { object: 'Date', property: 'now', message: 'Read time through the Clock (src/time/).' },
    { object: 'Math', property: 'random', message: 'Draw randomness through the Clock (src/time/).' },
    { object: 'performance', property: 'now', message: 'Read time through the Clock (src/time/).' },
    ...['setTimeout', 'setInterval'].flatMap((name) =>
      ['globalThis', 'global', 'window'].map((object) => ({
        object,
        property: name,
        message: 'Start timers through the Clock (src/time/).',
      })),
    ),
  ],
  globals: ['setTimeout', 'setInterval'].map((name) => ({
    name,
    message: 'Start timers through the Clock (src/time/): clock.timer or clock.sleep.',
  })),
  syntax: [
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'Read the time through the Clock (src/time/): new Date(clock.now()).',
    },
  ],
};

const layerRule = ([folder, allowed]) => {
  const forbidden = Object.keys(LAYERS).filter((other) => other !== folder && !allowed.includes(other));
  return {
    files: [`src/${folder}/**`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          // node:timers is setTimeout by another name (see TIME_READS).
          paths:
            folder === 'time'
              ? []
              : ['timers', 'timers/promises', 'node:timers', 'node:timers/promises'].map((name) => ({
                  name,
                  message: 'Start timers through the Clock (src/time/).',
                })),
          patterns: forbidden.map((other) => ({
            group: [`**/${other}/*`, `../${other}/*`],
            message: `src/${folder}/ may import only: ${allowed.join(', ') || 'nothing of ours'} (docs/architecture.md).`,
          })),
        },
      ],
    },
  };
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'bench/output/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Off: methods that implement a Promise-returning interface stay `async` without awaiting, so a
      // throw inside them becomes a rejection like every other implementation's.
      '@typescript-eslint/require-await': 'off',
      // An abort rejects with `signal.reason`, whatever the caller chose (the DOM's semantics).
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingUnknown: true, allowThrowingAny: true },
      ],
    },
  },
  {
    files: ['test/**', 'src/**/*.test.ts'],
    rules: {
      // Tests read `await response.json()` (typed any) and hold its shape to account with expect().
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  // Time and chance come from time/'s Clock (injected, so tests run on a fake clock): nothing else in
  // src/ reads the wall clock, starts a timer or draws a random number. Tests are exempt, bench/
  // measures real time, and so far no place in src/ needs a listed exception.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/time/**', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', ...TIME_READS.properties],
      'no-restricted-globals': ['error', ...TIME_READS.globals],
      'no-restricted-syntax': ['error', ...TIME_READS.syntax],
    },
  },
  // The attempt loop stays in named steps a reader takes in at once (issue 13): no function of
  // src/pipeline is longer than 60 lines (blank and comment lines not counted). Tests are exempt
  // (a describe block is a list of cases, not a step).
  {
    files: ['src/pipeline/**/*.ts'],
    ignores: ['src/pipeline/**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  // Scripts outside the TypeScript project are linted without types.
  { files: ['**/*.js', '**/*.mjs', 'vitest.config.ts'], ...tseslint.configs.disableTypeChecked },
  ...Object.entries(LAYERS).map(layerRule),
);
