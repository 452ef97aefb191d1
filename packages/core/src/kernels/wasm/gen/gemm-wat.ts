// Build-time generator of the GEMM kernels' WebAssembly text (run by scripts/build-wasm.ts, never at run time).
/**
 * WebAssembly text source of the SIMD GEMM kernels.
 *
 * The micro-kernel is a fully unrolled MR×NR block of v128 accumulators; writing those
 * 8–12 accumulators and their update lines by hand for two element types would be several
 * hundred near-identical lines, so this file *generates* the WAT from a few templates.
 * `scripts/build-wasm.ts` assembles the text with `wabt` and writes the binary into
 * `gemm-wasm.generated.ts`. Nothing here runs at library run time.
 *
 * Algorithm (GotoBLAS / BLIS style, see the loader for the JS side):
 * - `pack_b_*` packs op(B) once into micro-panels of NR columns, KC rows deep, zero padded to
 *   a multiple of NR (a column range per call, so threads can share the work). This is where
 *   `transB` is absorbed.
 * - `gemm_rows_*` computes the rows [i0, i1) of C: for each KC slice it packs an MC×KC block
 *   of op(A) into micro-panels of MR rows (absorbing `transA`), then sweeps the NR-wide B
 *   micro-panels (L1 resident) against the packed A block (L2 resident).
 * - Accumulators start at zero and are added to C only at the end of each KC slice, so for
 *   k ≤ KC the summation order equals the reference triple loop (bit-for-bit results).
 * - After the last KC slice of an MC block, an optional epilogue adds a bias row and applies the
 *   sigmoid (imported from the sigmoid module on the same memory) to the block's finished rows, while
 *   they are still in cache: what a compiled `sigmoid(matmul(a, b) + bias)` costs instead of two more
 *   passes over C.
 *
 * @internal
 * @packageDocumentation
 */

/** Register-block and element parameters of one kernel flavour. @internal */
export interface KernelShape {
  /** Wasm scalar type of the elements. */
  readonly type: 'f64' | 'f32';
  /** Rows of the micro-tile (rows of op(A) per packed panel). */
  readonly mr: number;
  /** Columns of the micro-tile, a multiple of the SIMD lane count. */
  readonly nr: number;
  /**
   * Update the accumulators with the fused `relaxed_madd` (one rounding per multiply-add, and
   * no product temporary) instead of `mul` then `add`. Needs relaxed SIMD.
   */
  readonly isFma?: boolean;
}

/**
 * Default micro-tile shapes. V8 on x64 hands Wasm 15 usable XMM registers (one is its
 * scratch register), so MR·NR/lanes accumulators plus NR/lanes B vectors, one broadcast
 * A vector and one product temporary must stay ≤ 15 to avoid spills.
 * @internal
 */
export const KERNEL_SHAPES: readonly KernelShape[] = [
  { type: 'f64', mr: 4, nr: 4 },
  { type: 'f32', mr: 4, nr: 8 },
];

/**
 * Micro-tile shapes of the fused multiply-add kernels. A fused update needs no product
 * temporary, so 6×4 (12 accumulators + 2 B + 1 A = 15 registers) should fit, but V8 then
 * spills: single-core f64 GFLOP/s at 256³–512³ measured 4×4 ≈ 17.8, 3×6 ≈ 18.6, 2×8 ≈ 17.8,
 * 6×4 ≈ 12, 4×6 ≈ 12, 5×4 ≈ 11 (plain mul + add 4×4 ≈ 14.4; f32 alike, ≈ 31–34 against 25–29).
 * 4×4 is ~90% of the 128-bit FMA peak, and unlike 3×6 it tiles the power-of-two shapes
 * of typical layers without ragged edges.
 * @internal
 */
export const FMA_KERNEL_SHAPES: readonly KernelShape[] = [
  { type: 'f64', mr: 4, nr: 4, isFma: true },
  { type: 'f32', mr: 4, nr: 8, isFma: true },
];

function lanesOf(type: 'f64' | 'f32'): number {
  return type === 'f64' ? 2 : 4;
}

function bytesOf(type: 'f64' | 'f32'): number {
  return type === 'f64' ? 8 : 4;
}

