// canon: canonical forms of expressions (display and proof modes) with the identities the rules need.
/**
 * Canonical forms of expressions: every expression becomes a rational function of atoms (see
 * `algebra.ts`). Two modes:
 * - `display` keeps `sigmoid`, `tanh`, `softplus`, `softmax` and `logsumexp` as atoms, for printing;
 * - `proof` rewrites them over `exp` (σ(u) = eᵘ/(1 + eᵘ), tanh u = (e²ᵘ − 1)/(e²ᵘ + 1), softplus u = ln(1 + eᵘ),
 *   softmax x = eˣ/Σ eˣ, logsumexp x = ln Σ eˣ), so that the remaining atoms are algebraically independent
 *   and two expressions are equal exactly when the numerator of their difference expands to 0.
 * Both modes use `exp(a + b) = exp a · exp b`, `exp(k·a) = (exp a)ᵏ`, `exp(ln u) = u`, `ln(exp u) = u`,
 * linearity of `sum`, `matmul` and `transpose` in scalar factors, and the caller's assumptions (`Σ t = 1`).
 * @internal
 */
import {
  atom, atomOf, frac, fracOf, fIsInt, fNum, ratAdd, ratAtom, ratConst, ratConstant, ratExpand, ratFromPoly, ratInv, ratMul, ratNeg,
  ratPow, ratSingleAtom, ratSplit, RAT_ONE, RAT_ZERO, type Atom, type Rat, polyTerms,
} from './algebra.ts';
import { broadcastSym, type Dim, type Sym, type SymShape } from './expr.ts';

/** How to canonicalize. @internal */
export interface CanonOptions {
  /** `display` or `proof` (see the module comment). */
  readonly mode: 'display' | 'proof';
  /** Atom keys replaced by known values, e.g. `sum(t)` ↦ 1. */
  readonly assume?: ReadonlyMap<string, Rat>;
}

const isScalar = (s: SymShape): boolean => s.every((d) => d === 1);

/** The shape of a canonical rational (the broadcast of its atoms' shapes). @internal */
export function ratShape(r: Rat): SymShape {
  let s: SymShape = [];
  for (const { p } of r.f.values()) for (const t of p.values()) for (const [k] of t.mono) s = broadcastSym(s, atomOf(k).shape, 'shape');
  return s;
}


