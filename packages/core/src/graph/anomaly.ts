// Anomaly mode: records where each op was called and checks every forward and backward result for NaN and ∞.
import { AnomalyError } from '../base/errors.ts';
import type { BackwardContext, BackwardRule } from '../ops/define.ts';
import { fmt } from '../base/shape.ts';
import { runSync, state, type TapeNode } from './tape.ts';
import type { Tensor } from './tensor.ts';

/**
 * Runs `fn` in anomaly mode (as PyTorch's `torch.autograd.detect_anomaly()`): every tensor op checks its
 * output for NaN and ±Inf, every recorded op keeps the stack of the place that called it, and every
 * backward rule of such an op checks the gradients it returns. The first op or rule to produce a
 * non-finite value throws an {@link AnomalyError} naming the op, the phase, the input shapes and the
 * line of your code that called the op. Outside this mode none of that work is done.
 * @param fn The code to check: a forward pass, a `backward()`, or both.
 * @returns What `fn` returns.
 * @throws {@link AnomalyError} for the first non-finite value.
 * @throws {@link ArgumentError} for an async `fn` (or one returning a promise): the checks would stop at its first `await`.
 * @example
 * ```ts
 * import { detectAnomaly, tensor } from '@tapegrad/core';
 * const x = tensor([1, -1], { requiresGrad: true });
 * try { detectAnomaly(() => x.log().sum().backward()); } catch (e) { console.log((e as Error).message); }
 * ```
 * @category Autograd
 */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = state.isAnomalyMode;
  return runSync('detectAnomaly', fn, () => void (state.isAnomalyMode = true), () => void (state.isAnomalyMode = prev));
}

/**
 * Switches anomaly mode on or off globally (see {@link detectAnomaly}).
 * @param flag `true` to check every op and rule for NaN/±Inf from now on.
 * @example
 * ```ts
 * import { setDetectAnomaly } from '@tapegrad/core';
 * setDetectAnomaly(true);
 * setDetectAnomaly(false);
 * ```
 * @category Autograd
 */
export function setDetectAnomaly(flag: boolean): void {
  state.isAnomalyMode = flag;
}

/**
 * Whether anomaly mode is on.
 * @returns `true` inside {@link detectAnomaly} or after `setDetectAnomaly(true)`.
 * @example
 * ```ts
 * import { detectAnomaly, isAnomalyEnabled } from '@tapegrad/core';
 * console.log(isAnomalyEnabled(), detectAnomaly(() => isAnomalyEnabled())); // false true
 * ```
 * @category Autograd
 */
export function isAnomalyEnabled(): boolean {
  return state.isAnomalyMode;
}

/** Set while a backward rule runs under checks, so the ops inside it are blamed on the rule, not on themselves. */
let isInCheckedRule = false;

/**
 * The current stack, deep enough to reach the user's code below tapegrad's own frames.
 * @internal
 */
export function captureStack(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return stack;
}

// Frames of tapegrad itself (sources in the workspace, or an installed build) and of the runtime.
const OWN_FRAME = /[\\/]packages[\\/](core|nn|viz|cli)[\\/](src|dist)[\\/]|[\\/]@tapegrad[\\/]|[\\/]node_modules[\\/]|\(node:|at node:|<anonymous>|\(native\)/;

/**
 * The first frame of a captured stack that is not tapegrad's own, as `file:line:column`.
 * @internal
 */
export function userFrame(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const frame = line.trim();
    if (!frame.startsWith('at ') || OWN_FRAME.test(frame)) continue;
    const m = /\(([^()]+)\)$/.exec(frame) ?? /^at (.+)$/.exec(frame);
    if (m) return m[1]!.replace(/^file:\/\//, '');
  }
  return undefined;
}

/** The first non-finite element of `t`, or -1. */
function firstNonFinite(t: Tensor): number {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

function describeValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

function inputShapes(inputs: readonly Tensor[]): string {
  return inputs.length === 0 ? 'none' : inputs.map((x) => fmt(x.shape)).join(', ');
}

function where(stack: string | undefined, verb: string): string {
  const site = userFrame(stack);
  if (site !== undefined) return `; ${verb} at ${site}`;
  return stack === undefined ? `; ${verb} at an unknown place (run the forward pass inside detectAnomaly to capture it)` : '';
}

/**
 * Forward-phase check, called by `record()` for every tensor op (recorded or not) in anomaly mode.
 * @internal
 */
export function checkForward(op: { readonly name: string }, inputs: readonly Tensor[], output: Tensor): void {
  if (isInCheckedRule) return;
  const i = firstNonFinite(output);
  if (i < 0) return;
  const bad = inputs.map((x, k) => (firstNonFinite(x) >= 0 ? k : -1)).filter((k) => k >= 0);
  const already = bad.length > 0 ? `; input ${bad.join(', ')} already held non-finite values` : '';
  throw new AnomalyError(
    `${op.name}: the forward pass must produce finite values, got ${describeValue(output.data[i]!)} at element ${i} ` +
      `of the output ${fmt(output.shape)} (phase: forward; input shapes: ${inputShapes(inputs)})${already}` +
      where(captureStack(), 'called'),
  );
}

/**
 * Runs a node's backward rule and checks every gradient it returns for NaN/±Inf. The ops the rule
 * calls are not checked on their own, so a failure names the rule's op.
 * @internal
 */
export function runCheckedRule(node: TapeNode, rule: BackwardRule, ctx: BackwardContext): readonly (Tensor | null)[] {
  const prev = isInCheckedRule;
  isInCheckedRule = true;
  let gs: readonly (Tensor | null)[];
  try {
    gs = rule(ctx);
  } finally {
    isInCheckedRule = prev;
  }
  gs.forEach((g, k) => {
    if (g === null || g === undefined) return;
    const i = firstNonFinite(g);
    if (i < 0) return;
    const upstream = firstNonFinite(ctx.dy) >= 0 ? '; the incoming gradient dy already held non-finite values' : '';
    throw new AnomalyError(
      `${node.op.name}: the backward rule must return finite gradients, got ${describeValue(g.data[i]!)} at element ${i} ` +
        `of the gradient for input ${k} ${fmt(ctx.inputs[k]?.shape ?? g.shape)} ` +
        `(phase: backward; input shapes: ${inputShapes(ctx.inputs)}; output shape: ${fmt(ctx.output.shape)})${upstream}` +
        where(node.stack, 'recorded'),
    );
  });
  return gs;
}
