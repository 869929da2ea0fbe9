export type { Revocation, RevocationBus, RevocationSubscription } from './bus.js';
export {
  type CancelReason,
  createRegistry,
  type Lease,
  type LeaseCredential,
  type Registry,
  type RegistryOptions,
} from './registry.js';
export { createWatermarkTable, type WatermarkTable, type WatermarkTableOptions } from './watermarks.js';