/**
 * The MR×NR micro-kernel: C[MR×NR] (+)= Apanel[kc×MR]ᵀ · Bpanel[kc×NR].
 * The k loop is deliberately not unrolled: unrolling by 2 or 4 measured 25–35% slower,
 * as V8 then spills accumulators. 4×4 (f64) and 4×8 (f32) beat 2×8, 3×8, 5×4 and 6×4.
 */
function microKernel(s: KernelShape): string {
  const { type: t, mr, nr } = s;
  const es = bytesOf(t);
  const nv = nr / lanesOf(t);
  const vt = `${t}x${lanesOf(t)}`;
  const splat = t === 'f64' ? 'v128.load64_splat' : 'v128.load32_splat';
  const accs: string[] = [];
  for (let r = 0; r < mr; r++) for (let v = 0; v < nv; v++) accs.push(`$c${r}_${v}`);
  const locals = [
    ...accs.map((x) => `(local ${x} v128)`),
    ...Array.from({ length: nv }, (_, v) => `(local $b${v} v128)`),
    '(local $a v128)',
    '(local $cr i32)',
  ].join(' ');
  const step: string[] = [];
  for (let v = 0; v < nv; v++) {
    step.push(`(local.set $b${v} (v128.load offset=${v * 16} align=16 (local.get $pb)))`);
  }
  for (let r = 0; r < mr; r++) {
    step.push(`(local.set $a (${splat} offset=${r * es} (local.get $pa)))`);
    for (let v = 0; v < nv; v++) {
      step.push(s.isFma === true
        // relaxed_madd(a, b, c) = a·b + c, fused where the CPU has FMA (x64 with FMA3, arm64).
        ? `(local.set $c${r}_${v} (${vt}.relaxed_madd (local.get $a) (local.get $b${v}) (local.get $c${r}_${v})))`
        : `(local.set $c${r}_${v} (${vt}.add (local.get $c${r}_${v}) (${vt}.mul (local.get $a) (local.get $b${v}))))`);
    }
  }
  const storeFirst: string[] = [];
  const storeAdd: string[] = [];
  for (let r = 0; r < mr; r++) {
    const row = r === 0 ? '(local.set $cr (local.get $c))' : '(local.set $cr (i32.add (local.get $cr) (local.get $ldc)))';
    storeFirst.push(row);
    storeAdd.push(row);
    for (let v = 0; v < nv; v++) {
      storeFirst.push(`(v128.store offset=${v * 16} align=1 (local.get $cr) (local.get $c${r}_${v}))`);
      storeAdd.push(
        `(v128.store offset=${v * 16} align=1 (local.get $cr) (${vt}.add (v128.load offset=${v * 16} align=1 (local.get $cr)) (local.get $c${r}_${v})))`,
      );
    }
  }
  return `
  (func $micro_${t} (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $first i32)
    ${locals}
    (loop $k
      ${step.join('\n      ')}
      (local.set $pa (i32.add (local.get $pa) (i32.const ${mr * es})))
      (local.set $pb (i32.add (local.get $pb) (i32.const ${nr * es})))
      (br_if $k (local.tee $kc (i32.sub (local.get $kc) (i32.const 1)))))
    (if (local.get $first)
      (then ${storeFirst.join('\n        ')})
      (else ${storeAdd.join('\n        ')})))`;
}

/**
 * Packs the columns [j0, j1) of op(B) (k×n; j0 a multiple of NR) into KC-deep, NR-wide,
 * zero-padded micro-panels at their final place in the full packed B, so that threads can
 * each pack a share of the columns side by side.
 */
