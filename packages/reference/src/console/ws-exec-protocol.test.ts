import { describe, expect, it } from 'vitest';
import { createLineShell, isDnsSubdomain, parseClientMessage, parseExecInit } from './ws-exec-protocol.js';

const init = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'exec_init',
    namespace: 'team-a',
    pod: 'web-0',
    command: ['sh', '-c', 'ls'],
    ...extra,
  });

describe('parseExecInit', () => {
  it('accepts the contract’s message with every optional member', () => {
    expect(parseExecInit(init({ container: 'app', tty: true, cols: 1000, rows: 1 }))).toEqual({
      type: 'exec_init',
      namespace: 'team-a',
      pod: 'web-0',
      container: 'app',
      command: ['sh', '-c', 'ls'],
      tty: true,
      cols: 1000,
      rows: 1,
    });
  });

  it('accepts a 253-character pod subdomain and 64 arguments of 4096 bytes', () => {
    const pod = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(pod).toHaveLength(253);
    const command = Array.from({ length: 64 }, () => 'é'.repeat(2048));
    expect(parseExecInit(init({ pod, command })).command).toHaveLength(64);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['another type', JSON.stringify({ type: 'stdin', namespace: 'a', pod: 'p', command: ['sh'] })],
    ['a missing namespace', JSON.stringify({ type: 'exec_init', pod: 'p', command: ['sh'] })],
    ['a namespace of 64 characters', init({ namespace: 'a'.repeat(64) })],
    ['a namespace with a dot', init({ namespace: 'a.b' })],
    [
      'a pod of 254 characters',
      init({ pod: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}` }),
    ],
    ['an upper-case pod', init({ pod: 'Web-0' })],
    ['a container with a dot', init({ container: 'a.b' })],
    ['a null container', init({ container: null })],
    ['a command that is a string', init({ command: 'sh' })],
    ['65 arguments', init({ command: Array.from({ length: 65 }, () => 'x') })],
    ['a 4097-byte argument', init({ command: [`${'é'.repeat(2048)}x`] })],
    ['a number argument', init({ command: ['sh', 1] })],
    ['a string tty', init({ tty: 'yes' })],
    ['cols 1001', init({ cols: 1001 })],
    ['rows 1.5', init({ rows: 1.5 })],
    ['an unknown member', init({ env: {} })],
    ['a __proto__ member', init().replace('{', '{"__proto__":{},')],
    ['a duplicate member', init().replace('"pod":"web-0"', '"pod":"web-0","pod":"web-1"')],
    ['a duplicate through an escape', init().replace('"pod":"web-0"', '"pod":"web-0","\\u0070od":"web-1"')],
  ])('refuses %s with INVALID_REQUEST', (_label, text) => {
    expect(() => parseExecInit(text)).toThrow(
      expect.objectContaining({ code: 'INVALID_REQUEST', status: 400 }),
    );
  });
});

describe('parseClientMessage', () => {
  it('reads stdin and resize', () => {
    expect(parseClientMessage('{"type":"stdin","data":"ls\\n"}')).toEqual({ type: 'stdin', data: 'ls\n' });
    expect(parseClientMessage('{"type":"resize","cols":80,"rows":24}')).toEqual({
      type: 'resize',
      cols: 80,
      rows: 24,
    });
  });

  it.each([
    '{"type":"stdin"}',
    '{"type":"stdin","data":1}',
    '{"type":"stdin","data":"a","extra":1}',
    '{"type":"stdin","data":"a","data":"b"}',
    '{"type":"resize","cols":0,"rows":24}',
    '{"type":"resize","cols":80}',
    '{"type":"exec_init","namespace":"a","pod":"p","command":["sh"]}',
    '"stdin"',
  ])('refuses %s with INVALID_REQUEST', (text) => {
    expect(() => parseClientMessage(text)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('isDnsSubdomain', () => {
  it('accepts dotted labels and refuses the rest', () => {
    expect(isDnsSubdomain('web-0.cache')).toBe(true);
    expect(isDnsSubdomain('-web')).toBe(false);
    expect(isDnsSubdomain('web..0')).toBe(false);
    expect(isDnsSubdomain('web\n')).toBe(false);
    expect(isDnsSubdomain('')).toBe(false);
  });
});

describe('createLineShell', () => {
  it('returns the exact exit code of an `exit N` line, fed in pieces', () => {
    const shell = createLineShell();
    expect(shell.feed('echo hi\n')).toBeUndefined();
    expect(shell.feed('ex')).toBeUndefined();
    expect(shell.feed('it 255')).toBeUndefined();
    expect(shell.feed('\r')).toBe(255);
  });

  it('reads `exit` alone as 0 and ignores out-of-range codes and other lines', () => {
    expect(createLineShell().feed('  exit  \n')).toBe(0);
    expect(createLineShell().feed('exit 256\n')).toBeUndefined();
    expect(createLineShell().feed('exit 3 now\n')).toBeUndefined();
    expect(createLineShell().feed('echo exit 3\n')).toBeUndefined();
    expect(createLineShell().feed('exit 007\n')).toBe(7);
  });

  it('never reads an over-long line as a command', () => {
    const shell = createLineShell();
    expect(shell.feed('x'.repeat(5_000))).toBeUndefined();
    expect(shell.feed('exit 1\n')).toBeUndefined();
    expect(shell.feed('exit 2\n')).toBe(2);
  });
});
