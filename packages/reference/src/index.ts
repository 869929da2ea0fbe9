export { toNodeListener } from './bridge.js';
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
export { AUTH_COOKIE, type ConsoleDeps, createConsoleApp } from './console/app.js';
export {
  CONSOLE_TYP,
  type ConsoleIdentity,
  type ConsoleTokens,
  createConsoleTokens,
} from './console/console-tokens.js';
export { type Denylist, type DenylistClient, memoryDenylist, redisDenylist } from './console/denylist.js';
export { GITOPS_ROUTES, type GitopsRoute } from './console/gitops.js';
export { buildConsole } from './console/server.js';
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
export { type ParsedKey, parsePrivateKey, parsePublicKey } from './keys.js';
export { type Listening, listen } from './listen.js';
export { createLogger, type LogFields, type Logger, type LogSink, silentLogger } from './log.js';
export { type Built, type MainIo, main, processIo, type ServerName } from './main.js';
export { type App, json, toResponse } from './respond.js';
export { createRouterApp, type RouterApp, type RouterDeps, SESSION_HEADER } from './router/app.js';
export { inProcessSandboxes, type SandboxLauncher } from './router/sandboxes.js';
export { buildRouter, type RouterOptions } from './router/server.js';
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
