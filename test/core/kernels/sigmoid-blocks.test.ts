// The sigmoid Wasm kernels called directly on their memory: the reference's bits at every length and offset,
// nothing written outside whole blocks of SIGMOID_UNROLL vectors, and the reference's bits on random bit patterns.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../packages/core/src/base/random.ts';
import { SIGMOID_UNROLL } from '../../../packages/core/src/kernels/sigmoid-constants.ts';
import { sigmoidScalar, sigmoidScalarF32, sigmoidWasm } from '../../../packages/core/src/kernels/sigmoid.ts';
import { SIGMOID_WASM_BASE64 } from '../../../packages/core/src/kernels/wasm/sigmoid-wasm.generated.ts';

interface Kernels {
  sigmoid_f64(ptr: number, n: number): void;
  sigmoid_f32(ptr: number, n: number): void;
}

const BLOCK = 16 * SIGMOID_UNROLL;
const SENTINEL = 0xa5;

function instantiate(): { ex: Kernels; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); // the modules import (memory 1 65536)
  const module = new WebAssembly.Module(Buffer.from(SIGMOID_WASM_BASE64, 'base64'));
  return { ex: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels, memory };
}

/** Seeded unsigned 32-bit integers (the library's own generator). */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextUint32();
}

describe.each([
  { name: 'float64', ctor: Float64Array, ref: sigmoidScalar, kernel: 'sigmoid_f64' as const },
  { name: 'float32', ctor: Float32Array, ref: sigmoidScalarF32, kernel: 'sigmoid_f32' as const },
])('$name kernel on its memory', ({ ctor, ref, kernel }) => {
  const size = ctor.BYTES_PER_ELEMENT;
  // Three iterations' worth of lengths (an iteration is two blocks), so the last iteration has
  // one or two blocks, each partly or wholly used.
  const lengths = Array.from({ length: (6 * BLOCK) / size }, (_, i) => i + 1);

  it('gives the reference bits at every length and offset, and writes only whole blocks from ptr', () => {
    const { ex, memory } = instantiate();
    const bytes = new Uint8Array(memory.buffer);
    const next = rng(7);
    for (const ptr of [0, 16, 48, 1024]) {
      for (const n of lengths) {
        bytes.fill(SENTINEL);
        const x = new ctor(n).map(() => ((next() / 2 ** 32) - 0.5) * 40);
        new ctor(memory.buffer, ptr, n).set(x);
        ex[kernel](ptr, n);
        const y = new ctor(memory.buffer, ptr, n);
        const wrong = Array.from(x).findIndex((v, i) => !Object.is(y[i], ref(v)));
        expect({ ptr, n, wrong }).toEqual({ ptr, n, wrong: -1 });
        const end = ptr + Math.ceil((n * size) / BLOCK) * BLOCK;
        const touched = [...bytes.subarray(0, ptr), ...bytes.subarray(end, end + 4 * BLOCK)].some((b) => b !== SENTINEL);
        expect({ ptr, n, touched }).toEqual({ ptr, n, touched: false });
      }
    }
  });

  it('gives the reference bits on random bit patterns (NaNs, infinities, subnormals and all)', () => {
    const next = rng(19);
    const x = new ctor(60_000);
    const words = new Uint32Array(x.buffer);
    for (let i = 0; i < words.length; i++) words[i] = next();
    const y = new ctor(x.length);
    expect(sigmoidWasm(x, y)).toBe(true);
    const wrong = Array.from(x).findIndex((v, i) => !Object.is(y[i], ref(v)));
    expect(wrong < 0 ? 'all equal' : { x: x[wrong], wasm: y[wrong], ref: ref(x[wrong]!) }).toBe('all equal');
  });
});
