/**
 * Soak: trains W1-small (30 → 64 → 32 → 1, sigmoid, mean BCE, batch 512, SGD lr 0.1) with core ops for
 * 10,000 steps and reports the memory after a full GC at step 100 and at the end (JS heap plus the typed
 * arrays' backing stores, which live outside the JS heap), and the tape length.
 *
 *   node --expose-gc --import tsx --conditions=source scripts/soak.ts [--steps 10000]
 */
import { tapeLength } from '@tapegrad/core';
import { makeW1 } from '../test/reliability/w1.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('soak: run node with --expose-gc to measure the heap after a full collection\n');
  process.exit(2);
}
const i = process.argv.indexOf('--steps');
const steps = i < 0 ? 10_000 : Number(process.argv[i + 1]);
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(2)} MB`;
/** JS heap plus array buffers (tensor data lives in typed arrays, outside heapUsed). */
const heap = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const net = makeW1(0);
const startTape = tapeLength();
const started = performance.now();
let first = NaN;
let heap100 = NaN;
let maxTape = 0;
let loss = NaN;
for (let s = 1; s <= steps; s++) {
  loss = net.step();
  if (s === 1) first = loss;
  maxTape = Math.max(maxTape, tapeLength() - startTape);
  if (s === 100) {
    heap100 = heap();
    process.stdout.write(`step 100: loss ${loss.toFixed(6)}, heap + array buffers ${mb(heap100)}, rss ${mb(process.memoryUsage().rss)}\n`);
  } else if (s % 1000 === 0) {
    process.stdout.write(`step ${s}: loss ${loss.toFixed(6)}, ${((performance.now() - started) / s).toFixed(2)} ms/step\n`);
  }
}
const heapEnd = heap();
process.stdout.write(
  `soak: ${steps} steps, loss ${first.toFixed(6)} → ${loss.toFixed(6)}, ` +
    `heap + array buffers after GC ${mb(heap100)} at step 100 and ${mb(heapEnd)} at step ${steps} (${heapEnd >= heap100 ? '+' : ''}${mb(heapEnd - heap100)}), ` +
    `rss ${mb(process.memoryUsage().rss)}, tape between steps ${tapeLength() - startTape} (max ${maxTape}), ` +
    `${((performance.now() - started) / steps).toFixed(2)} ms/step\n`,
);
