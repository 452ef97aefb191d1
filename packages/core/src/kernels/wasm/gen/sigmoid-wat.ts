// Build-time generator of the sigmoid kernel's WebAssembly text (run by scripts/build-wasm.ts, never at run time).
/**
 * Build-time generator of the WebAssembly text of the SIMD logistic-sigmoid kernels (the algorithm and
 * its constants are in `kernels/sigmoid-constants.ts`). `scripts/build-wasm.ts` assembles the text into
 * `kernels/wasm/sigmoid-wasm.generated.ts`; nothing here runs at library run time.
 * @internal
 * @packageDocumentation
 */
import { SIGMOID_F32, SIGMOID_F64, SIGMOID_UNROLL, type SigmoidConstants } from '../../sigmoid-constants.ts';

/** A float as a WAT literal that parses to exactly the same value. */
function lit(x: number): string {
  if (Number.isInteger(x)) return `${x}`;
  // Hex float: exact for every finite double (and so for every float32 value).
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const sign = hi >>> 31 ? '-' : '';
  const exp = ((hi >>> 20) & 0x7ff) - 1023;
  const mant = ((hi & 0xfffff).toString(16).padStart(5, '0') + lo.toString(16).padStart(8, '0')).replace(/0+$/, '');
  return `${sign}0x1${mant ? `.${mant}` : ''}p${exp}`;
}

/**
 * Vectors per loop iteration: two blocks of {@link SIGMOID_UNROLL} vectors. Four independent
 * vectors, their statements interleaved, keep more work in flight than two (V8 follows the
 * statement order; measured by `scripts/sigmoid-bench.mts`).
 */
const VECTORS_PER_ITERATION = 2 * SIGMOID_UNROLL;

/**
 * The in-place kernel for one element type: `sigmoid_<t>(ptr, n)` over whole blocks of
 * {@link SIGMOID_UNROLL} vectors covering n elements.
 */