/** A canonicalizer with a memo per expression node. @internal */
export function canonicalizer(opts: CanonOptions): (s: Sym) => Rat {
  const memo = new Map<number, Rat>();
  const isProof = opts.mode === 'proof';
  const fn = (head: string, args: readonly Rat[], shape: SymShape, params = ''): Rat => {
    const a = atom(head, args, params, shape);
    return opts.assume?.get(a.key) ?? ratAtom(a);
  };
  const exp = (x: Rat, shape: SymShape): Rat => expOf(x, shape, isProof, fn);
  const log = (x: Rat, shape: SymShape): Rat => {
    const a = ratSingleAtom(x);
    if (a !== null && a.head === 'exp') return a.args[0]!;
    const k = ratConstant(x);
    if (k !== null && k.n === k.d) return RAT_ZERO;
    if (!isProof && a !== null && a.head === 'sum') {
      const inner = ratSingleAtom(a.args[0]!);
      if (inner !== null && inner.head === 'exp') return fn('logsumexp', inner.args, a.shape, a.params);
    }
    return fn('log', [x], shape);
  };
  const sum = (x: Rat, axes: readonly number[], inShape: SymShape, outShape: SymShape): Rat => sumOf(x, axes, inShape, outShape, fn);
  const go = (s: Sym): Rat => {
    const hit = memo.get(s.id);
    if (hit !== undefined) return hit;
    let r: Rat;
    if (s.kind === 'const') {
      const q = fracOf(s.value);
      r = q === null ? fn('const', [], [], String(s.value)) : ratConst(q);
    } else if (s.kind === 'symbol') r = ratAtom(atom('symbol', [], s.name, s.shape));
    else {
      const a = s.args.map(go);
      const [x, y] = a as [Rat, Rat];
      const sh = s.shape;
      const xs = s.args[0]!.shape;
      switch (s.name) {
        case 'add': r = ratAdd(x, y); break;
        case 'sub': r = ratAdd(x, ratNeg(y)); break;
        case 'mul': r = ratMul(x, y); break;
        case 'div': r = ratMul(x, ratInv(y)); break;
        case 'neg': r = ratNeg(x); break;
        case 'square': r = ratPow(x, 2); break;
        case 'pow': {
          const k = ratConstant(y);
          r = k !== null && fIsInt(k) && Math.abs(fNum(k)) <= 64 ? ratPow(x, fNum(k)) : k !== null && fNum(k) === 0.5 ? fn('sqrt', [x], sh) : fn('pow', [x, y], sh);
          break;
        }
        case 'sqrt': r = fn('sqrt', [x], sh); break;
        case 'exp': r = exp(x, sh); break;
        case 'log': r = log(x, sh); break;
        case 'log1p': r = log(ratAdd(RAT_ONE, x), sh); break;
        case 'sigmoid': {
          if (!isProof) r = fn('sigmoid', [x], sh);
          else {
            const e = exp(x, sh);
            r = ratMul(e, ratInv(ratAdd(RAT_ONE, e)));
          }
          break;
        }
        case 'tanh': {
          if (!isProof) r = fn('tanh', [x], sh);
          else {
            const e2 = ratPow(exp(x, sh), 2);
            r = ratMul(ratAdd(e2, ratConst(frac(-1n))), ratInv(ratAdd(e2, RAT_ONE)));
          }
          break;
        }
        case 'softplus': r = isProof ? log(ratAdd(RAT_ONE, exp(x, sh)), sh) : fn('softplus', [x], sh); break;
        case 'relu': r = isProof ? ratMul(x, fn('gt', [x, RAT_ZERO], sh)) : fn('relu', [x], sh); break;
        case 'binaryCrossEntropy': {
          // ℓ = −(t·ln ŷ + (1 − t)·ln(1 − ŷ)), the unclamped form (the clamp at −100 only acts at ŷ ∈ {0, 1}).
          const oneMinus = (u: Rat): Rat => ratAdd(RAT_ONE, ratNeg(u));
          r = ratNeg(ratAdd(ratMul(y, log(x, sh)), ratMul(oneMinus(y), log(oneMinus(x), sh))));
          break;
        }
        case 'mseLoss': r = ratPow(ratAdd(x, ratNeg(y)), 2); break;
        case 'sum': r = sum(x, reducedAxes(xs, (s.attrs as { kept: SymShape }).kept), xs, sh); break;
        case 'logsumexp': {
          const axes = reducedAxes(xs, (s.attrs as { kept: SymShape }).kept);
          r = isProof ? log(sum(exp(x, xs), axes, xs, sh), sh) : fn('logsumexp', [x], sh, axesParam(axes, xs));
          break;
        }
        case 'softmax':
        case 'logSoftmax': {
          const axis = (s.attrs as { axis: number }).axis;
          const kept = xs.map((d, i) => (i === axis ? 1 : d));
          const lse = isProof ? log(sum(exp(x, xs), [axis], xs, kept), kept) : fn('logsumexp', [x], kept, axesParam([axis], xs));
          const logp = ratAdd(x, ratNeg(lse));
          r = s.name === 'logSoftmax' ? logp : isProof ? exp(logp, sh) : fn('softmax', [x], sh, axesParam([axis], xs));
          break;
        }
        case 'reshape':
        case 'broadcastTo':
          r = x;
          break;
        case 'transpose': r = transposeOf(x, sh, fn); break;
        case 'matmul': {
          const { transA, transB } = s.attrs as { transA: boolean; transB: boolean };
          const ta = transA ? transposeOf(x, [xs[1]!, xs[0]!], fn) : x;
          const tb = transB ? transposeOf(y, [s.args[1]!.shape[1]!, s.args[1]!.shape[0]!], fn) : y;
          const [ca, ra] = splitScalar(ta);
          const [cb, rb] = splitScalar(tb);
          r = ratMul(ratMul(ca, cb), fn('matmul', [ra, rb], sh));
          break;
        }
        default:
          r = fn(s.name, a, sh);
      }
    }
    memo.set(s.id, r);
    return r;
  };
  return go;
}

