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

/** The in-place kernel for one element type: `sigmoid_<t>(ptr, n)` over ⌈n/lanes⌉ vectors. */
function kernel(t: 'f64' | 'f32'): string {
  const c = t === 'f64' ? SIGMOID_F64 : SIGMOID_F32;
  const lanes = t === 'f64' ? 2 : 4;
  const vt = `${t}x${lanes}`;
  const it = t === 'f64' ? 'i64x2' : 'i32x4';
  const ish = t === 'f64' ? 52 : 23;
  const bias = t === 'f64' ? 1023 : 127;
  const splat = (x: number): string => `(${vt}.splat (${t}.const ${lit(x)}))`;
  const isplat = (x: string): string => (t === 'f64' ? `(i64x2.splat (i64.const ${x}))` : `(i32x4.splat (i32.const ${x}))`);
  const magicBits = (): string => {
    const buf = new DataView(new ArrayBuffer(8));
    if (t === 'f64') {
      buf.setFloat64(0, c.magic);
      return buf.getBigInt64(0).toString();
    }
    buf.setFloat32(0, c.magic);
    return `${buf.getInt32(0)}`;
  };
  const consts: [string, string][] = [
    ['sign', isplat(t === 'f64' ? '0x8000000000000000' : '0x80000000')],
    ['tmin', splat(c.tMin)], ['log2e', splat(c.log2e)], ['magic', splat(c.magic)],
    ['ln2hi', splat(c.ln2Hi)], ['ln2lo', splat(c.ln2Lo)], ['one', splat(1)], ['zero', splat(0)],
    ['magicbits', isplat(magicBits())], ['bias', `(i32x4.splat (i32.const ${bias}))`],
    // Hoisted: V8 would rebuild a splatted constant (3 instructions) on every iteration.
    ...c.coeffs.map((k, j): [string, string] => [`c${j + 2}`, splat(k)]),
  ];
  const mul = (a: string, b: string): string => `(${vt}.mul ${a} ${b})`;
  const add = (a: string, b: string): string => `(${vt}.add ${a} ${b})`;
  const names = ['x', 't', 'v', 'k', 'r', 'q', 'e', 'ki', 'k1', 'r2', 'r4', 'r8', 'ge', 'd'];
  /** The code for the vector at byte offset `16·u` from $p; its locals carry the suffix `_u`. */
  const body = (u: number): string => {
    const g = (name: string): string => `(local.get $${name}${names.includes(name) ? `_${u}` : ''})`;
    const set = (name: string, value: string): string => `(local.set $${name}_${u} ${value})`;
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
    // k as an integer: v = M + k, so bits(v) − bits(M) = k. For f64, M's low 32 bits are zero
    // and |k| < 2³¹, so the low 32-bit half of each lane already is k: i32x4 shifts suffice
    // (x64 has no 64-bit arithmetic shift), and the high halves are shifted out below.
    const ki = t === 'f64' ? g('v') : g('ki');
    return [
      set('x', `(v128.load offset=${16 * u} (local.get $p))`),
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
      set('k1', `(i32x4.shr_s ${ki} (i32.const 1))`),
      set('e', mul(
        mul(g('q'), `(${it}.shl (i32x4.add ${g('k1')} ${g('bias')}) (i32.const ${ish}))`),
        `(${it}.shl (i32x4.add (i32x4.sub ${ki} ${g('k1')}) ${g('bias')}) (i32.const ${ish}))`)),
      set('ge', `(${vt}.ge ${g('x')} ${g('zero')})`),
      set('d', add(g('one'), g('e'))),
      set('q', `(${vt}.div (v128.bitselect ${g('one')} ${g('e')} ${g('ge')}) ${g('d')})`),
      ';; y = q − (q·δ)·(1/d), δ = e − (d − 1), 1/d = q or 1 − q',
      `(v128.store offset=${16 * u} (local.get $p) (${vt}.sub ${g('q')} ${mul(
        mul(g('q'), `(${vt}.sub ${g('e')} (${vt}.sub ${g('d')} ${g('one')}))`),
        `(v128.bitselect ${g('q')} (${vt}.sub ${g('one')} ${g('q')}) ${g('ge')})`)}))`,
    ].join('\n      ');
  };
  const unroll = SIGMOID_UNROLL;
  return `
  (func $sigmoid_${t} (export "sigmoid_${t}") (param $p i32) (param $n i32)
    (local $end i32)
    ${Array.from({ length: unroll }, (_, u) => names.map((x) => `(local $${x}_${u} v128)`).join(' ')).join('\n    ')}
    ${consts.map(([name]) => `(local $${name} v128)`).join(' ')}
    ${consts.map(([name, value]) => `(local.set $${name} ${value})`).join('\n    ')}
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const ${t === 'f64' ? 3 : 2}))))
    (if (i32.ge_u (local.get $p) (local.get $end)) (then (return)))
    (loop $l
      ${Array.from({ length: unroll }, (_, u) => body(u)).join('\n      ')}
      (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const ${16 * unroll}))) (local.get $end)))))`;
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
  (import "env" "memory" ${isShared ? '(memory 1 65536 shared)' : '(memory 1)'})
${kernel('f64')}
${kernel('f32')}
${span('f64')}
${span('f32')}
)
`;
}
