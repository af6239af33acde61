// The formats `gemwarden translate` reads, and how a file's format is recognised: from --format when
// given (checked, case-insensitive), else from the extension, the file name and, where the extension
// is shared (.json, .txt), the content. An unknown extension is refused with the list of formats.
import { basename, extname } from 'node:path';
import { parseAss } from './ass-format.js';
import { parseDelimited } from './csv-format.js';
import { FORMAT_NAMES, FormatError, type FormatName, type FormatOptions, type ParsedDocument } from './format.js';
import { isGalTransl, parseFlatJson, parseGalTransl, parseJsonPath } from './json-format.js';
import { parseKiriKiri } from './kirikiri-format.js';
import { parsePo } from './po-format.js';
import { isRenpyTranslation, parseRenpy } from './renpy-format.js';
import { parseRpgMaker, rpgMakerKind } from './rpgmaker-format.js';
import { parseSrt, parseVtt } from './srt-format.js';
import { parseText } from './text-format.js';
import { isXUnityName, parseXUnity } from './xunity-format.js';
import { parseYaml } from './yaml-format.js';

export * from './format.js';

/** The formats with the files they are recognised from, for help texts and the refusal message. */
export const FORMAT_HELP: Record<FormatName, string> = {
  text: 'plain text, one line per segment (.txt)',
  json: 'flat JSON array of strings or object of id → string, MTool exports; any JSON with --json-path (.json)',
  galtransl: 'GalTransl JSON [{name, message}] (.json)',
  rpgmaker: 'RPG Maker MV/MZ data/*.json (maps, common events, troops, database, System)',
  csv: 'CSV with a header row; --column / --to-column (.csv)',
  tsv: 'TSV with a header row (.tsv, .tab)',
  srt: 'SubRip subtitles (.srt)',
  vtt: 'WebVTT subtitles (.vtt)',
  ass: 'Advanced SubStation Alpha / SSA subtitles (.ass, .ssa)',
  po: 'gettext PO/POT (.po, .pot)',
  renpy: "Ren'Py translation files under game/tl/ (.rpy)",
  kirikiri: 'KiriKiri KAG / TyranoScript scenarios (.ks)',
  xunity: 'XUnity.AutoTranslator key=value files (…Translations.txt)',
  yaml: 'YAML i18n files: Rails locales, game/web locales (.yml, .yaml)',
};

export function formatList(): string {
  return FORMAT_NAMES.map((name) => `  ${name.padEnd(10)} ${FORMAT_HELP[name]}`).join('\n');
}

/** A --format value checked against the list (case-insensitive). */
export function checkFormatName(value: string): FormatName {
  const name = value.trim().toLowerCase();
  if (!(FORMAT_NAMES as readonly string[]).includes(name))
    throw new FormatError(`unknown --format "${value}". The formats are:\n${formatList()}`);
  return name as FormatName;
}

/** The JSON flavour from content: RPG Maker shapes, GalTransl's array, else flat JSON. */
function jsonFlavour(source: string): FormatName {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    return 'json'; // the JSON parser gives the precise error
  }
  if (rpgMakerKind(value)) return 'rpgmaker';
  if (isGalTransl(value)) return 'galtransl';
  return 'json';
}

/**
 * The format of `path` whose decoded text is `source`. Throws FormatError (listing the formats) for
 * an extension we do not know; `--format text` insists on plain text.
 */
export function detectFormat(path: string, source: string, explicit?: string): FormatName {
  if (explicit !== undefined) return checkFormatName(explicit);
  const name = basename(path);
  switch (extname(path).toLowerCase()) {
    case '.json':
      return jsonFlavour(source);
    case '.csv':
      return 'csv';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.srt':
      return 'srt';
    case '.vtt':
      return 'vtt';
    case '.ass':
    case '.ssa':
      return 'ass';
    case '.po':
    case '.pot':
      return 'po';
    case '.rpy':
      if (isRenpyTranslation(source)) return 'renpy';
      throw new FormatError(
        'this .rpy file has no "translate <language> …:" blocks: gemwarden translates Ren\'Py translation files (game/tl/<language>/*.rpy, made by the launcher\'s "Generate Translations"), not the game script itself',
      );
    case '.ks':
      return 'kirikiri';
    case '.yml':
    case '.yaml':
      return 'yaml';
    case '.txt':
    case '.text':
      return isXUnityName(name) ? 'xunity' : 'text';
    default:
      throw new FormatError(
        `cannot tell the format of "${name}" from its extension. The formats are:\n${formatList()}\nGive one with --format (--format text to translate it line by line).`,
      );
  }
}

export function parseDocument(source: string, format: FormatName, options: FormatOptions = {}): ParsedDocument {
  if (options.jsonPath && options.jsonPath.length > 0) {
    if (!['json', 'galtransl', 'rpgmaker'].includes(format))
      throw new FormatError(`--json-path applies to JSON files, not to ${format}`);
    return parseJsonPath(source, options.jsonPath);
  }
  switch (format) {
    case 'json':
      return parseFlatJson(source);
    case 'galtransl':
      return parseGalTransl(source);
    case 'rpgmaker':
      return parseRpgMaker(source);
    case 'csv':
      return parseDelimited(source, options.delimiter ?? ',', options.column, options.toColumn);
    case 'tsv':
      return parseDelimited(source, options.delimiter ?? '\t', options.column, options.toColumn);
    case 'srt':
      return parseSrt(source);
    case 'vtt':
      return parseVtt(source);
    case 'ass':
      return parseAss(source);
    case 'po':
      return parsePo(source, options.poFuzzy !== undefined ? { fuzzy: options.poFuzzy } : {});
    case 'renpy':
      return parseRenpy(source);
    case 'kirikiri':
      return parseKiriKiri(source);
    case 'xunity':
      return parseXUnity(source);
    case 'yaml':
      return parseYaml(source);
    case 'text':
      return parseText(source);
  }
}
