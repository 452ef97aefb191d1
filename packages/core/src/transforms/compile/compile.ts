// compile(fn): trace a tensor function once per input signature, then replay the plan without the tape.
import { ArgumentError, CompileError } from '../../base/errors.ts';
import { Value } from '../../graph/value.ts';
import { fmt } from '../../base/shape.ts';
import { state } from '../../graph/tape.ts';
import { Tensor } from '../../graph/tensor.ts';
import { buildPlan, type Plan, type PlanStats } from './plan.ts';
import { Tracer, type Trace } from './trace.ts';

/** Options of {@link compile}. @category Autograd */
export interface CompileOptions {
  /**
   * `false` runs the function eagerly on every call: the escape for functions whose operations depend on
   * tensor values (a branch on `loss.item()`), which a replay could not follow. Default `true`.
   */
  readonly static?: boolean;
  /** How many traced signatures to keep (least recently used go first). Default 8. */
  readonly maxPlans?: number;
}

/** Counters of a compiled function. @category Autograd */
export interface CompileStats extends Partial<PlanStats> {
  /** How many times the function was traced (once per new input signature). */
  readonly traces: number;
  /** How many calls replayed a plan. */
  readonly replays: number;
}

/** A function compiled by {@link compile}. @category Autograd */
export interface CompiledFunction<A extends readonly (Tensor | Value)[], R> {
  (...args: A): R;
  /** Counters: traces, replays, and the most recent plan's steps, fused runs and buffers. */
  stats(): CompileStats;
}

interface CachedPlan {
  readonly key: string;
  readonly plan: Plan;
  /** The tensor trace (null for a `Value` program, which has no guards beyond its signature). */
  readonly trace: Trace | null;
}

function signature(args: readonly (Tensor | Value)[]): string {
  return args.map((t) => (t instanceof Value ? `v${t.requiresGrad ? 'g' : ''}` : `${t.dtype}${fmt(t.shape)}${t.requiresGrad ? 'g' : ''}`)).join(',');
}

/** Whether what the trace assumed about tensors outside the arguments still holds. */
function guardsHold(trace: Trace | null, args: readonly Tensor[]): boolean {
  if (trace === null) return true;
  for (const v of trace.values) {
    if (v.source.kind !== 'external') continue;
    const t = v.source.tensor;
    if (t.data.length !== v.size || t.dtype !== v.dtype) return false;
  }
  for (const g of trace.gradGuards) {
    const t = g.tensor ?? args[g.argIndex]!;
    if ((t.grad === null) !== g.wasNull) return false;
  }
  return true;
}

function detachResult(r: unknown): unknown {
  if (r instanceof Tensor) return r.requiresGrad ? r.detach() : r;
  if (r instanceof Value) return new Value(r.data, false, false);
  if (Array.isArray(r)) return r.map(detachResult);
  if (r !== null && typeof r === 'object') return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, detachResult(v)]));
  return r;
}

/**
 * Compiles a tensor function: the first call with a new input signature (shapes, dtypes, which inputs
 * require grad and have a gradient) runs `fn` once eagerly while tracing every op, backward pass and
 * traced in-place update; later calls replay that trace as a plan, with no tape: buffers allocated once
 * and reused by liveness, runs of elementwise ops fused into one generated loop, matrix products
 * straight to the GEMM kernel.
 *
 * A replay gives what eager gives (bit for bit where the operation order is the same). What it cannot
 * follow is refused with a {@link CompileError} at trace time: reading tensor values before the last
 * op (a possible branch), writing tensor storage without a traced in-place op, hooks, `retainGrad`,
 * `grad`/`vjp` inside, `detectAnomaly`, ops without a replay. Numbers and tensors created inside `fn`
 * are constants of the trace; pass what changes from call to call as arguments (tensors outside `fn`,
 * such as parameters, are read afresh on every call). The tensors a replay returns, and the `.grad` it
 * sets, are overwritten by the next call (copy them with `clone()` to keep them).
 *
 * @param fn A function of tensors; it may call `backward()` and traced in-place ops (`subInPlace`, …),
 *   and return tensors, a number read with `item()` at its end, or arrays and plain objects of these.
 * @param opts `static: false` runs `fn` eagerly on every call; `maxPlans`.
 * @returns The compiled function, with `stats()`.
 * @throws {@link CompileError} (on the first call of a signature) when `fn` cannot be traced faithfully.
 * @example
 * ```ts
 * import { compile, tensor } from '@tapegrad/core';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const step = compile((x) => {
 *   const loss = x.mul(w).sigmoid().sum();
 *   loss.backward();
 *   return loss;
 * });
 * step(tensor([0.5, -1]));
 * w.grad = null;
 * const loss = step(tensor([0.5, -1])); // replayed: no tape
 * console.log(loss.item().toFixed(4), w.grad!.toArray().length, step.stats().traces); // 0.7902 2 1
 * ```
 * @category Autograd
 */
export function compile<A extends readonly (Tensor | Value)[], R>(fn: (...args: A) => R, opts: CompileOptions = {}): CompiledFunction<A, R> {
  if (typeof fn !== 'function') throw new ArgumentError(`compile: fn must be a function, got ${typeof fn}`);
  const isStatic = opts.static ?? true;
  const maxPlans = opts.maxPlans ?? 8;
  const plans: CachedPlan[] = [];
  let traces = 0;
  let replays = 0;
  let last: Plan | null = null;
  const compiled = ((...args: A): R => {
    const isScalar = args.length > 0 && args.every((t) => t instanceof Value);
    args.forEach((t, i) => {
      if (!(t instanceof Tensor) && !(isScalar && t instanceof Value)) {
        throw new ArgumentError(`compile: argument ${i} must be a Tensor (or every argument a Value), got ${t instanceof Value ? 'a Value among tensors' : typeof t}`);
      }
    });
    // Eager on request, and inside another trace (whose tracer then sees the ops themselves).
    if (!isStatic || state.tracer !== null) return fn(...args);
    const key = signature(args);
    const k = plans.findIndex((p) => p.key === key && guardsHold(p.trace, args as readonly Tensor[]));
    if (k >= 0) {
      const hit = plans[k]!;
      if (k !== plans.length - 1) plans.push(...plans.splice(k, 1));
      replays++;
      last = hit.plan;
      return hit.plan.run(args) as R;
    }
    const tracer = new Tracer(isScalar ? [] : (args as readonly Tensor[]), isScalar ? (args as readonly Value[]) : []);
    state.tracer = tracer;
    let result: R;
    try {
      result = fn(...args);
    } finally {
      state.tracer = null;
    }
    let plan: Plan;
    let trace: Trace | null = null;
    if (!tracer.scalar.isEmpty) {
      if (tracer.hasTensorOps) throw new CompileError('compile: the function mixes Tensor and Value ops; compile one lane per function');
      const replay = tracer.scalar.finish(result);
      plan = { run: (a) => replay(a as unknown as readonly Value[]), stats: () => ({ steps: 1, elementwiseOps: 0, fusedSteps: 0, wasmFusedSteps: 0, gemmEpilogues: 0, fusedActivations: 0, buffers: 2, bufferElements: 0, allocationsLastCall: 0, wasmResidentBuffers: 0 }) };
    } else {
      trace = tracer.finish(result);
      plan = buildPlan(trace);
    }
    traces++;
    plans.push({ key, plan, trace });
    if (plans.length > maxPlans) plans.shift();
    last = plan;
    return detachResult(result) as R;
  }) as CompiledFunction<A, R>;
  compiled.stats = () => ({ traces, replays, ...(last === null ? {} : last.stats()) });
  return compiled;
}

export { CompileError };
