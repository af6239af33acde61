// RPG Maker MV/MZ data/*.json: the text a player reads. Event commands (in maps, common events and
// troops): 401 show text and 405 scroll text (one line each), 102 show choices and 402 "when" (the
// choice's label), MZ's speaker name in 101. Database files: name, nickname, profile, description,
// message1-4 (Actors, Classes, Items, Weapons, Armors, Skills, States, Enemies); System: title,
// terms, element and type names, currency. Control codes (\C[2], \V[1], \N[1], \!, \., \|, \^, \>,
// \<, \{, \}, \$, \G, \I[n], plugin codes) are shielded. Facts: the RPG Maker MV/MZ data layout
// (event command codes as the editor writes them).
import { FormatError, type ParsedDocument } from './format.js';
import { documentFromSites } from './json-format.js';
import { scanJson } from './json-scan.js';

/** RPG Maker message control codes: \X[..], \XYZ<..>, \X, and the one-character codes. */
export const RPGMAKER_CODES = /\\[A-Za-z]+\[[^\]\r\n]*\]|\\[A-Za-z]+<[^>\r\n]*>|\\[A-Za-z]+|\\[.|!><^${}\\]/g;

const DATABASE_FIELDS = ['name', 'nickname', 'profile', 'description', 'message1', 'message2', 'message3', 'message4'];
const SYSTEM_LISTS = ['elements', 'skillTypes', 'weaponTypes', 'armorTypes', 'equipTypes'];

type Json = unknown;
const isObject = (value: Json): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Command {
  code: number;
  parameters: Json[];
}
const isCommand = (value: Json): value is Command =>
  isObject(value) && typeof value.code === 'number' && Array.isArray(value.parameters);

/** Pointers to the player-visible strings of one event command list. */
function fromCommandList(list: Json, base: string, out: string[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((command, index) => {
    if (!isCommand(command)) return;
    const at = `${base}/${index}/parameters`;
    if ((command.code === 401 || command.code === 405) && typeof command.parameters[0] === 'string')
      out.push(`${at}/0`);
    else if (command.code === 102 && Array.isArray(command.parameters[0]))
      command.parameters[0].forEach((choice, choiceIndex) => {
        if (typeof choice === 'string') out.push(`${at}/0/${choiceIndex}`);
      });
    else if (command.code === 402 && typeof command.parameters[1] === 'string') out.push(`${at}/1`);
    else if (command.code === 101 && typeof command.parameters[4] === 'string') out.push(`${at}/4`);
  });
}

function fromPages(pages: Json, base: string, out: string[]): void {
  if (!Array.isArray(pages)) return;
  pages.forEach((page, index) => {
    if (isObject(page)) fromCommandList(page.list, `${base}/${index}/list`, out);
  });
}

/** Which RPG Maker data file this JSON is, from its shape; undefined when it is none. */
export function rpgMakerKind(value: Json): 'map' | 'system' | 'events' | 'database' | undefined {
  if (isObject(value)) {
    if (Array.isArray(value.events) && 'tilesetId' in value) return 'map';
    if (isObject(value.terms) && ('gameTitle' in value || 'currencyUnit' in value)) return 'system';
    return undefined;
  }
  if (!Array.isArray(value) || value.length < 2 || value[0] !== null) return undefined;
  const rows = value.slice(1).filter(isObject);
  if (rows.length === 0 || rows.length !== value.length - 1 || !rows.every((row) => typeof row.id === 'number'))
    return undefined;
  if (rows.some((row) => Array.isArray(row.list) || Array.isArray(row.pages))) return 'events';
  if (rows.some((row) => typeof row.name === 'string')) return 'database';
  return undefined;
}

export function parseRpgMaker(source: string): ParsedDocument {
  const { value, sites } = scanJson(source);
  const kind = rpgMakerKind(value);
  if (!kind)
    throw new FormatError(
      'not an RPG Maker MV/MZ data file (Map###.json, CommonEvents.json, Troops.json, a database file or System.json)',
    );
  const pointers: string[] = [];
  if (kind === 'map') {
    const map = value as Record<string, Json>;
    if (typeof map.displayName === 'string') pointers.push('/displayName');
    (map.events as Json[]).forEach((event, index) => {
      if (isObject(event)) fromPages(event.pages, `/events/${index}/pages`, pointers);
    });
  } else if (kind === 'events') {
    (value as Json[]).forEach((row, index) => {
      if (!isObject(row)) return;
      fromCommandList(row.list, `/${index}/list`, pointers);
      fromPages(row.pages, `/${index}/pages`, pointers);
    });
  } else if (kind === 'database') {
    (value as Json[]).forEach((row, index) => {
      if (!isObject(row)) return;
      for (const field of DATABASE_FIELDS) if (typeof row[field] === 'string') pointers.push(`/${index}/${field}`);
    });
  } else {
    // System.json: every string under terms and the type lists; the title and currency.
    for (const pointer of sites.keys()) {
      if (
        pointer.startsWith('/terms/') ||
        SYSTEM_LISTS.some((list) => pointer.startsWith(`/${list}/`)) ||
        pointer === '/gameTitle' ||
        pointer === '/currencyUnit'
      )
        pointers.push(pointer);
    }
  }
  return documentFromSites(source, sites, pointers, RPGMAKER_CODES);
}
