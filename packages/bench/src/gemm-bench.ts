/**
 * GEMM micro benchmark: GFLOP/s (2·m·n·k / time) of the JavaScript kernel, the Wasm kernel
 * on one thread, and the Wasm kernel with worker threads.
 *
 * Run: `pnpm exec tsx packages/bench/src/gemm-bench.ts [--quick]`.
 * It imports the kernel file by path because `gemm` is an internal kernel that the core
 * package does not export.
 */
import {
  gemm, gemmJs, gemmWasm, setGemmThreads, wasmAvailable, type FloatArray,
} from '../../core/src/kernels/gemm.ts';

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
const minTimeMs = isQuick ? 150 : 600;

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

function gflops(kernel: Kernel, t: typeof Float64Array | typeof Float32Array, c: Case, maxWork: number): string {
  if (c.m * c.n * c.k > maxWork) return '—';
  const a = fill(t, c.m * c.k);
  const b = fill(t, c.k * c.n);
  const out = new t(c.m * c.n);
  // Warm up until the optimizing tier has taken over (and workers have started).
  const warmStart = performance.now();
  do kernel(a, b, out, c.m, c.n, c.k, c.transA, c.transB);
  while (performance.now() - warmStart < minTimeMs / 3);
  let best = Infinity;
  const start = performance.now();
  let reps = 0;
  while (performance.now() - start < minTimeMs || reps < 3) {
    const t0 = performance.now();
    kernel(a, b, out, c.m, c.n, c.k, c.transA, c.transB);
    best = Math.min(best, performance.now() - t0);
    reps++;
  }
  return ((2 * c.m * c.n * c.k) / (best * 1e6)).toFixed(1);
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

const rows: string[][] = [['shape', 'dtype', 'JS', 'Wasm 1T', 'Wasm auto-T', 'gemm()']];
for (const c of [...square, ...mlp]) {
  for (const t of [Float64Array, Float32Array]) {
    rows.push([
      c.label,
      t === Float64Array ? 'f64' : 'f32',
      gflops(gemmJs, t, c, 512 ** 3),
      wasmAvailable() ? gflops(wasmOne, t, c, Infinity) : 'n/a',
      wasmAvailable() ? gflops(wasmAll, t, c, Infinity) : 'n/a',
      gflops(auto, t, c, Infinity),
    ]);
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => `| ${r.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
process.stdout.write(`GFLOP/s (best of repeated runs), wasm ${wasmAvailable() ? 'loaded' : 'missing'}\n`);
process.stdout.write(`${line(rows[0]!)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);