function kernel(t: 'f64' | 'f32'): string {
  const c = t === 'f64' ? SIGMOID_F64 : SIGMOID_F32;
  const lanes = t === 'f64' ? 2 : 4;
  const vt = `${t}x${lanes}`;
  const it = t === 'f64' ? 'i64x2' : 'i32x4';
  const ish = t === 'f64' ? 52 : 23;
  const bias = t === 'f64' ? 1023 : 127;
  const block = 16 * SIGMOID_UNROLL;
  const splat = (x: number): string => `(${vt}.splat (${t}.const ${lit(x)}))`;
  const isplat = (x: string): string => (t === 'f64' ? `(i64x2.splat (i64.const ${x}))` : `(i32x4.splat (i32.const ${x}))`);
  // The magic number is M + 2·bias, not M: v = t·log₂e + (M + 2·bias) is (t·log₂e + M) + 2·bias
  // exactly (the floats near M are the integers, and adding the even 2·bias keeps which way a tie
  // rounds to even), so k = v − (M + 2·bias) has the reference's bits, and the integer held in
  // v's low bits is k + 2·bias, from which both biased exponents follow in two operations.
  const magic = c.magic + 2 * bias;
  const magicBits = (): string => {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat32(0, c.magic);
    return `${buf.getInt32(0)}`;
  };
  const consts: [string, string][] = [
    ['sign', isplat(t === 'f64' ? '0x8000000000000000' : '0x80000000')],
    ['tmin', splat(c.tMin)], ['log2e', splat(c.log2e)], ['magic', splat(magic)],
    ['ln2hi', splat(c.ln2Hi)], ['ln2lo', splat(c.ln2Lo)], ['one', splat(1)],
    ...(t === 'f32' ? [['magicbits', isplat(magicBits())] as [string, string]] : []),
    // Hoisted: V8 would rebuild a splatted constant (3 instructions) on every iteration.
    ...c.coeffs.map((k, j): [string, string] => [`c${j + 2}`, splat(k)]),
  ];
  const mul = (a: string, b: string): string => `(${vt}.mul ${a} ${b})`;
  const add = (a: string, b: string): string => `(${vt}.add ${a} ${b})`;
  const names = ['x', 't', 'v', 'k', 'r', 'q', 'e', 'ki', 'k1', 'r2', 'r4', 'r8', 'd'];
  /**
   * The statements for vector u of the iteration (locals suffixed `_u`): vectors 0 and 1 are
   * the block at $p, vectors 2 and 3 the block at $p2.
   */
  const body = (u: number): string[] => {
    const g = (name: string): string => `(local.get $${name}${names.includes(name) ? `_${u}` : ''})`;
    const set = (name: string, value: string): string => `(local.set $${name}_${u} ${value})`;
    const base = u < SIGMOID_UNROLL ? '$p' : '$p2';
    const offset = 16 * (u % SIGMOID_UNROLL);
    // Estrin: q = Σ_j c_j r^j from pairs (c_j + c_{j+1}·r), then pairs of pairs with r², r⁴, r⁸;
    // a dependency chain of about 7 operations instead of Horner's 2·(degree − 2).
    let terms = c.coeffs.map((_, j) => g(`c${j + 2}`));
    const powers = ['r', 'r2', 'r4', 'r8'];
    for (let level = 0; terms.length > 1; level++) {
      const next: string[] = [];
      for (let i = 0; i < terms.length; i += 2) {
        next.push(i + 1 < terms.length ? add(terms[i]!, mul(terms[i + 1]!, g(powers[level]!))) : terms[i]!);
      }
      terms = next;
    }
    // kb = k + 2·bias as an integer: for f64, M's low 32 bits are zero and k + 2·bias < 2³¹, so
    // the low 32-bit half of each lane of v already is kb; for f32, bits(v) − bits(M) is kb.
    // Then k₁ + bias = kb >> 1 and k₂ + bias = kb − (k₁ + bias): i32x4 operations suffice (x64 has
    // no 64-bit arithmetic shift), and the high halves are shifted out by the i64x2.shl.
    const kb = t === 'f64' ? g('v') : g('ki');
    return [
      set('x', `(v128.load offset=${offset} (local.get ${base}))`),
      // t = pmax(−|x|, tmin) = (−|x| < tmin ? tmin : −|x|), and −|x| sets the sign bit
      set('t', `(${vt}.pmax (v128.or ${g('x')} ${g('sign')}) ${g('tmin')})`),
      set('v', add(mul(g('t'), g('log2e')), g('magic'))),
      set('k', `(${vt}.sub ${g('v')} ${g('magic')})`),
      set('r', `(${vt}.sub (${vt}.sub ${g('t')} ${mul(g('k'), g('ln2hi'))}) ${mul(g('k'), g('ln2lo'))})`),
      set('r2', mul(g('r'), g('r'))),
      set('r4', mul(g('r2'), g('r2'))),
      ...(c.coeffs.length > 6 ? [set('r8', mul(g('r4'), g('r4')))] : []),
      set('q', terms[0]!),
      ';; 1 + p, p = r + r²·q',
      set('q', add(g('one'), add(g('r'), mul(g('r2'), g('q'))))),
      ...(t === 'f64' ? [] : [set('ki', `(i32x4.sub ${g('v')} ${g('magicbits')})`)]),
      set('k1', `(i32x4.shr_s ${kb} (i32.const 1))`),
      set('e', mul(
        mul(g('q'), `(${it}.shl ${g('k1')} (i32.const ${ish}))`),
        `(${it}.shl (i32x4.sub ${kb} ${g('k1')}) (i32.const ${ish}))`)),
      set('d', add(g('one'), g('e'))),
      // (x ≥ 0 ? 1 : e) as pmax(e, x ≥ 0 ? 1 : +0), the same bits since 0 ≤ e ≤ 1 (and pmax
      // returns a NaN e as is): two x64 instructions after the compare instead of bitselect's three.
      set('q', `(${vt}.div (${vt}.pmax ${g('e')} (v128.and (${vt}.ge ${g('x')} (v128.const i64x2 0 0)) ${g('one')})) ${g('d')})`),
      ';; y = q − (q·δ)·(1/d), δ = e − (d − 1), 1/d = q or 1 − q, whichever is ≥ ½:',
      ';; x ≥ 0 gives q = 1/d ≥ ½ (d ≤ 2), x < 0 gives q = e/d ≤ ½ (d ≥ 2e); a NaN q stays',
      `(v128.store offset=${offset} (local.get ${base}) (${vt}.sub ${g('q')} ${mul(
        mul(g('q'), `(${vt}.sub ${g('e')} (${vt}.sub ${g('d')} ${g('one')}))`),
        `(${vt}.pmax ${g('q')} (${vt}.sub ${g('one')} ${g('q')}))`)}))`,
    ];
  };
  const bodies = Array.from({ length: VECTORS_PER_ITERATION }, (_, u) => body(u));
  // Statement by statement across the vectors: all loads come before the first store, so when
  // the second block lies past the end, its vectors redo the first block's (same inputs, same
  // bits stored twice) and nothing outside whole blocks is touched.
  const interleaved = bodies[0]!.flatMap((_, i) => bodies.map((b) => b[i]!));
  return `
  (func $sigmoid_${t} (export "sigmoid_${t}") (param $p i32) (param $n i32)
    (local $end i32) (local $p2 i32)
    ${bodies.map((_, u) => names.map((x) => `(local $${x}_${u} v128)`).join(' ')).join('\n    ')}
    ${consts.map(([name]) => `(local $${name} v128)`).join(' ')}
    ${consts.map(([name, value]) => `(local.set $${name} ${value})`).join('\n    ')}
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const ${t === 'f64' ? 3 : 2}))))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (loop $l
      (local.set $p2 (i32.add (local.get $p) (i32.const ${block})))
      (local.set $p2 (select (local.get $p2) (local.get $p) (i32.lt_u (local.get $p2) (local.get $end))))
      ${interleaved.join('\n      ')}
      (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const ${16 * VECTORS_PER_ITERATION}))) (local.get $end)))))`;
}

