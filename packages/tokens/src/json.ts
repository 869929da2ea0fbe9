import { isAscii, isUtf8 } from 'node:buffer';

/**
 * Strict JSON for token headers and claims. `JSON.parse` (and so jose) keeps the last of two members
 * with the same name; two parsers that disagree on which one wins are a classic confusion bug, so a
 * header or claims set with a duplicate member name is rejected outright. Bytes must be valid UTF-8.
 */

/** Why {@link parseJsonObject} refused its input. */
export type JsonFailure = 'malformed' | 'duplicate-member';

/** Decodes UTF-8 strictly (invalid sequences refused, never replaced); ASCII, the common case, takes a shortcut. */
function decodeUtf8(bytes: Buffer): string | undefined {
  if (isAscii(bytes)) return bytes.toString('latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/** Parses UTF-8 bytes holding a JSON object; refuses anything else, and duplicate member names at any depth. */
export function parseJsonObject(input: Uint8Array): Record<string, unknown> | JsonFailure {
  const bytes = Buffer.isBuffer(input)
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const text = decodeUtf8(bytes);
  if (text === undefined) return 'malformed';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'malformed';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'malformed';
  // JSON.parse keeps one member per name, so the text names more members than the value holds exactly
  // when some object repeats a name. Counting is cheap; only then is the exact scan run.
  if (countMemberNames(text) === countMembers(value)) return value as Record<string, unknown>;
  return hasDuplicateMembers(text) ? 'duplicate-member' : 'malformed';
}

/** Members across every object of a parsed JSON value. */
function countMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key in value) count += 1 + countMembers((value as Record<string, unknown>)[key]);
  return count;
}

/** Member names in JSON text that `JSON.parse` accepted: string tokens followed by `:`. */
function countMemberNames(text: string): number {
  let count = 0;
  const length = text.length;
  let i = text.indexOf('"');
  while (i !== -1) {
    let j = i + 1;
    for (;;) {
      const c = text.charCodeAt(j);
      if (c === BACKSLASH) j += 2;
      else if (c === QUOTE) break;
      else j++;
    }
    let k = j + 1;
    while (k < length && isWhitespace(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === COLON) count++;
    i = text.indexOf('"', k);
  }
  return count;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/**
 * Scans text that `JSON.parse` already accepted, so it only tracks structure: a string is a member name
 * when it sits directly in an object and the next non-blank character is `:`. Names are compared after
 * unescaping (`"a"` and `"\u0061"` are the same member).
 */
export function hasDuplicateMembers(text: string): boolean {
  // One entry per open container: a set of names for an object, null for an array.
  const stack: Array<Set<string> | null> = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      let j = i + 1;
      let escaped = false;
      for (;;) {
        const c = text.charCodeAt(j);
        if (c === BACKSLASH) {
          escaped = true;
          j += 2;
        } else if (c === QUOTE) break;
        else j++;
      }
      const names = stack.length === 0 ? null : stack[stack.length - 1];
      if (names) {
        let k = j + 1;
        while (k < length && isWhitespace(text.charCodeAt(k))) k++;
        if (text.charCodeAt(k) === COLON) {
          const name = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
          if (names.has(name)) return true;
          names.add(name);
        }
      }
      i = j + 1;
      continue;
    }
    if (code === OPEN_OBJECT) stack.push(new Set());
    else if (code === OPEN_ARRAY) stack.push(null);
    else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) stack.pop();
    i++;
  }
  return false;
}
