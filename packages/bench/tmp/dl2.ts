import { createDeadlines } from '@latchkey/errors';
import { createFastDeadlines } from './fastdl.js';
const d = createDeadlines(300);
const f2 = createFastDeadlines(300);
const resolved = Promise.resolve(1);
async function loop(name: string, f: () => Promise<unknown>) {
  const n = 500000;
  for (let i = 0; i < 50000; i++) await f();
  const s = performance.now();
  await Promise.all(Array.from({ length: 64 }, async () => { for (let i = 0; i < n / 64; i++) await f(); }));
  console.log(name.padEnd(12), ((performance.now() - s) * 1000 / n).toFixed(3), 'µs/op');
}
for (let r = 0; r < 2; r++) {
await loop('bare', () => resolved);
await loop('deadline', () => d.run(() => resolved));
await loop('fast', () => f2.run(() => resolved));
}
process.exit(0);
