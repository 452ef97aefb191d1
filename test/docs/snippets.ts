/**
 * Helpers of the docs test: pull the ```ts blocks out of Markdown, turn `console.log(x); // expected`
 * lines into checks, and compare printed values with the expected text.
 */

/** One fenced TypeScript block. */
export interface Block {
  /** 1-based line of the opening fence in the Markdown file. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts / ```typescript blocks of a Markdown text (other languages are not run). */
export function extractBlocks(md: string): Block[] {
  const blocks: Block[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trim().startsWith(fence); j++) body.push(lines[j]!);
    blocks.push({ line: i + 1, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** A `console.log(...)` line with an expected-output comment, by 1-based line within the block. */
export interface Expectation {
  readonly line: number;
  readonly expected: string;
}

const LOG_WITH_COMMENT = /^(.*?)console\.log\((.*)\);\s*\/\/\s?(.*)$/;

/**
 * Rewrites `console.log(args); // expected` into `globalThis.__docLog(line, args);` and returns the
 * expectations; other lines are kept as they are.
 */
export function instrument(code: string): { code: string; expectations: Expectation[] } {
  const expectations: Expectation[] = [];
  const out = code.split('\n').map((text, i) => {
    const m = LOG_WITH_COMMENT.exec(text);
    if (m === null) return text;
    expectations.push({ line: i + 1, expected: m[3]!.trim() });
    return `${m[1]}(globalThis as any).__docLog(${i + 1}, ${m[2]});`;
  });
  return { code: out.join('\n'), expectations };
}

/** Prints a logged value the way the docs write it: tensors as nested arrays, arrays as `[1, 2]`. */
export function show(x: unknown): string {
  if (x !== null && typeof x === 'object' && 'toArray' in x && typeof (x as { toArray: unknown }).toArray === 'function') {
    return show((x as { toArray(): unknown }).toArray());
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return `[${Array.from(x as ArrayLike<unknown>, show).join(', ')}]`;
  if (typeof x === 'string') return x;
  return String(x);
}

type Token = { readonly kind: 'num'; readonly value: number; readonly decimals: number } | { readonly kind: 'text'; readonly value: string };

function tokens(s: string): Token[] {
  const norm = s.replace(/−/g, '-').replace(/\s+/g, '');
  const out: Token[] = [];
  const re = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|Infinity|-Infinity|NaN|./gi;
  for (const m of norm.matchAll(re)) {
    const t = m[0];
    if (/^-?(\d|\.\d|Infinity|NaN)/i.test(t) && t !== '-') {
      const frac = /\.(\d+)/.exec(t.split(/e/i)[0]!);
      out.push({ kind: 'num', value: Number(t), decimals: frac === null ? 0 : frac[1]!.length });
    } else out.push({ kind: 'text', value: t });
  }
  return out;
}

/**
 * Whether printed output matches the expected comment. Text must agree (spaces ignored); numbers must
 * agree to the digits the comment shows (`0.1192` matches 0.11920292…). `≈` in a comment means: compare
 * with what follows the last `≈`. A leading `→` is ignored.
 */
export function matches(actual: string, expectedComment: string): boolean {
  let expected = expectedComment.replace(/^→\s*/, '');
  if (expected.includes('≈')) expected = expected.slice(expected.lastIndexOf('≈') + 1);
  const a = tokens(actual);
  const e = tokens(expected);
  if (a.length !== e.length) return false;
  return e.every((te, i) => {
    const ta = a[i]!;
    if (te.kind === 'text' || ta.kind === 'text') return te.kind === ta.kind && te.value === ta.value;
    if (Number.isNaN(te.value)) return Number.isNaN(ta.value);
    if (!Number.isFinite(te.value)) return ta.value === te.value;
    const tol = te.decimals >= 12 ? 1e-12 * Math.max(1, Math.abs(te.value)) : 0.5 * 10 ** -te.decimals + 1e-12;
    return Math.abs(ta.value - te.value) <= tol;
  });
}
