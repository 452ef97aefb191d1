// Loads the generated sigmoid Wasm module and runs it on typed arrays.
/**
 * Loads the generated sigmoid WebAssembly module (see `sigmoid-wat.ts`) and runs it on
 * JavaScript typed arrays: copy in, transform in place in linear memory, copy out.
 * Compiled synchronously on first use (the module is under the 4 KiB that browsers compile
 * synchronously on their main thread); without WebAssembly, `wasmSigmoid` reports
 * false and the caller uses the TypeScript reference.
 *
 * @internal
 * @packageDocumentation
 */

import type { FloatArray } from '../../base/dtype.ts';
import { SIGMOID_WASM_BASE64 } from './sigmoid-wasm.generated.js';
import { SIGMOID_UNROLL } from '../sigmoid-constants.js';

const BLOCK = 16 * SIGMOID_UNROLL;

interface SigmoidExports {
  sigmoid_f64(ptr: number, n: number): void;
  sigmoid_f32(ptr: number, n: number): void;
}

// lib ES2022 has no WebAssembly types; declare the small part used (see gemm-wasm.ts).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (desc: { initial: number; maximum: number }) => WasmMemory;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface Engine {
  readonly memory: WasmMemory;
  readonly ex: SigmoidExports;
  f64: Float64Array;
  f32: Float32Array;
}

function createEngine(): Engine | undefined {
  if (wasmApi === undefined) return undefined;
  try {
    const bin = atob(SIGMOID_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const memory = new wasmApi.Memory({ initial: 4, maximum: 65536 });
    const ex = new wasmApi.Instance(new wasmApi.Module(bytes), { env: { memory } }).exports as SigmoidExports;
    return { memory, ex, f64: new Float64Array(memory.buffer), f32: new Float32Array(memory.buffer) };
  } catch {
    return undefined;
  }
}

/** Compiled on first use (null: not tried yet; undefined: unavailable). */
let engine: Engine | undefined | null = null;

function getEngine(): Engine | undefined {
  if (engine === null) engine = createEngine();
  return engine;
}

/**
 * Whether the sigmoid WebAssembly kernel is loaded.
 * @internal
 */
export function sigmoidWasmReady(): boolean {
  return getEngine() !== undefined;
}

/**
 * out[i] = σ(x[i]) with the SIMD kernel; `out` may be `x`. Returns false (out untouched) when
 * WebAssembly is unavailable or memory cannot grow to hold x.
 * @internal
 */
export function wasmSigmoid(x: FloatArray, out: FloatArray): boolean {
  const e = getEngine();
  if (e === undefined) return false;
  const n = x.length;
  // Whole blocks: the kernel rounds n up to BLOCK bytes and may read and write past n.
  const bytes = Math.ceil((n * x.BYTES_PER_ELEMENT) / BLOCK) * BLOCK;
  if (bytes > e.memory.buffer.byteLength) {
    try {
      e.memory.grow(Math.ceil((bytes - e.memory.buffer.byteLength) / 65536));
    } catch {
      return false;
    }
    e.f64 = new Float64Array(e.memory.buffer);
    e.f32 = new Float32Array(e.memory.buffer);
  }
  if (x instanceof Float32Array) {
    e.f32.set(x);
    e.ex.sigmoid_f32(0, n);
    out.set(e.f32.subarray(0, n));
  } else {
    e.f64.set(x);
    e.ex.sigmoid_f64(0, n);
    out.set(e.f64.subarray(0, n));
  }
  return true;
}
