import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createLineShell, parseExecInit } from './ws-exec-protocol.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const valid = fc.record(
  {
    type: fc.constant('exec_init'),
    namespace: label,
    pod: fc.array(label, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.')),
    container: label,
    command: fc.array(fc.string({ maxLength: 50 }), { minLength: 1, maxLength: 64 }),
    tty: fc.boolean(),
    cols: fc.integer({ min: 1, max: 1000 }),
    rows: fc.integer({ min: 1, max: 1000 }),
  },
  { requiredKeys: ['type', 'namespace', 'pod', 'command'] },
);

describe('parseExecInit', () => {
  test.prop([valid])('accepts every valid init and returns it unchanged', (init) => {
    expect(parseExecInit(JSON.stringify(init))).toEqual(init);
  });

  test.prop([valid, fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue()])(
    'refuses any init with a member outside the contract',
    (init, key, value) => {
      fc.pre(!['type', 'namespace', 'pod', 'container', 'command', 'tty', 'cols', 'rows'].includes(key));
      expect(() => parseExecInit(JSON.stringify({ ...init, [key]: value }))).toThrow(
        expect.objectContaining({ code: 'INVALID_REQUEST' }),
      );
    },
  );

  test.prop([valid, fc.constantFrom('namespace', 'pod', 'command', 'type')])(
    'refuses any init that repeats a member',
    (init, key) => {
      const text = JSON.stringify(init).replace(
        /}$/,
        `,${JSON.stringify(key)}:${JSON.stringify(init[key])}}`,
      );
      expect(() => parseExecInit(text)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    },
  );

  test.prop([fc.string({ maxLength: 200 })])('throws only INVALID_REQUEST for any text', (text) => {
    try {
      parseExecInit(text);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    }
  });
});

describe('createLineShell', () => {
  test.prop([fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 8 })])(
    'finds `exit N` with the exact code however the line is split',
    (code, cuts) => {
      const line = `exit ${code}\n`;
      const shell = createLineShell();
      let at = 0;
      let result: number | undefined;
      for (const cut of cuts) {
        result ??= shell.feed(line.slice(at, at + cut));
        at += cut;
      }
      result ??= shell.feed(line.slice(at));
      expect(result).toBe(code);
    },
  );
});