function packB(s: KernelShape): string {
  const { type: t, nr } = s;
  const es = bytesOf(t);
  // Panel (pc, jr) starts at element pc·nPad + jr·kc; within a panel row p holds NR values.
  return `
  (func $pack_b_${t} (export "pack_b_${t}") (param $b i32) (param $base i32) (param $k i32) (param $n i32) (param $transB i32) (param $kcBlk i32)
      (param $j0 i32) (param $j1 i32)
    (local $pc i32) (local $kc i32) (local $jr i32) (local $p i32) (local $j i32) (local $col i32) (local $src i32)
    (local $dst i32) (local $nPad i32) (local $row i32) (local $ks i32)
    ${Array.from({ length: nr }, (_, j) => `(local $v${j} v128)`).join(' ')} (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (if (i32.ge_u (local.get $j0) (local.get $j1)) (then (return)))
    (local.set $nPad (i32.mul (i32.div_u (i32.add (local.get $n) (i32.const ${nr - 1})) (i32.const ${nr})) (i32.const ${nr})))
    (loop $lpc
      (local.set $kc (select (local.get $kcBlk) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_u (local.get $kcBlk) (i32.sub (local.get $k) (local.get $pc)))))
      (local.set $jr (local.get $j0))
      (loop $ljr
        (local.set $dst (i32.add (local.get $base)
          (i32.mul (i32.add (i32.mul (local.get $pc) (local.get $nPad)) (i32.mul (local.get $jr) (local.get $kc))) (i32.const ${es}))))
        (local.set $p (i32.const 0))
        ${transposedPanelRows(s)}
        ;; The rows left by the transposed loop (all of them in the other cases), one at a time.
        (if (i32.lt_u (local.get $p) (local.get $kc)) (then
        (loop $lp
          (if (i32.and (i32.eqz (local.get $transB)) (i32.le_u (i32.add (local.get $jr) (i32.const ${nr})) (local.get $n)))
            (then
              ;; Common case: NR contiguous source values, copy them as whole vectors.
              (local.set $src (i32.add (local.get $b) (i32.mul (i32.add (i32.mul (i32.add (local.get $pc) (local.get $p)) (local.get $n)) (local.get $jr)) (i32.const ${es}))))
              ${Array.from({ length: (nr * es) / 16 }, (_, v) => `(v128.store offset=${v * 16} align=16 (local.get $dst) (v128.load offset=${v * 16} align=1 (local.get $src)))`).join('\n              ')}
              (local.set $dst (i32.add (local.get $dst) (i32.const ${nr * es}))))
            (else
              (local.set $j (i32.const 0))
              (loop $lj
                (local.set $col (i32.add (local.get $jr) (local.get $j)))
                (${t}.store (local.get $dst)
                  (if (result ${t}) (i32.lt_u (local.get $col) (local.get $n))
                    (then (${t}.load (i32.add (local.get $b) (i32.mul (i32.const ${es})
                      (if (result i32) (local.get $transB)
                        (then (i32.add (i32.mul (local.get $col) (local.get $k)) (i32.add (local.get $pc) (local.get $p))))
                        (else (i32.add (i32.mul (i32.add (local.get $pc) (local.get $p)) (local.get $n)) (local.get $col))))))))
                    (else (${t}.const 0))))
                (local.set $dst (i32.add (local.get $dst) (i32.const ${es})))
                (br_if $lj (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const ${nr}))))))
          (br_if $lp (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))))
        (br_if $ljr (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const ${nr}))) (local.get $j1))))
      (br_if $lpc (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (local.get $kc))) (local.get $k)))))`;
}

/** `i8x16.shuffle` of two vectors by lanes of `bytes` bytes (lanes ≥ 16/bytes pick from the second). */
function shuffle(bytes: number, lanes: readonly number[], x: string, y: string): string {
  const idx = lanes.flatMap((l) => Array.from({ length: bytes }, (_, b) => l * bytes + b));
  return `(i8x16.shuffle ${idx.join(' ')} (local.get ${x}) (local.get ${y}))`;
}

/**
 * The transposed case of `pack_b` for a full NR-wide panel: op(B) = Bᵀ, so each of the NR
 * columns is a contiguous row of B. Loads one vector (S = 16/es values of p) from each, and
 * transposes them in registers into S rows of the panel; the scalar loop does the last
 * kc mod S rows. A plain data move, so the packed values are the same bits. Where packing
 * dominates (one thread, 16×1024×1024 with Bᵀ) this took f32 from 8.5 to 14 GFLOP/s and f64
 * from 4.6 to 6.2, level with the untransposed product; the scalar loop was 2–3× slower.
 */
