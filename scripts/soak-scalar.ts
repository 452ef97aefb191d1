/**
 * Soak of the scalar lane: a micrograd-style training loop (an MLP of `Value`s, SGD on minibatches) with a
 * forward-only accuracy evaluation every epoch, outside `noGrad`, until a million ops have been recorded.
 * Prints the heap (after a full GC) and the ms per training step near the start and at the end, and the
 * scalar lane's length: both must stay flat.
 *
 *   node --expose-gc --import tsx --conditions=source scripts/soak-scalar.ts [--ops 1000000]
 */
import { makeSoak } from '../test/reliability/micrograd-soak.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('soak-scalar: run node with --expose-gc to measure the heap after a full collection\n');
  process.exit(2);
}
const k = process.argv.indexOf('--ops');
const target = k < 0 ? 1_000_000 : Number(process.argv[k + 1]);
const heapMb = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};
const soak = makeSoak();
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
// Warm up (JIT), then measure the first stretch.
for (let e = 0; e < 20; e++) soak.epoch();
const heapStart = heapMb();
const opsStart = soak.ops;
const early: number[] = [];
const late: number[] = [];
let maxRows = 0;
let epochs = 0;
let acc = 0;
while (soak.ops - opsStart < target) {
  acc = soak.epoch();
  epochs++;
  maxRows = Math.max(maxRows, soak.rows());
  if (epochs <= 10) early.push(soak.msPerStep);
  else late.push(soak.msPerStep);
  if (late.length > 10) late.shift();
}
const heapEnd = heapMb();
const msStart = median(early);
const msEnd = median(late);
process.stdout.write(
  `soak-scalar: ${soak.ops - opsStart} ops in ${epochs} epochs (forward-only evaluation every epoch, no noGrad), accuracy ${(100 * acc).toFixed(1)} %\n` +
    `  heap + array buffers after GC: ${heapStart.toFixed(2)} MB at the start, ${heapEnd.toFixed(2)} MB at the end (${heapEnd >= heapStart ? '+' : ''}${(heapEnd - heapStart).toFixed(2)} MB)\n` +
    `  ms per training step (median of 10 epochs): ${msStart.toFixed(3)} at the start, ${msEnd.toFixed(3)} at the end (×${(msEnd / msStart).toFixed(2)})\n` +
    `  scalar lane: ${soak.rows()} rows at the end, at most ${maxRows}\n`,
);
