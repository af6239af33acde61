// Reads a command's input from a file or standard input, refusing empty, binary and huge input
// with a clear message instead of a stack trace.
import { readFile, stat } from 'node:fs/promises';

export const MAX_INPUT_BYTES = 8 * 1024 * 1024;

export class InputError extends Error {
  override readonly name = 'InputError';
}

async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit)
      throw new InputError(
        `The input is larger than ${limit / 1024 / 1024} MiB; give the error body or the log lines around it.`,
      );
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Text from FILE, or from standard input for "-" or no file. */
export async function readTextInput(file: string | undefined, limit = MAX_INPUT_BYTES): Promise<string> {
  let bytes: Buffer;
  if (!file || file === '-') {
    if (process.stdin.isTTY)
      throw new InputError(
        'No input: give a file, or pipe the error text into standard input (e.g. `pbpaste | gemwarden explain`).',
      );
    bytes = await readStdin(limit);
  } else {
    let info;
    try {
      info = await stat(file);
    } catch {
      throw new InputError(`Cannot read ${file}: no such file.`);
    }
    if (info.isDirectory()) throw new InputError(`${file} is a directory, not a file.`);
    if (info.size > limit)
      throw new InputError(
        `${file} is ${(info.size / 1024 / 1024).toFixed(1)} MiB, larger than the ${limit / 1024 / 1024} MiB this command reads; give the error body or the log lines around it.`,
      );
    bytes = await readFile(file);
  }
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '')
    throw new InputError('The input is empty: give an error body or a log line.');
  if (looksBinary(bytes))
    throw new InputError('The input looks like binary data, not text: give an error body or a log line.');
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

function looksBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return true;
  let control = 0;
  for (const byte of sample) if (byte < 9 || (byte > 13 && byte < 32)) control++;
  const replacement = (sample.toString('utf8').match(/\uFFFD/g) ?? []).length;
  return control / sample.length > 0.1 || replacement / sample.length > 0.1;
}
