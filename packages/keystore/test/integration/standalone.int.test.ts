import { FLAVORS, startServer, type TestServer } from '@latchkey/testkit';
import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { Redis as Valkey } from 'iovalkey';
import { afterAll, beforeAll, describe } from 'vitest';
import { ioredisDriver } from '../../src/adapters/ioredis.js';
import { iovalkeyDriver } from '../../src/adapters/iovalkey.js';
import { runSessionStoreConformance } from '../../src/testing.js';
import { close, countKeys } from './helpers.js';

describe.each(FLAVORS)('standalone %s', (flavor) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ flavor });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const clients = {
    'ioredis 6': (port: number) => new Redis(port, '127.0.0.1'),
    'ioredis 5': (port: number) => new Redis5(port, '127.0.0.1'),
    iovalkey: (port: number) => new Valkey(port, '127.0.0.1'),
  } as const;

  for (const [label, connect] of Object.entries(clients)) {
    let client: ReturnType<typeof connect>;
    runSessionStoreConformance({
      name: `${flavor} through ${label}`,
      createDriver: () => {
        client = connect(server.port);
        return label === 'iovalkey' ? iovalkeyDriver(client) : ioredisDriver(client);
      },
      countKeys: (prefix) => countKeys(client, prefix),
      teardown: () => close(client),
    });
  }
});
