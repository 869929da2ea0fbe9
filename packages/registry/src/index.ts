export type {
  Revocation,
  RevocationBus,
  RevocationListener,
  RevocationSubscription,
} from './bus.js';
export type { Lease } from './lease.js';
export {
  type CancelReason,
  createRegistry,
  type RegisterOptions,
  type Registry,
  type RegistryOptions,
} from './registry.js';
export type { RevocationDecision } from './revocation-view.js';
