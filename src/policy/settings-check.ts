// How a settings schema says what is wrong. Every option of createClient() and every field of a
// gateway config file is checked by zod against one schema (policy/options.ts, client/options.ts,
// gateway/config.ts); this module turns zod's issues into one sentence per field that names it
// ("timeout.factor must be a number ≥ 1 (got 0.5)") and throws them together as one typed error.
import { z } from 'zod';

/** One bad setting: its path as written in code or a file (`timeout.factor`, `keys[0].project`) and what is wrong. */
export interface OptionProblem {
  path: string;
  message: string;
}

/**
 * Options that cannot work, found when they are given (createClient throws it at construction, the
 * gateway when it starts), with every bad field named in `problems` and in the message:
 * `createClient: maxAttempts must be an integer ≥ 1 (got 0); timeout.factor must be a number ≥ 1 (got 0.5)`.
 * A TypeError, as a wrongly typed argument is. Values are shown only when they are numbers or
 * booleans: a string may be a key or a URL with a password in it.
 */
export class InvalidOptionsError extends TypeError {
  override readonly name = 'InvalidOptionsError';
  constructor(
    /** Who checked the options (`createClient`, `gateway config`). */
    readonly origin: string,
    readonly problems: readonly OptionProblem[],
  ) {
    super(`${origin}: ${problems.map(problemText).join('; ')}`);
  }
}

/** `path message`, or the message alone for a problem with the whole value. */
export function problemText(problem: OptionProblem): string {
  return problem.path ? `${problem.path} ${problem.message}` : problem.message;
}

/**
 * A number setting of at least `min`: NaN refused, Infinity accepted (a limit that means "none", as
 * `deadlineMs: Infinity`). `what` says what it is, for a clearer message.
 */
export function numberAtLeast(min: number, what?: string) {
  const rule = `must be a number ≥ ${min}${what ? ` (${what})` : ''}`;
  return z.custom<number>((value) => typeof value === 'number' && value >= min, { error: rule });
}

/** A whole-number setting of at least `min`. `what` says what it is, for a clearer message. */
export function integerAtLeast(min: number, what?: string) {
  const rule = `must be an integer ≥ ${min}${what ? ` (${what})` : ''}`;
  return z.number({ error: rule }).int({ error: rule }).min(min, { error: rule });
}

/** A number setting above zero (a length of time that cannot be 0). */
export function positiveNumber() {
  const rule = 'must be a number > 0';
  return z.number({ error: rule }).positive({ error: rule });
}

/** What a bad value was, without ever echoing text (it may be a key or a URL with a password). */
function shown(input: unknown): string {
  if (typeof input === 'number' || typeof input === 'boolean' || input === null) return String(input);
  if (typeof input === 'string') return 'a string';
  if (Array.isArray(input)) return 'a list';
  return typeof input === 'function' ? 'a function' : 'an object';
}

/** `timeout.factor`, `keys[0].project`: the path as it is written in code and in JSON. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

/** Messages for the issues a schema field left to the defaults (its own `error` wins over these). */
function defaultMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must have at least ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${String(issue.maximum)} characters`
        : `must have at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'url' ? 'must be a URL' : `must be a ${issue.format}`;
    default:
      return undefined;
  }
}

/**
 * One problem per bad field. An unknown field is named as itself; a value that fits no branch of a
 * union (a key given as a string or an object) is described by the branch it came closest to, the
 * one whose type it had.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  base: readonly PropertyKey[] = [],
): OptionProblem[] {
  return issues.flatMap((issue): OptionProblem[] => {
    const path = [...base, ...issue.path];
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: fieldPath([...path, key]), message: 'is not a setting' }));
    if (issue.code === 'invalid_union') {
      const typed = issue.errors.filter((branch) => branch.every((inner) => inner.path.length > 0));
      if (typed.length === 1) return describeIssues(typed[0]!, path);
    }
    const input = (issue as { input?: unknown }).input;
    const got = input !== undefined && issue.message !== 'is required' ? ` (got ${shown(input)})` : '';
    return [{ path: fieldPath(path), message: `${issue.message}${got}` }];
  });
}

/**
 * Parses `value` with `schema`, returning its output (defaults applied) or throwing an
 * InvalidOptionsError from `origin` that names every bad field.
 */
export function parseSettings<S extends z.ZodType>(schema: S, value: unknown, origin: string): z.output<S> {
  const result = checkSettings(schema, value);
  if (result.success) return result.data;
  throw new InvalidOptionsError(origin, result.problems);
}

/** Like parseSettings, returning the problems instead of throwing (for callers with their own error type). */
export function checkSettings<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { success: true; data: z.output<S> } | { success: false; problems: OptionProblem[] } {
  const result = schema.safeParse(value, { reportInput: true, error: defaultMessage });
  return result.success
    ? { success: true, data: result.data }
    : { success: false, problems: describeIssues(result.error.issues) };
}
