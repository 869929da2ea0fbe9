export { type NodeAddress, type StartClusterOptions, startCluster, type TestCluster } from './cluster.js';
export { freePort } from './ports.js';
export { binariesOf, type ServerFlavor } from './process.js';
export { sendCommand, waitUntil } from './resp.js';
export { type StartServerOptions, startServer, type TestServer } from './server.js';

/** Both server flavours, for `describe.each(FLAVORS)`: every store test runs on Redis and on Valkey. */
export const FLAVORS: readonly ['redis', 'valkey'] = ['redis', 'valkey'];
