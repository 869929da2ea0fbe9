import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { parseJsonObject } from './json.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');

test.prop([fc.dictionary(fc.string(), fc.jsonValue())])(
  'accepts every JSON object JSON.stringify writes',
  (value) => {
    expect(parseJsonObject(bytes(JSON.stringify(value)))).toEqual(JSON.parse(JSON.stringify(value)));
  },
);

test.prop([fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), fc.jsonValue(), fc.nat()])(
  'refuses an object with any member repeated',
  (value, extra, pick) => {
    const names = Object.keys(value);
    const name = names[pick % names.length] ?? '';
    const text = JSON.stringify(value).replace(
      /}$/,
      () => `,${JSON.stringify(name)}:${JSON.stringify(extra)}}`,
    );
    expect(parseJsonObject(bytes(text))).toBe('duplicate-member');
    expect(parseJsonObject(bytes(`{"outer":[${text}]}`))).toBe('duplicate-member');
  },
);