function transposedPanelRows(s: KernelShape): string {
  const { type: t, nr } = s;
  const es = bytesOf(t);
  const step = 16 / es;
  const loads: string[] = ['(local.set $row (local.get $src))'];
  for (let j = 0; j < nr; j++) {
    if (j > 0) loads.push('(local.set $row (i32.add (local.get $row) (local.get $ks)))');
    loads.push(`(local.set $v${j} (v128.load align=1 (local.get $row)))`);
  }
  const stores: string[] = [];
  const rowBytes = nr * es;
  if (t === 'f64') {
    // v_j = [B(p, j), B(p+1, j)]: row p takes the low halves, row p+1 the high ones.
    for (let g = 0; g < nr / 2; g++) {
      const [x, y] = [`$v${2 * g}`, `$v${2 * g + 1}`];
      stores.push(`(v128.store offset=${g * 16} align=16 (local.get $dst) ${shuffle(8, [0, 2], x, y)})`);
      stores.push(`(v128.store offset=${rowBytes + g * 16} align=16 (local.get $dst) ${shuffle(8, [1, 3], x, y)})`);
    }
  } else {
    // A 4×4 transpose per group of four columns: interleave pairs, then pair the halves.
    for (let g = 0; g < nr / 4; g++) {
      const v = (i: number): string => `$v${4 * g + i}`;
      stores.push(
        `(local.set $t0 ${shuffle(4, [0, 4, 1, 5], v(0), v(1))})`,
        `(local.set $t1 ${shuffle(4, [2, 6, 3, 7], v(0), v(1))})`,
        `(local.set $t2 ${shuffle(4, [0, 4, 1, 5], v(2), v(3))})`,
        `(local.set $t3 ${shuffle(4, [2, 6, 3, 7], v(2), v(3))})`,
        `(v128.store offset=${g * 16} align=16 (local.get $dst) ${shuffle(8, [0, 2], '$t0', '$t2')})`,
        `(v128.store offset=${rowBytes + g * 16} align=16 (local.get $dst) ${shuffle(8, [1, 3], '$t0', '$t2')})`,
        `(v128.store offset=${2 * rowBytes + g * 16} align=16 (local.get $dst) ${shuffle(8, [0, 2], '$t1', '$t3')})`,
        `(v128.store offset=${3 * rowBytes + g * 16} align=16 (local.get $dst) ${shuffle(8, [1, 3], '$t1', '$t3')})`,
      );
    }
  }
  return `(if (i32.and (i32.and (local.get $transB) (i32.le_u (i32.add (local.get $jr) (i32.const ${nr})) (local.get $n)))
              (i32.ge_u (local.get $kc) (i32.const ${step})))
          (then
            ;; Byte stride between columns of op(B) (rows of B).
            (local.set $ks (i32.mul (local.get $k) (i32.const ${es})))
            (loop $lt
              (local.set $src (i32.add (local.get $b)
                (i32.mul (i32.add (i32.mul (local.get $jr) (local.get $k)) (i32.add (local.get $pc) (local.get $p))) (i32.const ${es}))))
              ${loads.join('\n              ')}
              ${stores.join('\n              ')}
              (local.set $dst (i32.add (local.get $dst) (i32.const ${step * rowBytes})))
              (br_if $lt (i32.le_u (local.tee $p (i32.add (local.get $p) (i32.const ${step})))
                (i32.sub (local.get $kc) (i32.const ${step})))))))`;
}

/**
 * Packs the block op(A)[ic:ic+mc, pc:pc+kc] into MR-row, zero-padded micro-panels (panel row p
 * holds op(A)[ir…ir+MR−1, pc+p]). A plain data move, so the packed values are the same bits.
 * `transA` only sets the byte strides of op(A) between rows ($rs) and columns ($ps), and picks
 * one of two loops per full panel: with transA a panel row is contiguous in A and is copied as
 * whole vectors; otherwise its MR values sit $rs apart and are gathered with lane loads. The
 * ragged last panel goes through a scalar loop that writes zeros past mc. Loading MR rows of
 * S = 16/es values and transposing them with shuffles (as `transposedPanelRows` does for B)
 * measured the same on the W1 shapes (within the ±5% noise, f64 and f32), with a kc mod S
 * remainder loop and 135 (f64) or 235 (f32) more bytes of module. Against the former scalar
 * loop (a transA and a bound test per element) the W1 small products ([512,30]·[64,30]ᵀ,
 * [512,64]ᵀ·[512,30], [512,64]·[64,30], …) take 8–17% (f64) and 7–25% (f32) less time.
 */
