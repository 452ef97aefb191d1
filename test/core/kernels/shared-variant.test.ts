// The shared-memory kernel modules are derived from the shipped unshared binaries by one byte: the derived
// binary validates, links only to a shared memory, and runs (the build checks it equals the assembled text).
import { describe, expect, it } from 'vitest';
import { GEMM_WASM_BASE64, GEMM_WASM_FMA_BASE64 } from '../../../packages/core/src/kernels/wasm/gemm-wasm.generated.ts';
import { SIGMOID_WASM_BASE64 } from '../../../packages/core/src/kernels/wasm/sigmoid-wasm.generated.ts';
import { sharedVariant } from '../../../packages/core/src/kernels/wasm/shared-variant.ts';

const decode = (b64: string): Uint8Array<ArrayBuffer> => Uint8Array.from(Buffer.from(b64, 'base64'));
const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
const unshared = new WebAssembly.Memory({ initial: 1, maximum: 65536 });

describe('sharedVariant', () => {
  it('the sigmoid module: links to a shared memory only once derived, and computes there', () => {
    const bytes = decode(SIGMOID_WASM_BASE64);
    const derived = sharedVariant(bytes);
    expect(derived.length).toBe(bytes.length);
    expect(derived.filter((b, i) => b !== bytes[i]).length).toBe(1);
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: shared } })).toThrow();
    const ex = new WebAssembly.Instance(new WebAssembly.Module(derived), { env: { memory: shared } }).exports as {
      span_f64(p: number, n: number, tmp: number): void;
    };
    const f = new Float64Array(shared.buffer, 0, 8);
    f.set([0, 1, -1, 40]);
    ex.span_f64(0, 3, 512);
    expect(Array.from(f.subarray(0, 4))).toEqual([0.5, 1 / (1 + Math.exp(-1)), 1 - 1 / (1 + Math.exp(-1)), 40].map((v, i) => (i < 3 ? expect.closeTo(v, 15) : v)));
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(derived), { env: { memory: unshared } })).toThrow();
  });

  it('every GEMM module validates derived, and one without a memory import is refused', () => {
    for (const b64 of [...GEMM_WASM_BASE64, ...GEMM_WASM_FMA_BASE64]) {
      const bytes = sharedVariant(decode(b64));
      expect(bytes.length).toBe(decode(b64).length);
      // Node 20 validates relaxed SIMD only behind a flag, so the FMA modules are not validated here.
      if (GEMM_WASM_BASE64.includes(b64)) expect(WebAssembly.validate(bytes)).toBe(true);
    }
    const empty = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    expect(() => sharedVariant(empty)).toThrow(/no memory import/);
  });
});
