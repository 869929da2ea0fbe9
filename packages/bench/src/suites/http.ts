/**
 * `@latchkey/http` on the request path: credential extraction (every authenticated request) and the
 * `/init` rate limiter. Extraction runs beside the least a server could do, a bare
 * `authorization.slice(7)`, in the same run; every result is folded into `sink` (checked after the
 * run), so no case can be optimised away.
 */
import { createRateLimiter, extractCredentials } from '@latchkey/http';
import { type Benchmark, compareThroughput, plain, versus } from '../harness.js';

let sink = 0;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A JWT-shaped string of realistic ES256 session-token size (header.claims.signature ≈ 330 chars). */
function jwtLike(seed: number): string {
  let state = seed * 2654435761;
  const part = (length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out += B64URL[state & 63];
    }
    return out;
  };
  return `${part(60)}.${part(180)}.${part(86)}`;
}

// Sixteen distinct requests, as node:http hands them over: lower-case header record, fresh strings.
// API clients send the Bearer header; the browser also sends its cookies (here unrelated ones).
const NODE_REQUESTS = Array.from({ length: 16 }, (_, i) => ({
  headers: {
    host: '127.0.0.1:8080',
    accept: 'application/json',
    authorization: `Bearer ${jwtLike(i)}`,
    cookie: 'theme=dark; lang=en',
  } as Record<string, string | undefined>,
  url: '/api/gitops/sync',
}));
// The T8 shape: a Bearer header and the auth cookie, both well formed, so both are checked in full.
const BOTH_REQUESTS = NODE_REQUESTS.map(({ headers, url }, i) => ({
  headers: { ...headers, cookie: `theme=dark; latchkey_auth=${jwtLike(i + 100)}; lang=en` },
  url,
}));
// The same requests as Fetch `Request` headers (what `createApp(deps)` handlers receive).
const FETCH_REQUESTS = NODE_REQUESTS.map(({ headers, url }) => ({
  headers: new Headers(headers as Record<string, string>),
  url: `http://127.0.0.1:8080${url}`,
}));
const OPTIONS = { cookieName: 'latchkey_auth' };

const TARGET = '>= 1M/s';

const benchmarks: Benchmark[] = [
  {
    name: 'credential extraction',
    async run(context) {
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const authorization = NODE_REQUESTS[i++ & 15]?.headers.authorization;
            if (authorization !== undefined) sink += authorization.slice(7).length;
          },
          extract: () => {
            const { candidates } = extractCredentials(
              NODE_REQUESTS[i++ & 15] as (typeof NODE_REQUESTS)[number],
              OPTIONS,
            );
            sink += candidates.length + (candidates[0]?.token.length ?? 0);
          },
          extractBoth: () => {
            const { candidates } = extractCredentials(
              BOTH_REQUESTS[i++ & 15] as (typeof BOTH_REQUESTS)[number],
              OPTIONS,
            );
            sink += candidates.length + (candidates[1]?.token.length ?? 0);
          },
          bareFetch: () => {
            const authorization = FETCH_REQUESTS[i++ & 15]?.headers.get('authorization');
            if (typeof authorization === 'string') sink += authorization.slice(7).length;
          },
          extractFetch: () => {
            const { candidates } = extractCredentials(
              FETCH_REQUESTS[i++ & 15] as (typeof FETCH_REQUESTS)[number],
              OPTIONS,
            );
            sink += candidates.length + (candidates[0]?.token.length ?? 0);
          },
        },
        context,
      );
      const baseline = { name: 'bare authorization.slice(7)', value: rates.bare };
      const fetchBaseline = { name: 'bare Headers.get().slice(7)', value: rates.bareFetch };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('credential extraction', rates.extract, 'ops/s', baseline, { target: TARGET }),
        versus('credential extraction, header + cookie', rates.extractBoth, 'ops/s', baseline, {
          target: TARGET,
        }),
        plain(fetchBaseline.name, rates.bareFetch, 'ops/s'),
        versus('credential extraction (Fetch Headers)', rates.extractFetch, 'ops/s', fetchBaseline, {
          target: TARGET,
        }),
      ];
    },
  },
  {
    name: 'rate limiter take',
    async run(context) {
      // Generous limits so every take is admitted: this measures the bookkeeping, not refusals.
      const limiter = createRateLimiter({
        ratePerSecond: 1e9,
        burst: 1_000_000,
        global: { ratePerSecond: 1e12, burst: 1_000_000_000 },
        maxKeys: 10_000,
      });
      const keys = Array.from({ length: 1024 }, (_, k) => `10.0.${k >> 8}.${k & 255}`);
      const buckets = new Map<string, number>();
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const key = keys[i++ & 1023] as string;
            const count = (buckets.get(key) ?? 0) + 1;
            buckets.set(key, count);
            sink += count & 1;
          },
          take: () => {
            limiter.take(keys[i++ & 1023] as string);
            sink++;
          },
        },
        context,
      );
      const baseline = { name: 'bare Map counter', value: rates.bare };
      const figures = [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('rate limiter take', rates.take, 'ops/s', baseline),
      ];
      // Reading the sink keeps every case observable; it is never zero after a run.
      if (sink === 0) throw new Error('benchmark produced no results');
      return figures;
    },
  },
];

export default benchmarks;
