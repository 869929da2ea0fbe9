import { InvalidRequestError } from '@latchkey/errors';
import { isDnsLabel } from '@latchkey/target';

/** The first message of a `/ws/exec` connection, validated. */
export interface ExecInit {
  readonly type: 'exec_init';
  readonly namespace: string;
  readonly pod: string;
  readonly container?: string;
  readonly command: readonly string[];
  readonly tty?: boolean;
  readonly cols?: number;
  readonly rows?: number;
}

/** A message the client may send once the exec has started. */
export type ExecClientMessage =
  | { readonly type: 'stdin'; readonly data: string }
  | { readonly type: 'resize'; readonly cols: number; readonly rows: number };

const MAX_COMMAND_ARGS = 64;
const MAX_ARG_BYTES = 4_096;
const MAX_SUBDOMAIN_LENGTH = 253;
const MAX_DIMENSION = 1_000;
// DNS-1123 subdomain as Kubernetes checks it: dot-separated DNS-1123 labels, at most 253 characters.
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

const INIT_MEMBERS: ReadonlySet<string> = new Set([
  'type',
  'namespace',
  'pod',
  'container',
  'command',
  'tty',
  'cols',
  'rows',
]);
const STDIN_MEMBERS: ReadonlySet<string> = new Set(['type', 'data']);
const RESIZE_MEMBERS: ReadonlySet<string> = new Set(['type', 'cols', 'rows']);

const invalid = (): InvalidRequestError => new InvalidRequestError('schema');

/**
 * Whether `value` is a DNS-1123 subdomain (a pod name): dot-separated DNS-1123 labels, 1 to 253
 * characters in all.
 *
 * @example
 * ```ts
 * isDnsSubdomain('web-0.cache'); // true
 * isDnsSubdomain('Web_0');       // false
 * ```
 */
export function isDnsSubdomain(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_SUBDOMAIN_LENGTH && DNS_SUBDOMAIN.test(value);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

const isJsonSpace = (code: number): boolean =>
  code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

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
    while (k < length && isJsonSpace(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === COLON) count++;
    i = text.indexOf('"', k);
  }
  return count;
}

/** Members across every object of a parsed JSON value. */
function countMembers(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key of Object.keys(value)) count += 1 + countMembers((value as Record<string, unknown>)[key]);
  return count;
}

/**
 * Whether JSON text (already accepted by `JSON.parse` as `value`) names one member twice in some
 * object. `JSON.parse` keeps the last duplicate, and a validator reading the first would disagree with
 * it. It keeps one member per name, so the text names more members than the value holds exactly when
 * some object repeats a name: counting is one quick pass (a `\u`-escaped repeat counts too).
 */
function hasDuplicateMembers(text: string, value: unknown): boolean {
  return countMemberNames(text) !== countMembers(value);
}

/** A JSON object with no member twice, or an `INVALID_REQUEST` error. */
function strictObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  if (hasDuplicateMembers(text, value)) throw invalid();
  return value as Record<string, unknown>;
}

function onlyMembers(value: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw invalid();
}

const isDimension = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_DIMENSION;

const has = (object: object, key: string): boolean => Object.hasOwn(object, key);

/**
 * Validates the `exec_init` message strictly, before anything runs: `namespace` and `container`
 * DNS-1123 labels, `pod` a DNS-1123 subdomain, `command` 1–64 strings of at most 4096 UTF-8 bytes,
 * `tty` a boolean, `cols`/`rows` integers 1–1000; no unknown or duplicate members. Throws
 * `INVALID_REQUEST` (400, reason `schema`) otherwise.
 *
 * @example
 * ```ts
 * parseExecInit('{"type":"exec_init","namespace":"team-a","pod":"web-0","command":["sh"]}');
 * ```
 */
