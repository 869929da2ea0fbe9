import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { AUDIENCE, ec, ISSUER, now } from '../test/helpers.js';
import { createMemoryReplayGuard, type MemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
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

// --- model-based: the memory guard against a plain model, under a fake clock ------------------------

interface GuardModel {
  /** jti → expiry of every accepted claim still held by the model. */
  readonly held: Map<string, number>;
  readonly max: number;
  clock: number;
}
interface GuardReal {
  readonly guard: MemoryReplayGuard;
}

const liveCount = (model: GuardModel): number => {
  let count = 0;
  for (const expiresAt of model.held.values()) if (expiresAt > model.clock) count++;
  return count;
};

class Claim implements fc.AsyncCommand<GuardModel, GuardReal> {
  constructor(
    readonly jti: string,
    readonly ttlMs: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: GuardModel, real: GuardReal): Promise<void> {
    const expiresAt = model.clock + this.ttlMs;
    const previous = model.held.get(this.jti);
    const outcome = await real.guard.claim(this.jti, expiresAt).then(
      (first) => (first ? 'accepted' : 'replay'),
      (error: { code?: string }) => error.code,
    );
    if (previous !== undefined && previous > model.clock) {
      // Never accepted twice within its window.
      expect(outcome).toBe('replay');
      return;
    }
    if (!(expiresAt > model.clock)) {
      expect(outcome).toBe('accepted');
      return;
    }
    if (liveCount(model) >= model.max) {
      // Full of live ids: refused, never by evicting one.
      expect(outcome).toBe('CAPACITY_EXHAUSTED');
      return;
    }
    // Room (live ids below max, whatever is expired and not yet reclaimed): accepted.
    expect(outcome).toBe('accepted');
    model.held.set(this.jti, expiresAt);
  }
  toString(): string {
    return `claim(${this.jti}, +${this.ttlMs})`;
  }
}

class Advance implements fc.AsyncCommand<GuardModel, GuardReal> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(model: GuardModel): Promise<void> {
    model.clock += this.ms;
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

test.prop([
  fc.integer({ min: 1, max: 6 }),
  fc.commands(
    [
      fc
        .tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), fc.integer({ min: -5, max: 60 }))
        .map(([jti, ttl]) => new Claim(jti, ttl)),
      fc.integer({ min: 0, max: 40 }).map((ms) => new Advance(ms)),
    ],
    { maxCommands: 80 },
  ),
])(
  'the memory guard never accepts a jti twice within its window, refuses only when full of live ids, and otherwise accepts',
  async (max, commands) => {
    const model: GuardModel = { held: new Map(), max, clock: 1000 };
    const guard = createMemoryReplayGuard({ max, now: () => model.clock });
    await fc.asyncModelRun(() => ({ model, real: { guard } }), commands);
    expect(guard.size).toBeLessThanOrEqual(max);
  },
);

test.prop([fc.scheduler(), fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 20 })])(
  'concurrent claims of one jti: exactly one wins, in any interleaving',
  async (s, jtis) => {
    const clock = 1000;
    const guard = createMemoryReplayGuard({ max: 10, now: () => clock });
    const scheduled = jtis.map((jti) =>
      s.schedule(Promise.resolve(jti)).then((id) => guard.claim(id, clock + 100)),
    );
    await s.waitAll();
    const results = await Promise.all(scheduled);
    for (const jti of new Set(jtis)) {
      expect(results.filter((first, i) => first && jtis[i] === jti)).toHaveLength(1);
    }
  },
);
