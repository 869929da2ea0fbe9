import { CapacityExhaustedError } from '@latchkey/errors';
let s = performance.now(); const n = 100000; let x = 0;
for (let i = 0; i < n; i++) x += new CapacityExhaustedError('cache-full').status;
console.log('new error', ((performance.now() - s) * 1000 / n).toFixed(2), 'µs');
s = performance.now();
for (let i = 0; i < n; i++) { try { await Promise.reject(new CapacityExhaustedError('cache-full')); } catch { x++; } }
console.log('reject+catch', ((performance.now() - s) * 1000 / n).toFixed(2), 'µs');