function packA(s: KernelShape): string {
  const { type: t, mr } = s;
  const es = bytesOf(t);
  const lanes = lanesOf(t);
  const bits = es * 8;
  // Row r of the panel at $src + r·$rs; the addresses are evaluated in row order.
  const rowAddr = (r: number): string => (r === 0
    ? '(local.tee $q (local.get $src))'
    : '(local.tee $q (i32.add (local.get $q) (local.get $rs)))');
  const gather: string[] = [];
  for (let v = 0; v < mr / lanes; v++) {
    // Lanes 0…L−2 by lane loads around a splat of the last one: its address comes last.
    let expr = `(v128.load${bits}_splat ${rowAddr(v * lanes + lanes - 1)})`;
    for (let l = lanes - 2; l >= 0; l--) expr = `(v128.load${bits}_lane ${l} ${rowAddr(v * lanes + l)} ${expr})`;
    gather.push(`(v128.store offset=${v * 16} (local.get $dst) ${expr})`);
  }
  const copy = Array.from({ length: mr / lanes }, (_, v) =>
    `(v128.store offset=${v * 16} (local.get $dst) (v128.load offset=${v * 16} (local.get $src)))`);
  const fullPanel = (body: string[]): string => `(loop $lf
              ${body.join('\n              ')}
              (local.set $src (i32.add (local.get $src) (local.get $ps)))
              (local.set $dst (i32.add (local.get $dst) (i32.const ${mr * es})))
              (br_if $lf (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))`;
  return `
  (func $pack_a_${t} (param $a i32) (param $dst i32) (param $m i32) (param $k i32) (param $transA i32)
      (param $ic i32) (param $mc i32) (param $pc i32) (param $kc i32)
    (local $ir i32) (local $p i32) (local $r i32) (local $rs i32) (local $ps i32) (local $src i32) (local $q i32)
    (local.set $rs (select (i32.const ${es}) (i32.mul (local.get $k) (i32.const ${es})) (local.get $transA)))
    (local.set $ps (select (i32.mul (local.get $m) (i32.const ${es})) (i32.const ${es}) (local.get $transA)))
    ;; $a ← &op(A)[ic, pc]
    (local.set $a (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $rs)) (i32.mul (local.get $pc) (local.get $ps)))))
    (loop $lir
      (local.set $src (i32.add (local.get $a) (i32.mul (local.get $ir) (local.get $rs))))
      (local.set $p (i32.const 0))
      (if (i32.le_u (i32.add (local.get $ir) (i32.const ${mr})) (local.get $mc))
        (then (if (local.get $transA)
          (then ${fullPanel(copy)})
          (else ${fullPanel(gather)})))
        (else (loop $lp
          (local.set $q (local.get $src))
          (local.set $r (i32.const 0))
          (loop $lr
            (${t}.store (local.get $dst)
              (if (result ${t}) (i32.lt_u (i32.add (local.get $ir) (local.get $r)) (local.get $mc))
                (then (${t}.load (local.get $q)))
                (else (${t}.const 0))))
            (local.set $q (i32.add (local.get $q) (local.get $rs)))
            (local.set $dst (i32.add (local.get $dst) (i32.const ${es})))
            (br_if $lr (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const ${mr}))))
          (local.set $src (i32.add (local.get $src) (local.get $ps)))
          (br_if $lp (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 1))) (local.get $kc))))))
      (br_if $lir (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const ${mr}))) (local.get $mc)))))`;
}

/** Copies (or adds) the valid rows×cols corner of an MR×NR scratch tile into C. */
function edge(s: KernelShape): string {
  const { type: t, nr } = s;
  const es = bytesOf(t);
  return `
  (func $edge_${t} (param $tmp i32) (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32) (param $first i32)
    (local $r i32) (local $j i32) (local $src i32) (local $dst i32)
    (loop $lr
      (local.set $src (i32.add (local.get $tmp) (i32.mul (local.get $r) (i32.const ${nr * es}))))
      (local.set $dst (i32.add (local.get $c) (i32.mul (local.get $r) (local.get $ldc))))
      (local.set $j (i32.const 0))
      (loop $lj
        (${t}.store (local.get $dst)
          (if (result ${t}) (local.get $first)
            (then (${t}.load (local.get $src)))
            (else (${t}.add (${t}.load (local.get $dst)) (${t}.load (local.get $src))))))
        (local.set $src (i32.add (local.get $src) (i32.const ${es})))
        (local.set $dst (i32.add (local.get $dst) (i32.const ${es})))
        (br_if $lj (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $cols))))
      (br_if $lr (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows)))))`;
}

/**
 * The epilogue of a finished block of `rows` full rows of C (contiguous, n elements each): with bit 1 of
 * `flags`, C[i, j] += bias[j] (the product's final value plus the bias, as an eager add after the matmul
 * computes it); then with bit 2, C = σ(C) by the sigmoid module's exact-length kernel (imported), which
 * uses `tmp` for the tail of the block.
 */
