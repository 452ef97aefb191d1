// The gradient-slot table of one backward pass: each tensor's gradient so far, and who owns the storage behind it.
import type { FloatArray } from '../base/dtype.ts';
import { claimScratch, recycle } from '../graph/grad-pool.ts';
import { Tensor } from '../graph/tensor.ts';

/**
 * The gradient slots of one backward pass, as PyTorch's `InputBuffer` and JAX's `GradAccum`: the
 * gradient each tensor has received so far (by tensor id), and the ownership of its storage. The walk
 * only calls it; every rule about buffers lives here.
 *
 * Storage that only this pass can see is counted: how many holders it has (slots, and the rule in
 * flight). At zero holders it goes back to the pool for the next rule. Storage leaves the count the
 * moment user code can see it ({@link GradSlots.expose}): a hook's argument, a retained gradient, a
 * result returned to the caller, dy of a rule that may keep it, the seed. A pass that records its
 * backward (`createGraph`) or is observed (`explain`) counts nothing, so it recycles and adds into nothing.
 * @internal
 */
export class GradSlots {
  readonly #grads = new Map<number, Tensor>();
  readonly #holders: Map<FloatArray, number> | null;

  /** @param isRecycling Whether dead storage may be reused and unshared gradients added into in place. */
  constructor(isRecycling: boolean) {
    this.#holders = isRecycling ? new Map() : null;
  }

  /** Whether dead storage goes back to the pool (so rules may take storage from it). */
  get isRecycling(): boolean {
    return this.#holders !== null;
  }

  /** The gradient `t` has received so far. */
  get(t: Tensor): Tensor | undefined {
    return this.#grads.get(t.id);
  }

  /** Adds a root's seed (the caller's storage: never recycled nor added into). */
  seed(t: Tensor, g: Tensor): void {
    const prev = this.#grads.get(t.id);
    this.#grads.set(t.id, prev === undefined ? g : prev.add(g));
  }

  /**
   * Empties `t`'s slot before its producer's rule runs, and returns the gradient the rule gets: `hooked`
   * (what `t`'s hooks made of `dy`; the slot's hold on `dy` ends if they replaced it). A visible gradient
   * is never recycled; a kept one stays in the slot (a result the caller asked for).
   */
  take(t: Tensor, dy: Tensor, hooked: Tensor, isVisible: boolean, isKept: boolean): Tensor {
    if (hooked !== dy) this.release(dy);
    if (isVisible) this.expose(hooked);
    if (isKept) this.#grads.set(t.id, hooked);
    else this.#grads.delete(t.id);
    return hooked;
  }

  /** Whether nothing but the rule about to run holds `dy`'s storage (so an elementwise rule may write over it). */
  isSole(dy: Tensor): boolean {
    return this.#holders !== null && this.#holders.get(dy.data) === 1;
  }

  /**
   * Takes ownership of what a rule returned: storage it took from the pool (scratch of a raw rule, or
   * what the ops it called allocated while the engine lent the pool) joins the count, and each gradient
   * holds its storage.
   */
  adopt(inputs: readonly Tensor[], gs: readonly (Tensor | null)[]): void {
    const holders = this.#holders;
    if (holders === null) return;
    inputs.forEach((x, k) => {
      const g = gs[k];
      if (g === null || g === undefined || !x.requiresGrad) return;
      if (claimScratch(g.data)) holders.set(g.data, 0);
      const n = holders.get(g.data);
      if (n !== undefined) holders.set(g.data, n + 1);
    });
  }

  /**
   * Adds input `x`'s share `gx` (`g` summed back to x's shape) into its slot, never overwriting: in place
   * into storage nothing else holds or will read, else as a fresh sum.
   */
  add(x: Tensor, g: Tensor, gx: Tensor): void {
    const holders = this.#holders;
    if (holders !== null && gx !== g) {
      // An unrecorded reduction made by the engine: fresh storage, and g's use is over.
      holders.set(gx.data, 1);
      this.release(g);
    }
    const prev = this.#grads.get(x.id);
    if (prev === undefined) this.#grads.set(x.id, gx);
    else if (holders !== null && prev.dtype === gx.dtype && prev.data !== gx.data && holders.get(prev.data) === 1) {
      addInto(prev.data, gx.data);
      this.release(gx);
    } else if (holders !== null && prev.dtype === gx.dtype && prev.data !== gx.data && holders.get(gx.data) === 1) {
      addInto(gx.data, prev.data);
      this.#grads.set(x.id, gx);
      this.release(prev);
    } else {
      const total = prev.add(gx);
      this.#grads.set(x.id, total);
      if (holders !== null) {
        holders.set(total.data, 1);
        this.release(prev);
        this.release(gx);
      }
    }
  }

  /**
   * The new `.grad` of a leaf whose slot holds `g` (`h` after the leaf's hooks): `g` itself when nothing
   * else holds it and the leaf had none, else a fresh tensor (the same gradient may flow to several leaves).
   */
  settle(leaf: Tensor, g: Tensor, h: Tensor, createGraph: boolean): Tensor {
    if (leaf.grad === null && h === g && this.isSole(g)) {
      this.expose(g);
      return g;
    }
    const total = leaf.grad !== null ? leaf.grad.add(h) : createGraph ? h : copyOf(h);
    this.release(g);
    return total;
  }

  /** Ends one hold on `t`'s storage; at zero holders it goes back to the pool. */
  release(t: Tensor): void {
    const holders = this.#holders;
    if (holders === null) return;
    const n = holders.get(t.data);
    if (n === undefined) return;
    if (n > 1) holders.set(t.data, n - 1);
    else {
      holders.delete(t.data);
      recycle(t.data);
    }
  }

  /** User code can see `t` from now on: its storage is never recycled or added into. */
  expose(t: Tensor): void {
    this.#holders?.delete(t.data);
  }
}

/** acc += x elementwise (same length). */
function addInto(acc: FloatArray, x: FloatArray): void {
  for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + x[i]!;
}

/** An unrecorded copy with its own storage. @internal */
export function copyOf(t: Tensor): Tensor {
  return Tensor.fromData(t.data.slice(), t.shape, t.dtype);
}
