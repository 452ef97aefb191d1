// print: canonical forms as expression-language code, Unicode mathematics and LaTeX.
/**
 * Prints canonical rationals in three styles: `code` (the expression language `derive` parses, so a
 * result can be pasted back), `math` (Unicode, for traces) and `latex`.
 * @internal
 */
import { atomOf, fNum, polyTerms, ratSplit, type Atom, type Frac, type Mono, type Poly, type Rat } from './algebra.ts';
import { ratShape } from './canon.ts';

/** A printing style. @category Symbolic */
export type PrintStyle = 'code' | 'math' | 'latex';

/** Atom keys printed as names (a named intermediate such as ŷ for σ(z)). @internal */
export type Names = ReadonlyMap<string, string>;

const SUP: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻' };

function num(f: Frac, style: PrintStyle): string {
  const n = f.n < 0n ? -f.n : f.n;
  if (f.d === 1n) return String(n);
  return style === 'latex' ? `\\frac{${n}}{${f.d}}` : `${n}/${f.d}`;
}

/** A symbol's name in the style (W1 → W_{1} and ŷ → \hat{y} in LaTeX). @internal */
export function symbolName(name: string, style: PrintStyle): string {
  if (style !== 'latex') return name;
  const hat: Record<string, string> = { 'ŷ': '\\hat{y}', 'Ŷ': '\\hat{Y}', yhat: '\\hat{y}', Yhat: '\\hat{Y}' };
  if (hat[name] !== undefined) return hat[name]!;
  const m = /^(d?)([A-Za-zŶŷ]+?)(\d+)$/.exec(name);
  if (m !== null) return `${m[1] === 'd' ? '\\mathrm{d}' : ''}${hat[m[2]!] ?? m[2]}_{${m[3]}}`;
  if (name.startsWith('d') && name.length > 1 && /^[A-Z]/.test(name.slice(1))) return `\\mathrm{d}${name.slice(1)}`;
  return name.length > 1 ? `\\mathit{${name}}` : name;
}

function pow(base: string, e: number, style: PrintStyle): string {
  if (e === 1) return base;
  if (style === 'code') return `${base}^${e}`;
  if (style === 'latex') return `${base}^{${e}}`;
  return base + String(e).split('').map((c) => SUP[c] ?? c).join('');
}

/** Whether a printed operand needs parentheses before a power or a postfix (ᵀ). */
const isCompound = (s: string): boolean => /[\s+\-−*/·⊙]/.test(s.replace(/^[-−]/, '')) && !/^[\w\\]+\(.*\)$/.test(s) && !/^\\(frac|left)/.test(s);
const paren = (s: string, style: PrintStyle): string => (style === 'latex' ? `\\left(${s}\\right)` : `(${s})`);

