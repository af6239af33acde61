// Loads the real Gemini error bodies kept in test/fixtures/errors (copied unchanged from the
// project's shared fixtures).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURE_DIR = resolve(here, '../fixtures/errors');

export interface ErrorFixture {
  name: string;
  httpStatus: number;
  body: unknown;
  source: string;
}

export function loadErrorFixtures(): ErrorFixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const data = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as Omit<ErrorFixture, 'name'>;
      return { name: file.replace(/\.json$/, ''), ...data };
    });
}

export function fixture(name: string): ErrorFixture {
  const found = loadErrorFixtures().find((item) => item.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}
