/**
 * The sigmoid WebAssembly kernels alone, two builds interleaved in one process: each build's
 * `sigmoid_f64` and `sigmoid_f32` transform 32768 elements in place in their own memory (values
 * spread over [−8, 8], one in 64 over [−1000, 1000]). First checks that both builds write the
 * same bytes (specials, NaN payloads, subnormal results and random bit patterns included), then
 * prints the median ns per element of each and new/base:
 *
 *     pnpm exec tsx scripts/sigmoid-bench.mts [BASE] [NEW]
 *
 * BASE and NEW are each a git revision (the module is built from that revision's
 * `sigmoid-wat.ts` and `sigmoid-constants.ts`) or the path of a `sigmoid-wasm.generated.ts`;
 * BASE defaults to `main`, NEW to this checkout's generated file. The kernel before its
 * statements were interleaved four vectors at a time is revision 5b21866. REPS (default 41)
 * sets the rounds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import wabtInit from 'wabt';
import { Rng } from '../packages/core/src/base/random.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = 32768;
const REPS = Number(process.env.REPS ?? 41);
const CALLS_PER_REP = 8;

interface Kernels {
  sigmoid_f64(ptr: number, n: number): void;
  sigmoid_f32(ptr: number, n: number): void;
}
interface Build {
  readonly name: string;
  readonly bytes: number;
  readonly ex: Kernels;
  readonly memory: WebAssembly.Memory;
}

/** The module's bytes from a generated file, or built from a revision's generator. */
async function moduleBytes(spec: string): Promise<Uint8Array> {
  if (existsSync(spec)) {
    const m = /SIGMOID_WASM_BASE64: string =\s*'([^']+)'/.exec(readFileSync(spec, 'utf8'));
    if (m === null) throw new Error(`sigmoid-bench: no SIGMOID_WASM_BASE64 in ${spec}`);
    return Buffer.from(m[1]!, 'base64');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sigmoid-bench-'));
  for (const file of ['kernels/sigmoid-constants.ts', 'kernels/wasm/gen/sigmoid-wat.ts']) {
    const text = execFileSync('git', ['show', `${spec}:packages/core/src/${file}`], { cwd: root, encoding: 'utf8' });
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const gen = (await import(pathToFileURL(join(dir, 'kernels/wasm/gen/sigmoid-wat.ts')).href)) as { sigmoidWat(): string };
  const wabt = await wabtInit();
  const mod = wabt.parseWat('sigmoid.wat', gen.sigmoidWat(), { simd: true, bulk_memory: true });
  try {
    mod.resolveNames();
    return mod.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    mod.destroy();
  }
}

async function load(name: string, spec: string): Promise<Build> {
  const bytes = await moduleBytes(spec);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((N * 8 + 256) / 65536), maximum: 65536 }); // newer modules import (memory 1 65536)
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as Kernels;
  return { name: `${name} (${spec})`, bytes: bytes.length, ex, memory };
}

/** Seeded numbers in [0, 1) (the library's own generator). */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.uniform();
}

const rand = rng(19);
const x64 = new Float64Array(N);
for (let i = 0; i < N; i++) x64[i] = i % 64 === 0 ? (rand() - 0.5) * 2000 : (rand() - 0.5) * 16;
const x32 = Float32Array.from(x64);

/** The timed inputs, then specials (NaN payloads of both signs, ±0, ±∞, subnormals, the clamps) and random bit patterns. */
function checkInputs(): [Float64Array, Float32Array] {
  const c64 = new Float64Array(3 * N);
  c64.set(x64);
  const u32 = new Uint32Array(c64.buffer, 8 * N, 4 * N);
  for (let i = 0; i < u32.length; i++) u32[i] = (rand() * 2 ** 32) >>> 0;
  const specials = [0, -0, Infinity, -Infinity, NaN, 5e-324, -5e-324, 2.2e-308, -2.2e-308, -708, -740, -745, -745.2, -746, 746, 1e300, -1e300];
  c64.set(specials, N);
  const c32 = new Float32Array(3 * N);
  c32.set(x32);
  new Uint32Array(c32.buffer, 4 * N, 2 * N).set(u32.subarray(0, 2 * N));
  c32.set([...specials, -87, -100, -103, -103.9, -104, 1e-45, -1e-45], N);
  const nanBits = [0x7ff00000_00000001n, 0xfff00000_00001234n, 0x7ff80000_00000000n, 0xfff8dead_beef0000n];
  const b64 = new BigUint64Array(c64.buffer);
  nanBits.forEach((b, i) => (b64[N + 20 + i] = b));
  new Uint32Array(c32.buffer).set([0x7f800001, 0xff801234, 0x7fc00000, 0xffdead00], N + 30);
  return [c64, c32];
}