/** Prints a rational in a style. @internal */
export function printRat(r: Rat, style: PrintStyle, names: Names = new Map()): string {
  if (r.c.n === 0n) return '0';
  const [numR, denR] = ratSplit(r);
  // Atoms before sums: a·(1 − a), not (1 − a)·a.
  const order = (gs: { p: Poly; e: number }[]): { p: Poly; e: number }[] => gs.sort((x, y) => (x.p.size > 1 ? 1 : 0) - (y.p.size > 1 ? 1 : 0));
  const numFactors = order([...numR.f.values()]);
  const denFactors = order([...denR.f.values()]);
  let isNeg = r.c.n < 0n;
  const numParts: string[] = [];
  const vector = (p: Poly): boolean => ratShape({ c: { n: 1n, d: 1n }, f: new Map([['k', { p, e: 1 }]]) }).some((d) => d !== 1);
  const many = numFactors.length + (r.c.n === r.c.d || r.c.n === -r.c.d ? 0 : 1) > 1 || denFactors.length > 0;
  // Each sum is printed the way round that reads best (1 − tanh(z)², σ(z) − t); an odd number of turns flips the sign.
  const turned = numFactors.map((g) => g.p.size > 1 && prefersNegated(g.p));
  numFactors.forEach((g, i) => {
    if (turned[i] && g.e % 2 === 1) isNeg = !isNeg;
  });
  const denTurned = denFactors.map((g) => g.p.size > 1 && prefersNegated(g.p));
  denFactors.forEach((g, i) => {
    if (denTurned[i] && g.e % 2 === 1) isNeg = !isNeg;
  });
  // A remaining minus sign goes into a sum raised to the first power, when there is one: (t − ŷ) rather than −(ŷ − t).
  if (isNeg) {
    const k = numFactors.findIndex((g) => g.e === 1 && g.p.size > 1);
    if (k >= 0) {
      turned[k] = !turned[k];
      isNeg = false;
    }
  }
  const isVec = numFactors.filter((g) => vector(g.p)).length > 1;
  numFactors.forEach((g, i) => {
    let s = printPoly(g.p, style, names, turned[i]!);
    const single = g.p.size === 1;
    // A matrix product inside a Hadamard product keeps its parentheses: (Wᵀ·dZ) ⊙ A.
    const only = single ? polyTerms(g.p)[0]!.mono : [];
    if (isVec && style !== 'code' && only.length === 1 && atomOf(only[0]![0]).head === 'matmul') s = paren(s, style);
    numParts.push(pow(single || (!many && g.e === 1) ? (g.e > 1 && isCompound(s) ? paren(s, style) : s) : paren(s, style), g.e, style));
  });
  const mulSym = (isVec: boolean): string => (style === 'code' ? '*' : style === 'latex' ? (isVec ? ' \\odot ' : ' \\cdot ') : isVec ? ' ⊙ ' : '·');
  const coefN = r.c.n < 0n ? -r.c.n : r.c.n;
  let top = numParts.join(mulSym(isVec));
  if (coefN !== 1n) top = top === '' ? String(coefN) : `${coefN}${mulSym(false)}${top}`;
  if (top === '') top = '1';
  const dens = denFactors.map((g, i) => {
    const s = printPoly(g.p, style, names, denTurned[i]!);
    return pow(g.p.size === 1 && !(g.e > 1 && isCompound(s)) ? s : paren(s, style), g.e, style);
  });
  if (r.c.d !== 1n) dens.unshift(String(r.c.d));
  let out: string;
  if (dens.length === 0) out = top;
  else if (style === 'latex') out = `\\frac{${/^\\left\((?!.*\\left\().*\\right\)$/.test(top) ? top.slice(6, -7) : top}}{${dens.join(' ')}}`;
  else {
    const bottom = dens.join(mulSym(false));
    const topP = numParts.length === 1 && coefN === 1n && numFactors[0]!.e === 1 && numFactors[0]!.p.size > 1 && !top.startsWith('(') ? `(${top})` : top;
    out = `${topP} / ${dens.length > 1 ? `(${bottom})` : bottom}`;
  }
  return isNeg ? `${style === 'math' ? '−' : '-'}${out}` : out;
}

/** Whether −p reads better than p: a positive constant term, else a positive term with a function atom. */
function prefersNegated(p: Poly): boolean {
  const c = p.get('')?.coef;
  if (c !== undefined) return c.n < 0n;
  const withFn = polyTerms(p).find((t) => t.mono.some(([k]) => atomOf(k).head !== 'symbol'));
  return withFn !== undefined && withFn.coef.n < 0n;
}

function printPoly(p: Poly, style: PrintStyle, names: Names, isNegated: boolean): string {
  const terms = polyTerms(p).map((t) => ({ mono: t.mono, coef: isNegated ? { n: -t.coef.n, d: t.coef.d } : t.coef }));
  // Positive terms first, larger degree first: σ(z) − t, 1 − tanh(z)².
  terms.sort((a, b) => (a.coef.n < 0n ? 1 : 0) - (b.coef.n < 0n ? 1 : 0));
  let out = '';
  terms.forEach((t, i) => {
    const body = printMono(t.mono, t.coef, style, names);
    const neg = t.coef.n < 0n;
    const minus = style === 'math' ? '−' : '-';
    out += i === 0 ? (neg ? `${minus}${body}` : body) : neg ? ` ${minus} ${body}` : ` + ${body}`;
  });
  return out;
}

