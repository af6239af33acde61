// Lint: typescript-eslint's recommended rules, plus the direction of imports between layers
// (wire ← errors ← policy ← pipeline ← client/gateway ← cli; the emulator sees only wire and time).
import tseslint from 'typescript-eslint';

const layer = (files, forbidden, message) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', { patterns: forbidden.map((group) => ({ group: [`**/${group}/*`, `../${group}/*`], message })) }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'bench/output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  layer(['src/wire/**'], ['errors', 'time', 'policy', 'pacing', 'pipeline', 'transport', 'client', 'gateway', 'emulator', 'cli', 'config'], 'wire/ imports nothing of ours.'),
  layer(['src/time/**'], ['errors', 'policy', 'pacing', 'pipeline', 'transport', 'client', 'gateway', 'emulator', 'cli', 'config'], 'time/ stands alone.'),
  layer(['src/errors/**'], ['policy', 'pacing', 'pipeline', 'transport', 'client', 'gateway', 'emulator', 'cli', 'config'], 'errors/ sees only wire/ and time/.'),
  layer(['src/policy/**', 'src/pacing/**'], ['pipeline', 'transport', 'client', 'gateway', 'emulator', 'cli'], 'policy/ and pacing/ are below the pipeline.'),
  layer(['src/pipeline/**', 'src/transport/**'], ['client', 'gateway', 'emulator', 'cli'], 'the pipeline is below client/ and gateway/.'),
  layer(['src/client/**'], ['gateway', 'emulator', 'cli'], 'client/ does not know the gateway, the emulator or the CLI.'),
  layer(['src/gateway/**'], ['cli', 'doctor'], 'nothing imports cli/.'),
  layer(['src/translate/**'], ['gateway', 'emulator', 'cli', 'pipeline', 'policy', 'pacing', 'doctor'], 'translate/ works through client/.'),
  layer(['src/doctor/**'], ['client', 'gateway', 'emulator', 'cli', 'pipeline', 'policy', 'pacing'], 'doctor/ makes single raw calls: errors, transport and wire only.'),
  layer(['src/emulator/**'], ['errors', 'policy', 'pacing', 'pipeline', 'transport', 'client', 'gateway', 'cli'], 'the emulator is a test oracle: it imports only wire/, time/ and config helpers of its own.'),
);