function epilogue(s: KernelShape): string {
  const { type: t } = s;
  const es = bytesOf(t);
  const vt = `${t}x${lanesOf(t)}`;
  return `
  (func $epilogue_${t} (param $c i32) (param $rows i32) (param $n i32) (param $bias i32) (param $flags i32) (param $tmp i32)
    (local $r i32) (local $j i32) (local $rowBytes i32) (local $vecBytes i32)
    (if (i32.and (local.get $flags) (i32.const 1)) (then
      (local.set $rowBytes (i32.mul (local.get $n) (i32.const ${es})))
      (local.set $vecBytes (i32.and (local.get $rowBytes) (i32.const -16)))
      (loop $lr
        (local.set $j (i32.const 0))
        (if (local.get $vecBytes) (then (loop $lv
          (v128.store align=1 (i32.add (local.get $c) (local.get $j))
            (${vt}.add (v128.load align=1 (i32.add (local.get $c) (local.get $j))) (v128.load align=1 (i32.add (local.get $bias) (local.get $j)))))
          (br_if $lv (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $vecBytes))))))
        (if (i32.lt_u (local.get $j) (local.get $rowBytes)) (then (loop $ls
          (${t}.store (i32.add (local.get $c) (local.get $j))
            (${t}.add (${t}.load (i32.add (local.get $c) (local.get $j))) (${t}.load (i32.add (local.get $bias) (local.get $j)))))
          (br_if $ls (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const ${es}))) (local.get $rowBytes))))))
        (local.set $c (i32.add (local.get $c) (local.get $rowBytes)))
        (br_if $lr (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $rows))))
      (local.set $c (i32.sub (local.get $c) (i32.mul (local.get $rows) (local.get $rowBytes))))))
    (if (i32.and (local.get $flags) (i32.const 2))
      (then (call $sigmoid_${t} (local.get $c) (i32.mul (local.get $rows) (local.get $n)) (local.get $tmp)))))`;
}

