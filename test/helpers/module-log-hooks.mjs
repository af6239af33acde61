// Module resolution hooks (node:module register): each resolved URL is appended to the log file.
// Appending synchronously keeps the log whole even when the process exits right after.
import { appendFileSync } from 'node:fs';

const log = process.env.GEMWARDEN_MODULE_LOG;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
