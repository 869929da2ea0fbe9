import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { AUDIENCE, ec, ISSUER, now } from '../test/helpers.js';
import { createMemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
import { createSessionTokenSigner, createSessionTokenVerifier } from './session-token.js';

const signer = createSessionTokenSigner({
  privateKey: ec.privateKey,
  issuer: ISSUER,
  audience: AUDIENCE,
  sessionId: 'sess_p',
  now,
});
const tokens = await Promise.all(Array.from({ length: 3 }, () => signer.sign()));
const N = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

// The same claims under the other valid signature (s → n − s): a second token with the same jti.
function twin(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const signature = Buffer.from(s, 'base64url');
  const negated = (N - BigInt(`0x${signature.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0');
  return `${h}.${p}.${Buffer.concat([signature.subarray(0, 32), Buffer.from(negated, 'hex')]).toString('base64url')}`;
}

test.prop([
  fc.scheduler(),
  fc.array(fc.tuple(fc.nat(2), fc.boolean()), { minLength: 1, maxLength: 12 }),
  fc.boolean(),
])(
  'under any interleaving of concurrent verifications a jti is accepted at most once',
  async (s, picks, cached) => {
    const inner = createMemoryReplayGuard({ max: 100, now });
    // Every claim waits for the scheduler, so verifications interleave in any order fast-check picks.
    const replayGuard: ReplayGuard = {
      claim: (jti, until) => s.schedule(Promise.resolve(), 'claim').then(() => inner.claim(jti, until)),
    };
    const verifier = createSessionTokenVerifier({
      publicKey: ec.publicKey,
      issuer: ISSUER,
      audience: AUDIENCE,
      now,
      replayGuard,
      ...(cached ? { cache: { max: 8 } } : {}),
    });
    const runs = picks.map(([index, useTwin]) => {
      const token = tokens[index] ?? '';
      return verifier.verify(useTwin ? twin(token) : token).then(
        (claims) => claims.tokenId,
        () => undefined,
      );
    });
    // Signature checks finish on the threadpool, outside the scheduler: release claims as they arrive.
    let settled = false;
    const all = Promise.all(runs).finally(() => {
      settled = true;
    });
    while (!settled) {
      if (s.count() > 0) await s.waitOne();
      else await new Promise((resolve) => setImmediate(resolve));
    }
    const jtis = (await all).filter((jti) => jti !== undefined);
    expect(new Set(jtis).size).toBe(jtis.length);
    expect(jtis.length).toBe(new Set(picks.map(([index]) => index)).size);
  },
);
