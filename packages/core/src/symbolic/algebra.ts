// algebra: exact fractions, polynomials over atoms and factored rational functions, for the symbolic layer.
/**
 * Exact algebra for the symbolic layer: rational coefficients, polynomials over atoms, and rational
 * functions kept as a constant times a product of polynomial factors (negative exponents for the
 * denominator). Atoms are symbols and irreducible function applications (`sigmoid(z)`, `exp(z)`,
 * `sum(t)`, `matmul(W, X)`), identified by a canonical key.
 * @internal
 */
import type { SymShape } from './expr.ts';

/** An exact rational number n/d (d > 0, lowest terms). @internal */
export interface Frac {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** n/d in lowest terms. @internal */
export function frac(n: bigint, d: bigint = 1n): Frac {
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

/** A float as an exact fraction when it has at most 12 decimals, else null. @internal */
export function fracOf(x: number): Frac | null {
  if (!Number.isFinite(x)) return null;
  for (let k = 0, p = 1; k <= 12; k++, p *= 10) {
    const y = x * p;
    if (Number.isInteger(y) && Math.abs(y) < 2 ** 53) return frac(BigInt(y), BigInt(p));
  }
  return null;
}

const ZERO: Frac = { n: 0n, d: 1n };
const ONE: Frac = { n: 1n, d: 1n };
const fAdd = (a: Frac, b: Frac): Frac => frac(a.n * b.d + b.n * a.d, a.d * b.d);
const fMul = (a: Frac, b: Frac): Frac => frac(a.n * b.n, a.d * b.d);
const fDiv = (a: Frac, b: Frac): Frac => frac(a.n * b.d, a.d * b.n);
const fNeg = (a: Frac): Frac => ({ n: -a.n, d: a.d });
/** The fraction as a number. @internal */
export const fNum = (a: Frac): number => Number(a.n) / Number(a.d);
/** Whether a fraction is an integer. @internal */
export const fIsInt = (a: Frac): boolean => a.d === 1n;

/** An atom: a symbol or an irreducible application, with its canonical key. @internal */
export interface Atom {
  /** The canonical key (also its identity). */
  readonly key: string;
  /** `'symbol'` or the function's name (`sigmoid`, `exp`, `sum`, `matmul`, `transpose`, `pow`, …). */
  readonly head: string;
  /** The canonical arguments. */
  readonly args: readonly Rat[];
  /** Extra parameters that are part of the identity (reduced axes, a power). */
  readonly params: string;
  /** The symbolic shape of the atom's value. */
  readonly shape: SymShape;
}

const atoms = new Map<string, Atom>();

/** The atom with this head, arguments and parameters (interned by key). @internal */
export function atom(head: string, args: readonly Rat[], params: string, shape: SymShape): Atom {
  const key = head === 'symbol' ? (shape.length === 0 ? params : `${params}[${shape.join(',')}]`) : `${head}(${args.map(ratKey).join(',')}${params === '' ? '' : `;${params}`})`;
  let a = atoms.get(key);
  if (a === undefined) {
    a = { key, head, args, params, shape };
    atoms.set(key, a);
  }
  return a;
}

/** The atom of a key. @internal */
export function atomOf(key: string): Atom {
  return atoms.get(key)!;
}

/** A monomial: atom keys with positive exponents, sorted by key. @internal */
export type Mono = readonly (readonly [string, number])[];

/** A polynomial: monomial key → term. @internal */
export type Poly = ReadonlyMap<string, { readonly mono: Mono; readonly coef: Frac }>;

const monoKey = (m: Mono): string => m.map(([k, e]) => (e === 1 ? k : `${k}^${e}`)).join('*');

function monoMul(a: Mono, b: Mono): Mono {
  const out = new Map<string, number>(a.map(([k, e]) => [k, e]));
  for (const [k, e] of b) out.set(k, (out.get(k) ?? 0) + e);
  return [...out].sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
}

/** a / b when b divides a, else null. */
function monoDiv(a: Mono, b: Mono): Mono | null {
  const out = new Map<string, number>(a.map(([k, e]) => [k, e]));
  for (const [k, e] of b) {
    const r = (out.get(k) ?? 0) - e;
    if (r < 0) return null;
    if (r === 0) out.delete(k);
    else out.set(k, r);
  }
  return [...out].sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
}

const degree = (m: Mono): number => m.reduce((s, [, e]) => s + e, 0);

/** Graded lexicographic order on monomials (a total order compatible with multiplication). @internal */
export function monoCmp(a: Mono, b: Mono): number {
  const da = degree(a);
  const db = degree(b);
  if (da !== db) return da - db;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ka = a[i]?.[0];
    const kb = b[j]?.[0];
    if (ka === kb) {
      const d = a[i]![1] - b[j]![1];
      if (d !== 0) return d;
      i++;
      j++;
    } else if (kb === undefined || (ka !== undefined && ka < kb)) return 1;
    else return -1;
  }
  return 0;
}

function polyOf(terms: Iterable<{ mono: Mono; coef: Frac }>): Poly {
  const out = new Map<string, { mono: Mono; coef: Frac }>();
  for (const t of terms) {
    const k = monoKey(t.mono);
    const prev = out.get(k);
    const c = prev === undefined ? t.coef : fAdd(prev.coef, t.coef);
    if (c.n === 0n) out.delete(k);
    else out.set(k, { mono: t.mono, coef: c });
  }
  return out;
}

/** The constant polynomial. @internal */
export const polyConst = (c: Frac): Poly => polyOf([{ mono: [], coef: c }]);
/** p + q. @internal */
export const polyAdd = (p: Poly, q: Poly): Poly => polyOf([...p.values(), ...q.values()]);
/** p · q. @internal */
export function polyMul(p: Poly, q: Poly): Poly {
  const terms: { mono: Mono; coef: Frac }[] = [];
  for (const a of p.values()) for (const b of q.values()) terms.push({ mono: monoMul(a.mono, b.mono), coef: fMul(a.coef, b.coef) });
  return polyOf(terms);
}
const polyScale = (p: Poly, c: Frac, m: Mono = []): Poly => polyOf([...p.values()].map((t) => ({ mono: monoMul(t.mono, m), coef: fMul(t.coef, c) })));

/** The terms from the largest monomial down. @internal */
export function polyTerms(p: Poly): { mono: Mono; coef: Frac }[] {
  return [...p.values()].sort((a, b) => monoCmp(b.mono, a.mono));
}

/** p / q when q divides p exactly, else null. @internal */
export function polyDiv(p: Poly, q: Poly): Poly | null {
  const lq = polyTerms(q)[0]!;
  let r: Poly = p;
  const quotient: { mono: Mono; coef: Frac }[] = [];
  for (let guard = 0; r.size > 0; guard++) {
    if (guard > 10000) return null;
    const lr = polyTerms(r)[0]!;
    const m = monoDiv(lr.mono, lq.mono);
    if (m === null) return null;
    const c = fDiv(lr.coef, lq.coef);
    quotient.push({ mono: m, coef: c });
    r = polyAdd(r, polyScale(q, fNeg(c), m));
  }
  return polyOf(quotient);
}

const polyKey = (p: Poly): string =>
  polyTerms(p).map((t) => `${t.coef.n}/${t.coef.d}:${monoKey(t.mono)}`).join('+');

/** A rational function: `c · Π fᵢ^eᵢ` with each fᵢ a normalized polynomial (monic, no monomial content). @internal */
export interface Rat {
  readonly c: Frac;
  readonly f: ReadonlyMap<string, { readonly p: Poly; readonly e: number }>;
}

/** The constant rational. @internal */
export const ratConst = (c: Frac): Rat => ({ c, f: new Map() });
/** 0 and 1. @internal */
export const RAT_ZERO: Rat = ratConst(ZERO);
/** @internal */
export const RAT_ONE: Rat = ratConst(ONE);
/** An atom as a rational. @internal */
export function ratAtom(a: Atom): Rat {
  const p = polyOf([{ mono: [[a.key, 1]], coef: ONE }]);
  return { c: ONE, f: new Map([[a.key, { p, e: 1 }]]) };
}
/** Whether r is 0. @internal */
export const ratIsZero = (r: Rat): boolean => r.c.n === 0n;
/** The constant of a constant rational, else null. @internal */
export const ratConstant = (r: Rat): Frac | null => (r.f.size === 0 ? r.c : null);

/** r as a single atom (coefficient 1, exponent 1), else null. @internal */
export function ratSingleAtom(r: Rat): Atom | null {
  if (r.f.size !== 1 || r.c.n !== 1n || r.c.d !== 1n) return null;
  const [key, { p, e }] = [...r.f][0]!;
  return e === 1 && p.size === 1 && atoms.has(key!) ? atomOf(key!) : null;
}

function mulFactor(f: Map<string, { p: Poly; e: number }>, key: string, p: Poly, e: number): void {
  const prev = f.get(key);
  const n = (prev?.e ?? 0) + e;
  if (n === 0) f.delete(key);
  else f.set(key, { p, e: n });
}

/** A polynomial as a normalized rational: monomial content and the leading coefficient pulled out. @internal */
export function ratFromPoly(p: Poly): Rat {
  if (p.size === 0) return RAT_ZERO;
  const terms = [...p.values()];
  let content: Mono = terms[0]!.mono;
  for (const t of terms) content = content.filter(([k, e]) => t.mono.some(([k2]) => k2 === k)).map(([k, e]) => [k, Math.min(e, t.mono.find(([k2]) => k2 === k)![1])] as const);
  const rest = polyOf(terms.map((t) => ({ mono: monoDiv(t.mono, content)!, coef: t.coef })));
  // Primitive with integer coefficients and a positive leading term: 3x² + cos x, not 3(x² + ⅓cos x).
  const restTerms = polyTerms(rest);
  let num = 0n;
  let den = 1n;
  for (const t of restTerms) {
    num = gcd(num, t.coef.n);
    den = (den * t.coef.d) / (gcd(den, t.coef.d) || 1n);
  }
  const lead = frac(restTerms[0]!.coef.n < 0n ? -num : num, den);
  const f = new Map<string, { p: Poly; e: number }>();
  for (const [k, e] of content) mulFactor(f, k, polyOf([{ mono: [[k, 1]], coef: ONE }]), e);
  const monic = polyScale(rest, fDiv(ONE, lead));
  if (!(monic.size === 1 && monic.has(''))) mulFactor(f, polyKey(monic), monic, 1);
  return { c: lead, f };
}

/** a · b, cancelling a numerator factor that a denominator factor divides. @internal */
export function ratMul(a: Rat, b: Rat): Rat {
  if (ratIsZero(a) || ratIsZero(b)) return RAT_ZERO;
  const f = new Map(a.f);
  let c = fMul(a.c, b.c);
  for (const [k, { p, e }] of b.f) mulFactor(f, k, p, e);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [kn, num] of f) {
      if (num.e <= 0 || num.p.size < 2) continue;
      for (const [kd, den] of f) {
        if (den.e >= 0 || den.p.size < 2 || kd === kn) continue;
        const q = polyDiv(num.p, den.p);
        if (q === null) continue;
        mulFactor(f, kn, num.p, -1);
        mulFactor(f, kd, den.p, 1);
        const r = ratFromPoly(q);
        c = fMul(c, r.c);
        for (const [k, g] of r.f) mulFactor(f, k, g.p, g.e);
        changed = true;
        break;
      }
      if (changed) break;
    }
  }
  return { c, f };
}