/**
 * `span_<t>(ptr, n, scratch)`: σ over exactly n elements at `ptr`, writing nothing past them (the GEMM's
 * epilogue runs it on row blocks of C, whose neighbours another thread may be writing). Whole blocks run
 * in place; the last n mod block elements are copied to `scratch` (a block's bytes, private to the
 * calling thread), transformed there and copied back, so every element gets the kernel's bits.
 */
function span(t: 'f64' | 'f32'): string {
  const es = t === 'f64' ? 8 : 4;
  const perBlock = (16 * SIGMOID_UNROLL) / es;
  return `
  (func (export "span_${t}") (param $p i32) (param $n i32) (param $tmp i32)
    (local $whole i32) (local $tail i32) (local $rest i32)
    (local.set $whole (i32.and (local.get $n) (i32.const ${-perBlock})))
    (call $sigmoid_${t} (local.get $p) (local.get $whole))
    (local.set $rest (i32.shl (i32.sub (local.get $n) (local.get $whole)) (i32.const ${Math.log2(es)})))
    (if (local.get $rest) (then
      (local.set $tail (i32.add (local.get $p) (i32.shl (local.get $whole) (i32.const ${Math.log2(es)}))))
      (memory.copy (local.get $tmp) (local.get $tail) (local.get $rest))
      (call $sigmoid_${t} (local.get $tmp) (i32.sub (local.get $n) (local.get $whole)))
      (memory.copy (local.get $tail) (local.get $tmp) (local.get $rest)))))`;
}

/**
 * Returns the complete WAT module text: `sigmoid_f64(ptr, n)` and `sigmoid_f32(ptr, n)`
 * overwrite n elements at byte offset `ptr` (16-byte aligned) of the imported memory with
 * σ of themselves, rounding n up to whole blocks of {@link SIGMOID_UNROLL} vectors (the
 * caller leaves room for that); `span_f64` and `span_f32` do exactly n elements (see `span`).
 *
 * @param isShared - Import a `shared` memory: the variant that runs on the GEMM engine's memory, whose
 *   kernels call `span_*` as their epilogue (in worker threads too).
 * @returns WAT source text for `wabt`'s `parseWat` (features: simd, bulk memory, threads when shared).
 * @internal
 */
export function sigmoidWat(isShared = false): string {
  return `(module
  (import "env" "memory" ${isShared ? '(memory 1 65536 shared)' : '(memory 1 65536)'})
${kernel('f64')}
${kernel('f32')}
${span('f64')}
${span('f32')}
)
`;
}