function printMono(m: Mono, coef: Frac, style: PrintStyle, names: Names): string {
  const isVec = m.filter(([k]) => atomOf(k).shape.some((d) => d !== 1)).length > 1;
  const parts = m.map(([k, e]) => {
    const s = printAtom(atomOf(k), style, names);
    // A matrix product inside a Hadamard product keeps its parentheses: (Wᵀ·dZ) ⊙ A.
    const isProduct = isVec && atomOf(k).head === 'matmul' && style !== 'code';
    return pow((e > 1 && isCompound(s)) || isProduct ? paren(s, style) : s, e, style);
  });
  const sep = style === 'code' ? '*' : style === 'latex' ? (isVec ? ' \\odot ' : ' ') : isVec ? ' ⊙ ' : '·';
  const c = num(coef, style);
  const isOne = coef.n === coef.d || coef.n === -coef.d;
  if (parts.length === 0) return c;
  return isOne ? parts.join(sep) : `${c}${style === 'latex' ? ' ' : style === 'code' ? '*' : '·'}${parts.join(sep)}`;
}

const MATH_NAMES: Record<string, [string, string]> = {
  sigmoid: ['σ', '\\sigma'],
  log: ['ln', '\\ln'],
  tanh: ['tanh', '\\tanh'],
  sin: ['sin', '\\sin'],
  cos: ['cos', '\\cos'],
};

/** Prints an atom. @internal */
export function printAtom(a: Atom, style: PrintStyle, names: Names): string {
  const given = names.get(a.key);
  if (given !== undefined) return symbolName(given, style);
  const args = a.args.map((x) => printRat(x, style, names));
  const arg = args[0] ?? '';
  const wrap = (s: string): string => (isCompound(s) ? paren(s, style) : s);
  const axis = a.params.startsWith('axis=') ? a.params.slice(5) : '';
  switch (a.head) {
    case 'symbol':
      return symbolName(a.params, style);
    case 'const':
      return a.params;
    case 'exp':
      if (style === 'latex') return `e^{${arg}}`;
      break;
    case 'transpose':
      if (style === 'code') return `transpose(${arg})`;
      return style === 'latex' ? `${wrap(arg)}^\\top` : `${wrap(arg)}ᵀ`;
    case 'matmul':
      if (style === 'code') return `matmul(${args.join(', ')})`;
      return style === 'latex' ? `${wrap(args[0]!)}\\,${wrap(args[1]!)}` : `${wrap(args[0]!)}·${wrap(args[1]!)}`;
    case 'sum':
      if (style === 'code') return axis === '' ? `sum(${arg})` : `sum(${arg}, ${axis})`;
      if (style === 'latex') return `\\textstyle\\sum${axis === '' ? '' : `_{\\text{axis } ${axis}}`} ${wrap(arg)}`;
      return `Σ${axis === '' ? '' : axis === '1' ? '_cols ' : `_axis${axis} `}${wrap(arg)}`;
    case 'sqrt':
      if (style === 'latex') return `\\sqrt{${arg}}`;
      return style === 'math' ? `√${wrap(arg)}` : `sqrt(${arg})`;
    default:
      break;
  }
  const name = style === 'code' ? a.head : (MATH_NAMES[a.head]?.[style === 'latex' ? 1 : 0] ?? (style === 'latex' ? `\\operatorname{${a.head}}` : a.head));
  if (style === 'latex') return `${name}\\left(${args.join(', ')}\\right)`;
  return `${name}(${args.join(', ')})`;
}

/** A number for traces. @internal */
export const showNumber = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6))));
export { fNum };