export function parseExecInit(text: string): ExecInit {
  const value = strictObject(text);
  onlyMembers(value, INIT_MEMBERS);
  const { type, namespace, pod, container, command, tty, cols, rows } = value;
  if (type !== 'exec_init') throw invalid();
  if (!isDnsLabel(namespace) || !isDnsSubdomain(pod)) throw invalid();
  if (has(value, 'container') && !isDnsLabel(container)) throw invalid();
  if (!Array.isArray(command) || command.length < 1 || command.length > MAX_COMMAND_ARGS) throw invalid();
  for (const arg of command) {
    if (typeof arg !== 'string' || Buffer.byteLength(arg, 'utf8') > MAX_ARG_BYTES) throw invalid();
  }
  if (has(value, 'tty') && typeof tty !== 'boolean') throw invalid();
  if (has(value, 'cols') && !isDimension(cols)) throw invalid();
  if (has(value, 'rows') && !isDimension(rows)) throw invalid();
  return {
    type,
    namespace,
    pod,
    command: Object.freeze([...(command as string[])]),
    ...(container === undefined ? {} : { container: container as string }),
    ...(tty === undefined ? {} : { tty: tty as boolean }),
    ...(cols === undefined ? {} : { cols: cols as number }),
    ...(rows === undefined ? {} : { rows: rows as number }),
  };
}

/**
 * Validates a message sent after `exec_started`: `{"type":"stdin","data":string}` or
 * `{"type":"resize","cols","rows"}` (integers 1–1000), with no other or duplicate members. Throws
 * `INVALID_REQUEST` otherwise.
 *
 * @example
 * ```ts
 * parseClientMessage('{"type":"stdin","data":"ls\\n"}'); // { type: 'stdin', data: 'ls\n' }
 * ```
 */
export function parseClientMessage(text: string): ExecClientMessage {
  const value = strictObject(text);
  if (value.type === 'stdin') {
    onlyMembers(value, STDIN_MEMBERS);
    if (typeof value.data !== 'string') throw invalid();
    return { type: 'stdin', data: value.data };
  }
  if (value.type === 'resize') {
    onlyMembers(value, RESIZE_MEMBERS);
    if (!isDimension(value.cols) || !isDimension(value.rows)) throw invalid();
    return { type: 'resize', cols: value.cols, rows: value.rows };
  }
  throw invalid();
}

const MAX_LINE_LENGTH = 4_096;
const EXIT_LINE = /^exit(?:[ \t]+(\d{1,3}))?$/;

/**
 * The simulated shell's line reader: fed stdin chunks as they come (keystrokes or whole lines), it
 * returns the exit code once a complete line reads `exit` or `exit N` (N 0–255, kept exactly), and
 * `undefined` until then. A line longer than 4096 characters is never a command.
 *
 * @example
 * ```ts
 * const shell = createLineShell();
 * shell.feed('ex'); shell.feed('it 3\n'); // 3
 * ```
 */
export function createLineShell(): LineShell {
  return new LineShell();
}

/** The state of {@link createLineShell}: a class, so idle sessions share its method. */
export class LineShell {
  #line = '';
  #overlong = false;

  /** Feeds one stdin chunk; returns the exit code once a line reads `exit` or `exit N`. */
  feed(data: string): number | undefined {
    let start = 0;
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      const complete = this.#overlong ? undefined : this.#line + data.slice(start, i);
      this.#line = '';
      this.#overlong = false;
      start = i + 1;
      if (complete === undefined || complete.length > MAX_LINE_LENGTH) continue;
      const trimmed = complete.trim();
      // Most lines are not commands to this shell: skip the regex unless the line could be one.
      if (!trimmed.startsWith('exit')) continue;
      const match = EXIT_LINE.exec(trimmed);
      if (match === null) continue;
      const code = match[1] === undefined ? 0 : Number(match[1]);
      if (code <= 255) return code;
    }
    if (!this.#overlong) {
      this.#line += data.slice(start);
      if (this.#line.length > MAX_LINE_LENGTH) {
        this.#line = '';
        this.#overlong = true;
      }
    }
    return undefined;
  }
}
