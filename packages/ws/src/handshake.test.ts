import { describe, expect, it } from 'vitest';
import { checkHandshake } from './handshake.js';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const good = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': KEY,
  'sec-websocket-version': '13',
};

describe('checkHandshake', () => {
  it('accepts an RFC 6455 opening handshake, whatever the header case of the values', () => {
    expect(checkHandshake({ method: 'GET', headers: good })).toEqual({ ok: true });
    expect(
      checkHandshake({
        method: 'GET',
        headers: { ...good, upgrade: 'WebSocket', connection: 'keep-alive, Upgrade' },
      }),
    ).toEqual({ ok: true });
  });

  it('reads a Fetch Headers object too', () => {
    expect(checkHandshake({ method: 'GET', headers: new Headers(good) })).toEqual({ ok: true });
  });

  it.each([
    ['method', { method: 'POST', headers: good }],
    ['method', { method: 'get', headers: good }],
    ['upgrade', { method: 'GET', headers: { ...good, upgrade: undefined } }],
    ['upgrade', { method: 'GET', headers: { ...good, upgrade: 'h2c' } }],
    ['upgrade', { method: 'GET', headers: { ...good, upgrade: 'websocket, h2c' } }],
    ['connection', { method: 'GET', headers: { ...good, connection: 'close' } }],
    ['connection', { method: 'GET', headers: { ...good, connection: undefined } }],
    ['key', { method: 'GET', headers: { ...good, 'sec-websocket-key': undefined } }],
    ['key', { method: 'GET', headers: { ...good, 'sec-websocket-key': 'c2hvcnQ=' } }],
    ['key', { method: 'GET', headers: { ...good, 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' } }],
    ['key', { method: 'GET', headers: { ...good, 'sec-websocket-key': [KEY, KEY] } }],
    ['version', { method: 'GET', headers: { ...good, 'sec-websocket-version': '8' } }],
    ['version', { method: 'GET', headers: { ...good, 'sec-websocket-version': undefined } }],
  ] as const)('refuses with reason %s', (reason, request) => {
    expect(checkHandshake(request)).toEqual({ ok: false, code: 'INVALID_REQUEST', reason });
  });
});
