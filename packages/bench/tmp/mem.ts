import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { memoryDriver } from '@latchkey/keystore/memory';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const RECORD = 'x'.repeat(190);
const KEY = 'k'.repeat(213);
for (const n of [1000, 100000, 1000, 100000]) {
  const driver = memoryDriver({ max: n });
  const ids = Array.from({ length: n }, (_, i) => `s${i.toString(36).padStart(31, '0')}`);
  for (const id of ids) await driver.write(id, RECORD, KEY, 3600);
  gc();
  for (const mode of ['seq', 'stride']) {
    const pick = mode === 'seq' ? (i: number) => ids[i % n]! : (i: number) => ids[(i * 7919) % n]!;
    for (let i = 0; i < 5000; i++) await driver.read(pick(i), 'key');
    const s = performance.now(); const c = 50000;
    for (let i = 0; i < c; i++) await driver.read(pick(i), 'key');
    const sync = performance.now();
    const m = new Map(ids.map((id) => [id, id]));
    let x = 0; const s2 = performance.now();
    for (let i = 0; i < c; i++) x += m.get(pick(i))!.length;
    console.log(n, mode, 'read', ((sync - s) * 1000 / c).toFixed(3), 'µs; raw map.get', ((performance.now() - s2) * 1000 / c).toFixed(3));
  }
}