/** Runs a build on `x` in chunks of N, returning the bytes it wrote. */
function output(b: Build, x: Float64Array | Float32Array): Uint8Array {
  const out = new Uint8Array(x.byteLength);
  for (let i = 0; i < x.length; i += N) {
    const chunk = x.subarray(i, i + N);
    if (chunk instanceof Float64Array) {
      new Float64Array(b.memory.buffer, 0, chunk.length).set(chunk);
      b.ex.sigmoid_f64(0, chunk.length);
    } else {
      new Float32Array(b.memory.buffer, 0, chunk.length).set(chunk);
      b.ex.sigmoid_f32(0, chunk.length);
    }
    out.set(new Uint8Array(b.memory.buffer, 0, chunk.byteLength), i * x.BYTES_PER_ELEMENT);
  }
  return out;
}

/** ns per element of one call, the input copied in first (untimed). */
function timeCall(b: Build, dtype: 'float64' | 'float32'): number {
  if (dtype === 'float64') {
    new Float64Array(b.memory.buffer, 0, N).set(x64);
    const t0 = performance.now();
    b.ex.sigmoid_f64(0, N);
    return ((performance.now() - t0) * 1e6) / N;
  }
  new Float32Array(b.memory.buffer, 0, N).set(x32);
  const t0 = performance.now();
  b.ex.sigmoid_f32(0, N);
  return ((performance.now() - t0) * 1e6) / N;
}

function quantile(a: readonly number[], q: number): number {
  const s = [...a].sort((u, v) => u - v);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const base = await load('base', process.argv[2] ?? 'main');
const fresh = await load('new', process.argv[3] ?? join(root, 'packages/core/src/kernels/wasm/sigmoid-wasm.generated.ts'));
const builds = [base, fresh];
for (const b of builds) console.log(`${b.name}: ${b.bytes} bytes`);

const [c64, c32] = checkInputs();
for (const x of [c64, c32]) {
  const [a, b] = [output(base, x), output(fresh, x)];
  const diff = a.findIndex((v, i) => v !== b[i]);
  const kind = x instanceof Float64Array ? 'float64' : 'float32';
  if (diff >= 0) {
    console.log(`${kind}: outputs differ (first at element ${Math.floor(diff / x.BYTES_PER_ELEMENT)}, x = ${x[Math.floor(diff / x.BYTES_PER_ELEMENT)]})`);
    process.exitCode = 1;
  } else console.log(`${kind}: same bytes on ${x.length} inputs`);
}

for (const dtype of ['float64', 'float32'] as const) {
  for (let w = 0; w < 200; w++) for (const b of builds) timeCall(b, dtype);
  const t = builds.map((): number[] => []);
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) for (let c = 0; c < CALLS_PER_REP; c++) t[i]!.push(timeCall(builds[i]!, dtype));
  }
  const med = t.map((v) => quantile(v, 0.5));
  const line = builds.map((b, i) => `${b.name.split(' ')[0]} ${med[i]!.toFixed(3)} [${quantile(t[i]!, 0.25).toFixed(3)}–${quantile(t[i]!, 0.75).toFixed(3)}]`);
  console.log(`${dtype} ${N} elements, ns/element median [quartiles]: ${line.join(', ')}; new/base ${(med[1]! / med[0]!).toFixed(3)}`);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
