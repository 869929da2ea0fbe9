/**
 * Session-target matcher and role guards: the checks on every request of a reused session or a guarded
 * route. Each figure runs beside a bare inline version of the same check in the same run, and every result
 * is folded into `sink` (read after the run), so no case can be optimised away.
 */
import { createRoutePolicy, requireEditorOrAdmin } from '@latchkey/guards';
import { decideTargetMatch, parseTarget, type Target } from '@latchkey/session-target';
import { type Benchmark, compareThroughput, plain, versus } from '../harness.js';

let sink = 0;

// Stored bindings come back from a store as fresh strings (JSON), requested ones from parsing a route:
// equal contents, different string objects, as in a router.
const TARGETS: readonly Target[] = Array.from({ length: 16 }, (_, i) => ({
  namespace: `team-${i % 4}`,
  name: `agent-${i}`,
  kind: i % 2 === 0 ? 'AgentRuntime' : 'CodeInterpreter',
}));
const STORED: readonly Target[] = TARGETS.map((t) => JSON.parse(JSON.stringify(t)) as Target);
const REQUESTED: readonly Target[] = TARGETS.map((t) => parseTarget({ ...t }));

const ROLES = ['viewer', 'editor', 'admin'] as const;
const IDENTITIES = Array.from({ length: 16 }, (_, i) => ({ user: `u${i}`, role: ROLES[i % 3] as string }));

const CONSOLE = createRoutePolicy([
  { method: 'POST', path: '/api/gitops/sync', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/upgrade', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/uninstall', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/helm/rollback', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/argocd/sync', minRole: 'editor' },
  { method: 'POST', path: '/api/gitops/detect-drift', minRole: 'viewer' },
  { method: 'GET', path: '/api/events', minRole: 'viewer' },
  { method: 'GET', path: '/api/exec', minRole: 'editor' },
]);
const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['POST', '/api/gitops/sync'],
  ['GET', '/api/events'],
  ['POST', '/api/gitops/detect-drift'],
  ['GET', '/api/exec'],
];
// The bare baseline: a method → path → minimum-rank Map lookup and a role index comparison.
const BARE_TABLE = new Map<string, Map<string, number>>([
  [
    'POST',
    new Map([
      ['/api/gitops/sync', 1],
      ['/api/gitops/detect-drift', 0],
    ]),
  ],
  [
    'GET',
    new Map([
      ['/api/events', 0],
      ['/api/exec', 1],
    ]),
  ],
]);

const TARGET = '>= 10M/s';

const benchmarks: Benchmark[] = [
  {
    name: 'target match',
    async run(context) {
      let i = 0;
      const rates = await compareThroughput(
        {
          bare: () => {
            const s = STORED[i & 15] as Target;
            const r = REQUESTED[i++ & 15] as Target;
            if (s.namespace === r.namespace && s.name === r.name && s.kind === r.kind) sink++;
          },
          matcher: () => {
            if (decideTargetMatch(STORED[i & 15], REQUESTED[i++ & 15]).ok) sink++;
          },
        },
        context,
      );
      const baseline = { name: 'inline 3-field compare', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('target match', rates.matcher, 'ops/s', baseline, { target: TARGET }),
      ];
    },
  },
  {
    name: 'guard decision',
    async run(context) {
      let i = 0;
      const bareRoles: readonly string[] = ROLES;
      const rates = await compareThroughput(
        {
          bare: () => {
            const identity = IDENTITIES[i++ & 15];
            if (identity !== undefined && bareRoles.indexOf(identity.role) >= 1) sink++;
          },
          guard: () => {
            if (requireEditorOrAdmin.decide(IDENTITIES[i++ & 15]).ok) sink++;
          },
        },
        context,
      );
      const baseline = { name: 'bare role indexOf', value: rates.bare };
      return [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('guard decision', rates.guard, 'ops/s', baseline, { target: TARGET }),
      ];
    },
  },
  {
    name: 'policy decide',
    async run(context) {
      let i = 0;
      const bareRoles: readonly string[] = ROLES;
      const rates = await compareThroughput(
        {
          bare: () => {
            const route = ROUTES[i & 3] as readonly [string, string];
            const identity = IDENTITIES[i++ & 15];
            const required = BARE_TABLE.get(route[0])?.get(route[1]);
            if (
              identity !== undefined &&
              required !== undefined &&
              bareRoles.indexOf(identity.role) >= required
            )
              sink++;
          },
          policy: () => {
            const route = ROUTES[i & 3] as readonly [string, string];
            if (CONSOLE.decide(route[0], route[1], IDENTITIES[i++ & 15]).ok) sink++;
          },
        },
        context,
      );
      const baseline = { name: 'bare Map lookup + indexOf', value: rates.bare };
      const figures = [
        plain(baseline.name, rates.bare, 'ops/s'),
        versus('policy decide', rates.policy, 'ops/s', baseline, { target: TARGET }),
      ];
      // Reading the sink keeps every case observable; it is never zero after a run.
      if (sink === 0) throw new Error('benchmark produced no results');
      return figures;
    },
  },
];

export default benchmarks;