const axesParam = (axes: readonly number[], shape: SymShape): string => (axes.length === shape.length ? '' : `axis=${axes.join(',')}`);

function reducedAxes(shape: SymShape, kept: SymShape): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (kept[i] === 1 && d !== 1) out.push(i);
  });
  return out;
}

type Fn = (head: string, args: readonly Rat[], shape: SymShape, params?: string) => Rat;

/** exp of a canonical rational: split over the terms of a polynomial argument, with exp(ln u) = u. */
function expOf(x: Rat, shape: SymShape, isProof: boolean, fn: Fn): Rat {
  if (ratConstant(x)?.n === 0n) return RAT_ONE;
  const [, den] = ratSplit(x);
  if (den.f.size > 0) return fn('exp', [x], shape);
  let out = RAT_ONE;
  for (const t of polyTerms(ratExpand(x))) {
    const m = ratFromPoly(new Map([['m', { mono: t.mono, coef: frac(1n) }]]));
    const a = ratSingleAtom(m);
    let base: Rat;
    if (a !== null && a.head === 'log') base = a.args[0]!;
    else if (a !== null && a.head === 'logsumexp' && !isProof) base = fn('sum', [fn('exp', a.args, ratShape(a.args[0]!))], a.shape, a.params);
    else if (t.mono.length === 0) {
      out = ratMul(out, fn('exp', [ratConst(t.coef)], []));
      continue;
    } else base = fn('exp', [m], ratShape(m));
    out = ratMul(out, fIsInt(t.coef) ? ratPow(base, fNum(t.coef)) : fn('exp', [ratMul(ratConst(t.coef), m)], ratShape(m)));
  }
  return out;
}


/** Splits r into its scalar factors and the rest. */
function splitScalar(r: Rat): [Rat, Rat] {
  let scalar = ratConst(r.c);
  let rest = RAT_ONE;
  for (const [k, g] of r.f) {
    const one: Rat = { c: frac(1n), f: new Map([[k, g]]) };
    if (isScalar(ratShape(one))) scalar = ratMul(scalar, one);
    else rest = ratMul(rest, one);
  }
  return [scalar, rest];
}

function transposeOf(x: Rat, shape: SymShape, fn: Fn): Rat {
  const [c, rest] = splitScalar(x);
  const a = ratSingleAtom(rest);
  if (a !== null && a.head === 'transpose') return ratMul(c, a.args[0]!);
  if (a === null && ratConstant(rest) !== null) return x;
  return ratMul(c, fn('transpose', [rest], shape));
}

/** Σ over axes: linear, so scalar factors come out and a polynomial is summed term by term. */
function sumOf(x: Rat, axes: readonly number[], inShape: SymShape, outShape: SymShape, fn: Fn): Rat {
  if (axes.length === 0) return x;
  const params = axesParam(axes, inShape);
  const [scalar, rest] = splitScalar(x);
  const [, den] = ratSplit(rest);
  const count = (): Rat => {
    let c: Rat = RAT_ONE;
    for (const i of axes) {
      const d: Dim = inShape[i]!;
      c = ratMul(c, typeof d === 'number' ? ratConst(frac(BigInt(d))) : ratAtom(atom('symbol', [], d, [])));
    }
    return c;
  };
  if (den.f.size > 0) return ratMul(scalar, fn('sum', [rest], outShape, params));
  let out = RAT_ZERO;
  for (const t of polyTerms(ratExpand(rest))) {
    const m = ratFromPoly(new Map([['m', { mono: t.mono, coef: frac(1n) }]]));
    const [ms, mv] = splitScalar(m);
    const summed = ratConstant(mv) !== null ? count() : fn('sum', [mv], outShape, params);
    out = ratAdd(out, ratMul(ratMul(ratConst(t.coef), ms), summed));
  }
  return ratMul(scalar, out);
}
