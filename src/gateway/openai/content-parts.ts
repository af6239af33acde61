// OpenAI content parts → Gemini parts: text, image_url, input_audio and file. Media goes to Gemini
// with its real MIME type (Gemini rejects or misreads wildcard types such as `image/*`), taken from
// the data URL, the audio format, the file name or the URL's extension.
import { z } from 'zod';
import type { Part } from '../../wire/index.js';
import { TranslationError } from './translation-error.js';

/** Any content part: checked loosely here, then by its own schema where it is translated. */
export const contentPartSchema = z.object({ type: z.string() }).passthrough();

const textPart = z.object({ type: z.literal('text'), text: z.string() }).passthrough();
const imageUrlPart = z
  .object({
    type: z.literal('image_url'),
    image_url: z.union([z.string(), z.object({ url: z.string().min(1), detail: z.string().optional() }).passthrough()]),
  })
  .passthrough();
const inputAudioPart = z
  .object({
    type: z.literal('input_audio'),
    input_audio: z.object({ data: z.string().min(1), format: z.string().min(1) }).passthrough(),
  })
  .passthrough();
const fileContentPart = z
  .object({
    type: z.literal('file'),
    file: z
      .object({
        file_data: z.string().min(1).optional(),
        file_id: z.string().min(1).optional(),
        filename: z.string().optional(),
      })
      .passthrough()
      .refine((file) => file.file_data !== undefined || file.file_id !== undefined, {
        message: 'a file part needs file_data or file_id',
      }),
  })
  .passthrough();

export type ContentPart = z.output<typeof contentPartSchema>;

/** MIME types by file extension, for the media and documents Gemini reads (ai.google.dev/gemini-api/docs). */
const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  bmp: 'image/bmp',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  csv: 'text/csv',
  xml: 'text/xml',
  rtf: 'text/rtf',
  js: 'text/javascript',
  py: 'text/x-python',
  json: 'application/json',
  wav: 'audio/wav',
  mp3: 'audio/mp3',
  aiff: 'audio/aiff',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  mp4: 'video/mp4',
  mpeg: 'video/mpeg',
  mov: 'video/mov',
  webm: 'video/webm',
};

/** `input_audio.format` → Gemini audio MIME type (OpenAI documents wav and mp3; the rest are Gemini's). */
const AUDIO_FORMATS: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mp3',
  aiff: 'audio/aiff',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  webm: 'audio/webm',
};

const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*?);base64,(.*)$/s;

/** The MIME type named by a file name's or URL path's extension, if we know it. */
export function mimeFromName(name: string): string | undefined {
  let path = name;
  try {
    path = new URL(name).pathname;
  } catch {
    // a plain file name
  }
  const extension = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return extension ? MIME_BY_EXTENSION[extension] : undefined;
}

/** `data:<mime>;base64,<data>` → inlineData; anything else → undefined. */
function inlineFromDataUrl(url: string): Part | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  return { inlineData: { mimeType: match[1]!.toLowerCase(), data: match[3]! } };
}

/** Files API ids arrive as `files/abc`, `abc` or the file's full URI; Gemini wants the URI. */
export function fileUriFor(fileId: string): string {
  if (/^https?:\/\//.test(fileId)) return fileId;
  const name = fileId.startsWith('files/') ? fileId : `files/${fileId}`;
  return `https://generativelanguage.googleapis.com/v1beta/${name}`;
}

function imagePart(part: z.output<typeof imageUrlPart>, where: string): Part {
  const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
  if (url.startsWith('data:')) {
    const inline = inlineFromDataUrl(url);
    if (!inline)
      throw new TranslationError(`${where}.image_url: a data URL must be base64 (data:<type>;base64,…)`, where);
    return inline;
  }
  if (!/^(https?|gs):\/\//.test(url))
    throw new TranslationError(`${where}.image_url: expected an http(s) URL or a base64 data URL`, where);
  const mimeType = mimeFromName(url);
  // Without a known extension Gemini decides from the file itself; a wildcard type would be refused.
  return { fileData: { fileUri: url, ...(mimeType ? { mimeType } : {}) } };
}

function audioPart(part: z.output<typeof inputAudioPart>, where: string): Part {
  const format = part.input_audio.format.toLowerCase();
  const mimeType = AUDIO_FORMATS[format];
  if (!mimeType)
    throw new TranslationError(
      `${where}.input_audio.format: "${part.input_audio.format}" is not an audio format Gemini reads (${Object.keys(AUDIO_FORMATS).join(', ')})`,
      `${where}.input_audio.format`,
    );
  return { inlineData: { mimeType, data: part.input_audio.data } };
}

function filePart(part: z.output<typeof fileContentPart>, where: string): Part {
  const { file_data: data, file_id: id, filename } = part.file;
  if (data !== undefined) {
    const inline = inlineFromDataUrl(data);
    if (inline) return inline;
    // Bare base64: the file name says what it is.
    const mimeType = filename ? mimeFromName(filename) : undefined;
    if (!mimeType)
      throw new TranslationError(
        `${where}.file: file_data must be a data URL (data:application/pdf;base64,…) or come with a filename whose extension names its type`,
        `${where}.file`,
      );
    return { inlineData: { mimeType, data } };
  }
  const mimeType = filename ? mimeFromName(filename) : undefined;
  return { fileData: { fileUri: fileUriFor(id!), ...(mimeType ? { mimeType } : {}) } };
}

function checked<S extends z.ZodTypeAny>(schema: S, part: ContentPart, where: string): z.output<S> {
  const result = schema.safeParse(part);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [where, ...issue.path.map(String)].join('.');
  throw new TranslationError(`${path}: ${issue.message}`, path);
}

/** One OpenAI content part as a Gemini part; `where` names it in errors (e.g. `messages[1].content[0]`). */
export function toGeminiPart(part: ContentPart, where: string): Part {
  switch (part.type) {
    case 'text':
      return { text: checked(textPart, part, where).text };
    case 'image_url':
      return imagePart(checked(imageUrlPart, part, where), where);
    case 'input_audio':
      return audioPart(checked(inputAudioPart, part, where), where);
    case 'file':
      return filePart(checked(fileContentPart, part, where), where);
    default:
      throw new TranslationError(
        `${where}: content parts of type "${part.type}" are not supported (text, image_url, input_audio, file)`,
        where,
      );
  }
}