/** r^n for an integer n. @internal */
export function ratPow(r: Rat, n: number): Rat {
  if (n === 0) return RAT_ONE;
  if (ratIsZero(r)) return RAT_ZERO;
  const f = new Map<string, { p: Poly; e: number }>();
  for (const [k, { p, e }] of r.f) f.set(k, { p, e: e * n });
  let c = ONE;
  for (let i = 0; i < Math.abs(n); i++) c = fMul(c, r.c);
  return { c: n < 0 ? fDiv(ONE, c) : c, f };
}

/** 1 / r (r ≠ 0). @internal */
export const ratInv = (r: Rat): Rat => ratPow(r, -1);
/** −r. @internal */
export const ratNeg = (r: Rat): Rat => ({ c: fNeg(r.c), f: r.f });

/** c · Π fᵢ^eᵢ expanded, for factors with eᵢ ≥ 0. @internal */
export function ratExpand(r: Rat): Poly {
  let p = polyConst(r.c);
  for (const { p: q, e } of r.f.values()) for (let i = 0; i < e; i++) p = polyMul(p, q);
  return p;
}

/** Splits r into its numerator and denominator, both with non-negative exponents. @internal */
export function ratSplit(r: Rat): [Rat, Rat] {
  const num = new Map<string, { p: Poly; e: number }>();
  const den = new Map<string, { p: Poly; e: number }>();
  for (const [k, g] of r.f) (g.e > 0 ? num : den).set(k, { p: g.p, e: Math.abs(g.e) });
  return [{ c: r.c, f: num }, { c: ONE, f: den }];
}

