/**
 * GEMM micro benchmark: GFLOP/s (2·m·n·k / time) of the JavaScript kernel, the Wasm kernel
 * on one thread, and the Wasm kernel with worker threads.
 *
 * Run: `pnpm exec tsx scripts/gemm-bench.ts [--quick] [--rounds N] [--only 1024]`. More rounds
 * help on a shared machine: each cell reports its best run over all rounds.
 * It lives in scripts/ and imports the kernel file by path because `gemm` is an internal kernel that the core
 * package does not export.
 */
import { gemm, gemmJs, gemmWasm, setGemmThreads, wasmAvailable } from '../packages/core/src/kernels/gemm.ts';
import type { FloatArray } from '../packages/core/src/base/dtype.ts';

type Kernel = (a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number,
  transA: boolean, transB: boolean) => unknown;

interface Case {
  readonly label: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

const isQuick = process.argv.includes('--quick');
const minTimeMs = isQuick ? 60 : 150;

const square = [64, 256, 512, 1024].map((s): Case => ({ label: `${s}³`, m: s, n: s, k: s, transA: false, transB: false }));
const mlp: Case[] = [
  // Forward of a 30→64 layer on a batch of 512: X[512,30]·W[64,30]ᵀ.
  { label: '[512,30]·[64,30]ᵀ', m: 512, n: 64, k: 30, transA: false, transB: true },
  // Weight gradient of a 512→32 layer on a batch of 64: dY[64,512]·[512,32].
  { label: '[64,512]·[512,32]', m: 64, n: 32, k: 512, transA: false, transB: false },
  // dW = dYᵀ·X on a batch of 512 (transposed A).
  { label: '[512,64]ᵀ·[512,30]', m: 64, n: 30, k: 512, transA: true, transB: false },
];

function fill(t: typeof Float64Array | typeof Float32Array, len: number): FloatArray {
  const x = new t(len);
  let s = 12345;
  for (let i = 0; i < len; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

interface Slot {
  readonly run: () => void;
  readonly flops: number;
  best: number;
}

function slot(kernel: Kernel, t: typeof Float64Array | typeof Float32Array, c: Case): Slot {
  const a = fill(t, c.m * c.k);
  const b = fill(t, c.k * c.n);
  const out = new t(c.m * c.n);
  return { run: () => kernel(a, b, out, c.m, c.n, c.k, c.transA, c.transB), flops: 2 * c.m * c.n * c.k, best: Infinity };
}

/** Time one slot for `ms` milliseconds, keeping the best single run. */
function measure(s: Slot, ms: number): void {
  const start = performance.now();
  do {
    const t0 = performance.now();
    s.run();
    s.best = Math.min(s.best, performance.now() - t0);
  } while (performance.now() - start < ms);
}

const wasmOne: Kernel = (...args) => {
  setGemmThreads(1);
  gemmWasm(...args);
};
const wasmAll: Kernel = (...args) => {
  setGemmThreads(0);
  gemmWasm(...args);
};
const auto: Kernel = (...args) => {
  setGemmThreads(0);
  gemm(...args);
};

// Rounds interleave all configurations, and each keeps its best run, so load from other
// processes on the machine (which comes and goes) biases every column alike.
const kernels: [string, Kernel, number][] = [
  ['JS', gemmJs, 512 ** 3],
  ['Wasm 1T', wasmOne, Infinity],
  ['Wasm auto-T', wasmAll, Infinity],
  ['gemm()', auto, Infinity],
];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? process.argv[onlyArg + 1] ?? '' : '';
const grid = [...square, ...mlp].filter((c) => c.label.includes(only)).flatMap((c) => [Float64Array, Float32Array].map((t) => ({
  c, t, slots: kernels.map(([, kernel, maxWork]) =>
    (c.m * c.n * c.k > maxWork || (kernel !== gemmJs && !wasmAvailable()) ? undefined : slot(kernel, t, c))),
})));
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : isQuick ? 2 : 5;
for (let r = 0; r < rounds; r++) {
  for (const g of grid) for (const s of g.slots) if (s) measure(s, r === 0 ? 2 * minTimeMs : minTimeMs);
}
const rows: string[][] = [['shape', 'dtype', ...kernels.map(([name]) => name)]];
for (const g of grid) {
  rows.push([g.c.label, g.t === Float64Array ? 'f64' : 'f32',
    ...g.slots.map((s) => (s ? (s.flops / (s.best * 1e6)).toFixed(1) : '—'))]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => `| ${r.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
process.stdout.write(`GFLOP/s (best of repeated runs), wasm ${wasmAvailable() ? 'loaded' : 'missing'}\n`);
process.stdout.write(`${line(rows[0]!)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);
