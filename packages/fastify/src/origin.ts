import type { CredentialSource } from '@latchkey/http';

/** What the Origin rule (DESIGN's console, T11) reads about one authenticated request. */
export interface OriginFacts {
  readonly origin: string | undefined;
  readonly host: string | undefined;
  readonly source: CredentialSource;
  readonly method: string;
  readonly allowedOrigins: ReadonlySet<string> | readonly string[] | undefined;
}

/**
 * Refuses a cookie- or query-authenticated mutation from a foreign Origin with 403 `FORBIDDEN`.
 * Delegates to `assertOrigin` of `@latchkey/http`.
 */
export function assertRequestOrigin(_facts: OriginFacts): void {
  // PENDING MERGE: `assertOrigin(facts)` from @latchkey/http (packages/http/src/origin.ts) lands in main
  // with the ws branch; origin.test.ts already expects its refusals.
}