/** a + b over the common factors, cancelling what the denominator divides. @internal */
export function ratAdd(a: Rat, b: Rat): Rat {
  if (ratIsZero(a)) return b;
  if (ratIsZero(b)) return a;
  const common = new Map<string, { p: Poly; e: number }>();
  for (const k of new Set([...a.f.keys(), ...b.f.keys()])) {
    const ga = a.f.get(k);
    const gb = b.f.get(k);
    const e = Math.min(ga?.e ?? 0, gb?.e ?? 0);
    if (e !== 0) common.set(k, { p: (ga ?? gb)!.p, e });
  }
  const g: Rat = { c: ONE, f: common };
  const sum = polyAdd(ratExpand(ratMul(a, ratInv(g))), ratExpand(ratMul(b, ratInv(g))));
  if (sum.size === 0) return RAT_ZERO;
  return ratMul(g, ratFromPoly(sum));
}

/** A key that is equal for equal rationals in the same factored form. @internal */
export function ratKey(r: Rat): string {
  const [num, den] = ratSplit(r);
  const n = polyKey(ratExpand(num));
  const d = den.f.size === 0 ? '' : `/${polyKey(ratExpand(den))}`;
  return `${n}${d}`;
}

/** Every atom key that occurs at the top level of r (not inside atom arguments). @internal */
export function ratAtoms(r: Rat): Set<string> {
  const out = new Set<string>();
  for (const { p } of r.f.values()) for (const t of p.values()) for (const [k] of t.mono) out.add(k);
  return out;
}

/** Substitutes rationals for atoms at the top level of r. @internal */
export function ratSubstitute(r: Rat, sub: (a: Atom) => Rat | null): Rat {
  let out = ratConst(r.c);
  for (const { p, e } of r.f.values()) {
    let value = RAT_ZERO;
    for (const t of p.values()) {
      let term = ratConst(t.coef);
      for (const [k, n] of t.mono) term = ratMul(term, ratPow(sub(atomOf(k)) ?? ratAtom(atomOf(k)), n));
      value = ratAdd(value, term);
    }
    out = ratMul(out, ratPow(value, e));
  }
  return out;
}
