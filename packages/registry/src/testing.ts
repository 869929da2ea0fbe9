export { type RevocationBusFixture, revocationBusConformance } from './testing/conformance.js';
export {
  createMemoryRevocationBus,
  type MemoryRevocationBus,
  type MemoryRevocationBusOptions,
} from './testing/memory-bus.js';
