export { type BridgeOptions, toNodeListener } from './bridge.js';
export {
  type CommonConfig,
  type ConsoleConfig,
  type Env,
  type RouterConfig,
  readConsoleConfig,
  readRouterConfig,
  readSandboxConfig,
  readStoreConfig,
  type SandboxConfig,
  type StoreConfig,
} from './config.js';
export { AUTH_COOKIE, type ConsoleDeps, createConsoleApp, createConsoleVerify } from './console/app.js';
export {
  CONSOLE_ROLES,
  type ConsoleClaims,
  type ConsoleIdentity,
  type ConsoleRole,
  type ConsoleTokens,
  createConsoleTokens,
} from './console/console-tokens.js';
export { GITOPS_ROUTES, type GitopsRoute } from './console/gitops.js';
export { buildConsole, type ConsoleBuilt, type ConsoleOptions } from './console/server.js';
export {
  attachWsExec,
  createWsExec,
  WS_EXEC_PATH,
  type WsExec,
  type WsExecDeps,
} from './console/ws-exec.js';
export {
  createLineShell,
  type ExecClientMessage,
  type ExecInit,
  isDnsSubdomain,
  LineShell,
  parseClientMessage,
  parseExecInit,
} from './console/ws-exec-protocol.js';
export { createFingerprint, type Fingerprint, sessionFingerprint } from './fingerprint.js';
export { type ParsedKey, parsePrivateKey, parsePublicKey } from './keys.js';
export {
  type ConnectionBounds,
  DEFAULT_CONNECTION_BOUNDS,
  type Listening,
  type ListenOptions,
  listen,
} from './listen.js';
export { createLogger, type LogFields, type Logger, type LogSink, silentLogger } from './log.js';
export { type Built, type MainIo, main, processIo, type ServerName } from './main.js';
export { type App, json, type RequestContext, toResponse } from './respond.js';
export {
  type CallerIdentity,
  createRouterApp,
  type RouterApp,
  type RouterDeps,
  remoteAddressIdentity,
  SESSION_HEADER,
} from './router/app.js';
export { type ForwardRequest, forward } from './router/proxy.js';
export { inProcessSandboxes, type SandboxLauncher } from './router/sandboxes.js';
export { buildRouter, type RouterOptions } from './router/server.js';
export {
  createSessionSlots,
  type SessionSlot,
  type SessionSlots,
  type SessionSlotsOptions,
} from './router/session-slots.js';
export {
  createSessionTokens,
  type SessionTokens,
  type SessionTokensOptions,
} from './router/session-tokens.js';
export {
  createSessionSweeper,
  type SessionSweeper,
  type SessionSweeperOptions,
  type SweepReport,
} from './router/sweep.js';
export { createSandboxApp, type SandboxDeps } from './sandbox/app.js';
export {
  buildSandbox,
  createSandbox,
  createSandboxServer,
  type SandboxOptions,
  type SandboxServer,
} from './sandbox/server.js';
export { connectStore, type StoreClient, type StoreConnection } from './stores.js';
