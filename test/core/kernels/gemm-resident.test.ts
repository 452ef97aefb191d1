// Operands that live in the GEMM's WebAssembly memory (an arena's arrays) are read and written in place:
// the same bits as the copying path, on one thread and on the pool, and never a wrong answer when C overlaps A.
import { afterAll, describe, expect, it } from 'vitest';
import { gemm, gemmArena, gemmPoolStats, gemmReference, injectGemmWorkerFault, setGemmThreads } from '../../../packages/core/src/kernels/gemm.ts';
import { wasmArenaStats, wasmWarmUp } from '../../../packages/core/src/kernels/wasm/gemm-wasm.ts';
import { heapAfterGc } from '../../reliability/heap.ts';

const fill = <T extends Float64Array | Float32Array>(x: T, seed: number): T => {
  for (let i = 0; i < x.length; i++) x[i] = (((i + 1) * (seed * 7919 + 13)) % 1013) / 1013 - 0.5;
  return x;
};

afterAll(() => {
  injectGemmWorkerFault(1, 'none');
  setGemmThreads(0);
});

describe('gemm on arena storage', () => {
  it('has an arena here (Node: shared memory, WebAssembly)', async () => {
    await wasmWarmUp();
    expect(gemmArena()).toBeDefined();
  });

  for (const isF32 of [false, true]) {
    for (const threads of [1, 2]) {
      it(`${isF32 ? 'float32' : 'float64'}, ${threads} thread(s): every mix of resident and ordinary operands gives the copying path's bits`, () => {
        setGemmThreads(threads);
        const arena = gemmArena()!;
        const [m, n, k] = [160, 144, 136]; // past the pool's threshold, ragged against the kernel's tiles
        const make = (len: number, seed: number, inArena: boolean) => {
          const x = inArena ? arena.alloc(isF32, len)! : isF32 ? new Float32Array(len) : new Float64Array(len);
          return fill(x, seed);
        };
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a0 = make(m * k, 1, false);
          const b0 = make(k * n, 2, false);
          const want = isF32 ? new Float32Array(m * n) : new Float64Array(m * n);
          gemm(a0, b0, want, m, n, k, transA, transB);
          for (let mask = 1; mask < 8; mask++) {
            const a = make(m * k, 1, (mask & 1) !== 0);
            const b = make(k * n, 2, (mask & 2) !== 0);
            const c = make(m * n, 3, (mask & 4) !== 0);
            gemm(a, b, c, m, n, k, transA, transB);
            expect(Array.from(c), `mask ${mask} ${transA} ${transB}`).toEqual(Array.from(want));
          }
        }
        // Accumulating into a resident C (staged: a failed worker's partial sum could not be undone).
        const a = make(m * k, 1, true);
        const b = make(k * n, 2, true);
        const c = make(m * n, 3, true);
        const c0 = make(m * n, 3, false);
        gemm(a, b, c, m, n, k, false, false, 0, 0, 0, true);
        gemm(a, b, c0, m, n, k, false, false, 0, 0, 0, true);
        expect(Array.from(c)).toEqual(Array.from(c0));
      });
    }
  }

  it('C overlapping A in the same arena array is staged, so the product reads A before C is written', () => {
    setGemmThreads(1);
    const arena = gemmArena()!;
    // A is [256, 64]; C [256, 64] starts at A's row 128. The kernel packs A 128 rows at a time, so in place the
    // first block's C rows would overwrite the A rows the second block reads.
    const [m, n, k] = [256, 64, 64];
    const buf = fill(arena.alloc(false, (128 + m) * n)!, 5);
    const a = buf.slice(0, m * k);
    const b = fill(new Float64Array(k * n), 6);
    const want = new Float64Array(m * n);
    gemmReference(a, b, want, m, n, k, false, false);
    gemm(buf, b, buf, m, n, k, false, false, 0, 0, 128 * n);
    const got = buf.subarray(128 * n, 128 * n + m * n);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-12);
  });

  it('a worker that dies in the row phase of a product on arena operands: the product is redone right', () => {
    setGemmThreads(2);
    const N = 192;
    const want = new Float64Array(N * N);
    const a0 = fill(new Float64Array(N * N), 7);
    const b0 = fill(new Float64Array(N * N), 8);
    gemmReference(a0, b0, want, N, N, N, false, false);
    const before = gemmPoolStats().failovers;
    // The fault fires in the next product the worker joins (a new worker wakes late, so try a few).
    for (let i = 0; i < 2000 && gemmPoolStats().failovers === before; i++) {
      const arena = gemmArena()!; // a failover replaces the engine, and with it the memory arenas live in
      const [a, b, c] = [arena.alloc(false, N * N)!, arena.alloc(false, N * N)!, arena.alloc(false, N * N)!];
      a.set(a0);
      b.set(b0);
      injectGemmWorkerFault(1, 'rows');
      gemm(a, b, c, N, N, N, false, false);
      for (let j = 0; j < want.length; j += 97) expect(Math.abs(c[j]! - want[j]!)).toBeLessThan(1e-12);
    }
    injectGemmWorkerFault(1, 'none');
    expect(gemmPoolStats().failovers).toBe(before + 1);
  });

  it("an arena's memory goes back to the engine when the arena is garbage, and is reused", async () => {
    const grab = (): void => {
      const arena = gemmArena()!;
      for (let i = 0; i < 4; i++) arena.alloc(false, 50_000);
    };
    grab();
    const before = wasmArenaStats()!;
    heapAfterGc();
    await new Promise((r) => setTimeout(r, 20)); // finalizers run in a later task
    heapAfterGc();
    await new Promise((r) => setTimeout(r, 20));
    const freed = wasmArenaStats()!;
    expect(freed.freeBlocks).toBeGreaterThanOrEqual(4);
    grab(); // the same sizes again: the freed blocks, no new memory
    expect(wasmArenaStats()!.heapEnd).toBe(before.heapEnd);
  });
});