/** Driver for the rows [i0, i1) of C against the fully packed B. */
function rows(s: KernelShape): string {
  const { type: t, mr, nr } = s;
  const es = bytesOf(t);
  return `
  (func $gemm_rows_${t} (export "gemm_rows_${t}")
      (param $a i32) (param $pb i32) (param $c i32) (param $m i32) (param $n i32) (param $k i32)
      (param $transA i32) (param $i0 i32) (param $i1 i32) (param $accumulate i32)
      (param $pa i32) (param $tmp i32) (param $kcBlk i32) (param $mcBlk i32) (param $bias i32) (param $flags i32)
    (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32)
    (local $first i32) (local $nPad i32) (local $panelB i32) (local $ldc i32) (local $cTile i32)
    (local $rowsLeft i32) (local $colsLeft i32)
    (if (i32.ge_u (local.get $i0) (local.get $i1)) (then (return)))
    (local.set $nPad (i32.mul (i32.div_u (i32.add (local.get $n) (i32.const ${nr - 1})) (i32.const ${nr})) (i32.const ${nr})))
    (local.set $ldc (i32.mul (local.get $n) (i32.const ${es})))
    (loop $lpc
      (local.set $kc (select (local.get $kcBlk) (i32.sub (local.get $k) (local.get $pc))
        (i32.lt_u (local.get $kcBlk) (i32.sub (local.get $k) (local.get $pc)))))
      (local.set $first (i32.and (i32.eqz (local.get $pc)) (i32.eqz (local.get $accumulate))))
      (local.set $ic (local.get $i0))
      (loop $lic
        (local.set $mc (select (local.get $mcBlk) (i32.sub (local.get $i1) (local.get $ic))
          (i32.lt_u (local.get $mcBlk) (i32.sub (local.get $i1) (local.get $ic)))))
        (call $pack_a_${t} (local.get $a) (local.get $pa) (local.get $m) (local.get $k) (local.get $transA)
          (local.get $ic) (local.get $mc) (local.get $pc) (local.get $kc))
        (local.set $jr (i32.const 0))
        (loop $ljr
          (local.set $panelB (i32.add (local.get $pb)
            (i32.mul (i32.add (i32.mul (local.get $pc) (local.get $nPad)) (i32.mul (local.get $jr) (local.get $kc))) (i32.const ${es}))))
          (local.set $colsLeft (i32.sub (local.get $n) (local.get $jr)))
          (local.set $ir (i32.const 0))
          (loop $lir
            (local.set $cTile (i32.add (local.get $c)
              (i32.mul (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $n)) (local.get $jr)) (i32.const ${es}))))
            (local.set $rowsLeft (i32.sub (local.get $mc) (local.get $ir)))
            (if (i32.and (i32.ge_u (local.get $rowsLeft) (i32.const ${mr})) (i32.ge_u (local.get $colsLeft) (i32.const ${nr})))
              (then
                (call $micro_${t} (i32.add (local.get $pa) (i32.mul (local.get $ir) (i32.mul (local.get $kc) (i32.const ${es}))))
                  (local.get $panelB) (local.get $kc) (local.get $cTile) (local.get $ldc) (local.get $first)))
              (else
                ;; Ragged edge: compute the whole padded tile into scratch, then copy the valid corner.
                (call $micro_${t} (i32.add (local.get $pa) (i32.mul (local.get $ir) (i32.mul (local.get $kc) (i32.const ${es}))))
                  (local.get $panelB) (local.get $kc) (local.get $tmp) (i32.const ${nr * es}) (i32.const 1))
                (call $edge_${t} (local.get $tmp) (local.get $cTile) (local.get $ldc)
                  (select (i32.const ${mr}) (local.get $rowsLeft) (i32.gt_u (local.get $rowsLeft) (i32.const ${mr})))
                  (select (i32.const ${nr}) (local.get $colsLeft) (i32.gt_u (local.get $colsLeft) (i32.const ${nr})))
                  (local.get $first))))
            (br_if $lir (i32.lt_u (local.tee $ir (i32.add (local.get $ir) (i32.const ${mr}))) (local.get $mc))))
          (br_if $ljr (i32.lt_u (local.tee $jr (i32.add (local.get $jr) (i32.const ${nr}))) (local.get $n))))
        ;; The block's rows are final after the last KC slice: the epilogue runs on them while they are in cache.
        (if (i32.and (i32.ne (local.get $flags) (i32.const 0)) (i32.ge_u (i32.add (local.get $pc) (local.get $kc)) (local.get $k)))
          (then (call $epilogue_${t} (i32.add (local.get $c) (i32.mul (local.get $ic) (local.get $ldc)))
            (local.get $mc) (local.get $n) (local.get $bias) (local.get $flags) (local.get $tmp))))
        (br_if $lic (i32.lt_u (local.tee $ic (i32.add (local.get $ic) (local.get $mc))) (local.get $i1))))
      (br_if $lpc (i32.lt_u (local.tee $pc (i32.add (local.get $pc) (local.get $kc))) (local.get $k)))))`;
}

/**
 * Returns the complete WAT module text.
 *
 * @param isShared - Import a `shared` memory (needed to run the same instance memory from
 *   worker threads); browsers without cross-origin isolation cannot create one, so the
 *   build also emits an unshared variant.
 * @param shapes - Micro-tile shapes, one per element type.
 * @returns WAT source text for `wabt`'s `parseWat` (features: simd, threads, and relaxed_simd
 *   when a shape has `isFma`). Every variant exports the same function names.
 * @internal
 */
export function gemmWat(isShared: boolean, shapes: readonly KernelShape[] = KERNEL_SHAPES): string {
  // Both forms have a maximum, so the binaries differ in one byte (see shared-variant.ts).
  const memory = isShared ? '(memory 1 65536 shared)' : '(memory 1 65536)';
  const parts = shapes.map((s) => [microKernel(s), packB(s), packA(s), edge(s), epilogue(s), rows(s)].join('\n'));
  const meta = shapes.map((s) => `
  (func (export "mr_${s.type}") (result i32) (i32.const ${s.mr}))
  (func (export "nr_${s.type}") (result i32) (i32.const ${s.nr}))`);
  return `(module
  (import "env" "memory" ${memory})
  ;; The sigmoid module's exact-length kernel (span_f64 or span_f32), instantiated on the same memory.
${shapes.map((s) => `  (import "env" "sigmoid_${s.type}" (func $sigmoid_${s.type} (param i32 i32 i32)))`).join('\n')}
${parts.join('\n')}
${meta.join('\n')}
)
`;
}
