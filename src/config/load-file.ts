// Reads a JSON or YAML config file and checks it against a zod schema, turning every problem into
// one message that names the file and the field.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { checkSettings, problemText } from '../policy/settings-check.js';

/** A config file that cannot be read, parsed or validated; the message names the file and each bad field, never a value. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

/**
 * The parsed content of a JSON or YAML file (YAML by a `.yaml`/`.yml` extension), not yet validated.
 * @throws ConfigError when the file cannot be read or parsed (position only, no text of the file).
 */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`,
    );
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${syntaxProblem(error, text)}`);
  }
}

/**
 * A parser's complaint without any of the file's text: parsers quote the offending line or a
 * snippet, and a config's offending line is often the one holding an API key. Only the reason and
 * the position (line, column) are kept.
 */
function syntaxProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const yamlPosition = (error as { linePos?: [{ line: number; col: number }] }).linePos?.[0];
  // yaml: "Reason at line L, column C:\n\n<the line>\n   ^"; V8: "Reason, "<snippet>" is not valid JSON" or
  // "Reason in JSON at position N (line L column C)".
  const reason = (message.split(/ at line \d|, (?:\.\.\.)?"| in JSON|\n/)[0] ?? '').trim() || 'syntax error';
  let position = yamlPosition ? { line: yamlPosition.line, col: yamlPosition.col } : undefined;
  const offset = /at position (\d+)/.exec(message)?.[1];
  if (!position && offset !== undefined) {
    const before = text.slice(0, Number(offset)).split('\n');
    position = { line: before.length, col: (before[before.length - 1]?.length ?? 0) + 1 };
  }
  return position ? `${reason} at line ${position.line}, column ${position.col}` : reason;
}

/** Validates with a zod schema; the error names every bad field, in the words createClient uses. */
export function checkConfig<S extends z.ZodType>(schema: S, value: unknown, origin: string): z.output<S> {
  const result = checkSettings(schema, value ?? {});
  if (result.success) return result.data;
  const problems = result.problems.map((problem) => `  - ${problemText(problem) || '(top level)'}`);
  throw new ConfigError(`invalid config in ${origin}:\n${problems.join('\n')}`);
}
