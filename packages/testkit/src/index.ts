export { type NodeAddress, type StartClusterOptions, startCluster, type TestCluster } from './cluster.js';
export { freePort } from './ports.js';
export { binariesOf, type ServerFlavor } from './process.js';
export { sendCommand, waitUntil } from './resp.js';
export { type StartServerOptions, startServer, type TestServer } from './server.js';

/** Both server flavours, for `describe.each(FLAVORS)`: every store test runs on Redis and on Valkey. */
export const FLAVORS: readonly ['redis', 'valkey'] = ['redis', 'valkey'];
export {
  type AccessRule,
  type FaultScope,
  type IssueTokenOptions,
  type KubeApiTestServer,
  type KubeFault,
  type KubeObjectRef,
  type KubeRequestCounts,
  type RecordedRequest,
  type StartKubeApiServerOptions,
  startKubeApiServer,
} from './kube/api-server.js';
export { makeTestCertificates, type TestCertificates } from './kube/certificates.js';
export type { KubeTokenAlg } from './kube/signer.js';
