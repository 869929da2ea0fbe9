import { randomBytes } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { checkHandshake } from './handshake.js';

const base = (key: string) => ({
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': key,
  'sec-websocket-version': '13',
});

describe('checkHandshake', () => {
  test.prop([fc.uint8Array({ minLength: 16, maxLength: 16 })])(
    'accepts every 16-byte key in base64',
    (bytes) => {
      const key = Buffer.from(bytes).toString('base64');
      expect(checkHandshake({ method: 'GET', headers: base(key) }).ok).toBe(true);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 40 }).filter((b) => b.length !== 16)])(
    'refuses a key of any other length',
    (bytes) => {
      const key = Buffer.from(bytes).toString('base64');
      expect(checkHandshake({ method: 'GET', headers: base(key) })).toMatchObject({
        ok: false,
        reason: 'key',
      });
    },
  );

  test.prop([
    fc.constantFrom('upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version'),
    fc.string(),
  ])(
    'refuses when any one header is replaced by arbitrary text (unless it happens to be valid)',
    (name, value) => {
      const headers = { ...base(randomBytes(16).toString('base64')), [name]: value };
      const decision = checkHandshake({ method: 'GET', headers });
      const stillValid =
        (name === 'upgrade' && value.trim().toLowerCase() === 'websocket') ||
        (name === 'connection' && value.split(',').some((p) => p.trim().toLowerCase() === 'upgrade')) ||
        (name === 'sec-websocket-key' && /^[A-Za-z0-9+/]{21}[AQgw]==$/.test(value.trim())) ||
        (name === 'sec-websocket-version' && value.trim() === '13');
      expect(decision.ok).toBe(stillValid);
    },
  );
});
