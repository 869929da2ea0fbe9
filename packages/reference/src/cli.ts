#!/usr/bin/env node
import { readConsoleConfig, readRouterConfig, readSandboxConfig } from './config.js';
import { buildConsole } from './console/server.js';
import { errorFields } from './log.js';
import { main, processIo, type ServerName } from './main.js';
import { buildRouter } from './router/server.js';
import { buildSandbox } from './sandbox/server.js';

const USAGE = 'usage: latchkey-reference <sandbox|router|console>\n';

const servers = {
  sandbox: async (env, log) => {
    const config = readSandboxConfig(env);
    return { port: config.port, built: await buildSandbox(config, log) };
  },
  router: async (env, log) => {
    const config = readRouterConfig(env);
    return { port: config.port, built: await buildRouter(config, log) };
  },
  console: async (env, log) => {
    const config = readConsoleConfig(env);
    return { port: config.port, built: await buildConsole(config, log) };
  },
} satisfies Record<ServerName, Parameters<typeof main>[0]>;

const name = process.argv[2];
if (name !== 'sandbox' && name !== 'router' && name !== 'console') {
  process.stderr.write(USAGE);
  process.exit(2);
}
const io = processIo(name);
main(servers[name], io).catch((error: unknown) => {
  // Configuration errors are TypeErrors with messages naming the variable, never its value.
  io.log.error('start-failed', errorFields(error));
  process.exit(1);
});
