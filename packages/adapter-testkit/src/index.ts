export { type AppFactory, type RunningApp, useTestApp } from './app-factory.js';
export { type TwoInstances, twoInstances } from './cluster.js';
export { exampleScenario } from './example.js';
export { baseUrl, closeServer, failure, type OpenStream, openStream } from './http.js';
export {
  createKit,
  generateKeys,
  type KeyPair,
  type Kit,
  type KitOptions,
  policy,
  STORE_TIMEOUT_MS,
  type TestClaims,
} from './kit.js';
export { adapterScenarios, type Target } from './scenarios.js';
export { twoInstanceScenarios } from './two-instances.js';
