// `gemwarden explain [FILE|-]`: an error body or pasted log text in, an explanation out.
import pc from 'picocolors';
import { classify, explain, explainText } from '../errors/index.js';
import { InputError, readTextInput } from './read-input.js';

export interface ExplainOptions {
  json?: boolean;
}

export async function explainCommand(file: string | undefined, options: ExplainOptions): Promise<number> {
  let text: string;
  try {
    text = await readTextInput(file);
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`gemwarden explain: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const error = classify(text);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(explain(error), null, 2)}\n`);
  } else {
    const colour = process.stdout.isTTY && !process.env.NO_COLOR;
    process.stdout.write(`${explainText(error, colour ? pc : undefined)}\n`);
  }
  return error.kind === 'unknown' ? 2 : 0;
}
