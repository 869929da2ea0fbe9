import { describe, expect, it } from 'vitest';
import { parseRecord, type SessionRecord, serializeRecord } from './session-record.js';

const record: SessionRecord = {
  target: { namespace: 'team-a', name: 'agent-1', kind: 'AgentRuntime' },
  endpoint: 'http://127.0.0.1:8080',
  authMode: 'session-token',
  createdAtMs: 1_000,
  expiresAtMs: 2_000,
};

describe('serializeRecord / parseRecord', () => {
  it('round-trips a record', () => {
    expect(parseRecord(serializeRecord(record))).toEqual(record);
  });

  it('round-trips a record with an owner, written last', () => {
    const owned = { ...record, owner: '6f1c2e1a-8a52-4c55-9d1b-1f0e8e0b9a3c' };
    expect(serializeRecord(owned)).toBe(JSON.stringify(owned));
    expect(parseRecord(serializeRecord(owned))).toEqual(owned);
  });

  it('types a stored record whose owner breaks its rules', () => {
    const text = JSON.stringify({ ...record, owner: 'x y' });
    expect(() => parseRecord(text)).toThrow(expect.objectContaining({ code: 'INTERNAL', status: 500 }));
  });

  it('writes the same text as JSON.stringify, escaping what an endpoint may hold', () => {
    for (const endpoint of ['http://127.0.0.1:8080', 'https://h/a"b\\c', 'http://h/\u2028é?q=<>']) {
      const value = { ...record, endpoint };
      expect(serializeRecord(value)).toBe(JSON.stringify(value));
      expect(parseRecord(serializeRecord(value))).toEqual(value);
    }
  });

  it('reads each field once: what is checked is what is written', () => {
    let reads = 0;
    const shifty = {
      ...record,
      get endpoint(): string {
        reads++;
        return reads === 1 ? 'http://ok' : 'file:///etc/passwd';
      },
    };
    expect(JSON.parse(serializeRecord(shifty)).endpoint).toBe('http://ok');
    expect(reads).toBe(1);
  });

  it.each([
    ['a namespace that is not a DNS label', { ...record, target: { ...record.target, namespace: 'Team_A' } }],
    ['a missing target field', { ...record, target: { namespace: 'a', name: 'b' } }],
    ['an endpoint that is not http(s)', { ...record, endpoint: 'file:///etc/passwd' }],
    ['an expiry before creation', { ...record, expiresAtMs: 500 }],
    ['an unknown field', { ...record, extra: true }],
    ['an unknown target field', { ...record, target: { ...record.target, zone: 'eu' } }],
    ['a kind with a dash', { ...record, target: { ...record.target, kind: 'Agent-Runtime' } }],
    ['a fractional timestamp', { ...record, createdAtMs: 1.5 }],
    ['a negative timestamp', { ...record, createdAtMs: -1 }],
    ['an endpoint that does not parse', { ...record, endpoint: 'http://[::1' }],
    ['an endpoint over 2048 characters', { ...record, endpoint: `http://a/${'x'.repeat(2048)}` }],
    ['an auth mode with spaces', { ...record, authMode: 'session token' }],
    ['an array as the target', { ...record, target: ['team-a', 'agent-1', 'AgentRuntime'] }],
    ['an empty owner', { ...record, owner: '' }],
    ['an owner with a quote', { ...record, owner: 'a"b' }],
    ['an owner over 128 characters', { ...record, owner: 'a'.repeat(129) }],
    ['an owner that is not a string', { ...record, owner: 42 }],
    ['an undefined owner', { ...record, owner: undefined }],
  ])('refuses to write %s (TypeError)', (_, bad) => {
    expect(() => serializeRecord(bad as SessionRecord)).toThrow(TypeError);
  });

  it('judges own keys only, as Object.keys lists them', () => {
    const inherited = Object.assign(Object.create({ inheritedField: true }) as object, record);
    expect(serializeRecord(inherited as SessionRecord)).toBe(JSON.stringify(record));
  });

  it('returns a frozen record with a frozen target', () => {
    const read = parseRecord(serializeRecord(record));
    expect(Object.isFrozen(read)).toBe(true);
    expect(Object.isFrozen(read.target)).toBe(true);
  });

  it.each([
    'not json',
    '{}',
    '[]',
    'null',
    JSON.stringify({ ...record, createdAtMs: 'yesterday' }),
    // six members, the sixth not `owner`; five members, one of them `owner` instead of a required one
    JSON.stringify({ ...record, extra: 'x' }),
    JSON.stringify({ ...record, expiresAtMs: undefined, owner: 'alice' }),
    JSON.stringify({ ...record, target: { ...record.target, zone: 'eu' } }),
    `{"__proto__":{"x":1},${serializeRecord(record).slice(1)}`,
  ])('types a corrupt stored record %j', (text) => {
    expect(() => parseRecord(text)).toThrow(expect.objectContaining({ code: 'INTERNAL', status: 500 }));
  });
});
