import { describe, expect, it } from 'vitest';
import { AUDIENCE, ec, ec2, ISSUER, now, SESSION_ID } from '../test/helpers.js';
import { createSessionKeyHolder } from './session-key-holder.js';
import { createSessionTokenSigner } from './session-token.js';

const options = { issuer: ISSUER, audience: AUDIENCE, now };

describe('createSessionKeyHolder', () => {
  it('is unusable before initialisation: DAEMON_NOT_INITIALIZED (503)', async () => {
    const holder = createSessionKeyHolder(options);
    expect(holder.state).toBe('uninitialized');
    expect(holder.isInitialized).toBe(false);
    const notInitialized = { code: 'DAEMON_NOT_INITIALIZED', reason: 'not-initialized', status: 503 };
    expect(() => holder.verifier).toThrow(expect.objectContaining(notInitialized));
    expect(() => holder.publicKey).toThrow(expect.objectContaining(notInitialized));
    expect(() => holder.sessionId).toThrow(expect.objectContaining(notInitialized));
    await expect(holder.verify('x.y.z')).rejects.toMatchObject(notInitialized);
  });

  it('initialises once; a second initialisation is ALREADY_INITIALIZED (409) and keeps the first key', async () => {
    const holder = createSessionKeyHolder(options);
    holder.initialize({ sessionId: SESSION_ID, sessionPublicKey: ec.publicKey });
    expect(holder.state).toBe('initialized');
    expect(() => holder.initialize({ sessionId: 'sess_evil', sessionPublicKey: ec2.publicKey })).toThrow(
      expect.objectContaining({ code: 'ALREADY_INITIALIZED', status: 409 }),
    );
    expect(holder.publicKey).toBe(ec.publicKey);
    const token = await createSessionTokenSigner({
      privateKey: ec.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: SESSION_ID,
      now,
    }).sign();
    await expect(holder.verify(token)).resolves.toMatchObject({ sessionId: SESSION_ID });
    const evil = await createSessionTokenSigner({
      privateKey: ec2.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: SESSION_ID,
      now,
    }).sign();
    await expect(holder.verify(evil)).rejects.toMatchObject({
      code: 'INVALID_SESSION_TOKEN',
      reason: 'bad-signature',
    });
  });

  it('lets exactly one of many concurrent initialisations win', async () => {
    const holder = createSessionKeyHolder(options);
    const keys = [ec.publicKey, ec2.publicKey];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, async (_, i) => {
        await Promise.resolve();
        return holder.initialize({ sessionId: SESSION_ID, sessionPublicKey: keys[i % 2] ?? ec.publicKey });
      }),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(
      outcomes
        .filter((outcome) => outcome.status === 'rejected')
        .every((o) => (o as PromiseRejectedResult).reason.code === 'ALREADY_INITIALIZED'),
    ).toBe(true);
  });

  it('binds verification to the initialised session id', async () => {
    const holder = createSessionKeyHolder(options);
    holder.initialize({ sessionId: SESSION_ID, sessionPublicKey: ec.publicKey });
    const other = await createSessionTokenSigner({
      privateKey: ec.privateKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      sessionId: 'sess_other',
      now,
    }).sign();
    await expect(holder.verify(other)).rejects.toMatchObject({
      code: 'INVALID_SESSION_TOKEN',
      reason: 'subject',
    });
  });
});
