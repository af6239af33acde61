// The emulator's route table, in order. Each resource lives in its own module and is mounted here
// with one line; the first matching row answers (see router.ts).
import { ADMIN_ROUTES } from './admin-routes.js';
import { MODEL_ROUTES } from './model-routes.js';
import { RESOURCE_ROUTES } from './resources/resource-routes.js';
import type { EmulatorRoute } from './router.js';

export const EMULATOR_ROUTES: readonly EmulatorRoute[] = [
  ...ADMIN_ROUTES,
  ...RESOURCE_ROUTES,
  ...MODEL_ROUTES,
  // Further Gemini resources (files, cachedContents, batches, embeddings, Google's OpenAI paths …)
  // mount here, one line each.
];
