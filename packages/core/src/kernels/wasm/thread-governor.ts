// Chooses, per product shape, between the worker pool and one thread by timing both now and then.
/**
 * Whether a large product should run on the worker pool or on the calling thread alone, decided by
 * measurement. With idle cores the pool is ~1.8× faster at 512² on two cores, but when the cores are
 * busy with other programs (a loaded machine, or a browser still starting up in the same scheduling
 * group), the threads share one slice of CPU time and every wait for the slower thread is lost: two
 * threads then measured 0.75–0.95× of one. So each product shape keeps its last few times in both
 * modes, runs in the faster one, and tries the other one every few products (less often while the
 * preferred mode stays clearly ahead), so the choice follows the machine's load.
 *
 * Pure bookkeeping: no clock, no threads; `gemm-wasm.ts` times the products and asks.
 * @internal
 * @packageDocumentation
 */

/** Tuning of a {@link ThreadGovernor}. @internal */
export interface GovernorOptions {
  /** Products between two tries of the mode that is not preferred, at first and after a close call. */
  readonly minInterval: number;
  /** Longest distance between such tries, reached by doubling while the preferred mode stays clearly ahead. */
  readonly maxInterval: number;
  /** "Clearly behind": a try of the other mode took longer than the preferred mode's median by more than this fraction. */
  readonly margin: number;
  /** Shapes remembered; the record starts over when a new shape would exceed it. */
  readonly maxShapes: number;
}

/**
 * Defaults: one thread is first tried at a shape's 2nd product, then the other mode every 4th product
 * while the tries come close, and half as often after each try it clearly lost, down to 1 product
 * in 64. So the tries cost little where the choice is clear, and where it is not, the two modes take
 * about the same time anyway.
 * @internal
 */
export const GOVERNOR_DEFAULTS: GovernorOptions = { minInterval: 4, maxInterval: 64, margin: 0.05, maxShapes: 256 };

/** Times kept per mode; their median is robust to one outlier (a descheduled thread, a tier-up). */
const KEPT = 3;

interface ShapeRecord {
  /** Last times (ms) with the worker pool, a worker having joined; newest last. */
  readonly pooled: number[];
  /** Last times (ms) on the calling thread alone; newest last. */
  readonly alone: number[];
  /** Products of this shape left until the other mode is tried. */
  countdown: number;
  interval: number;
  /** Whether the product now running is a try of the mode that is not preferred. */
  isTry: boolean;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Per-shape choice between the worker pool and one thread, from the times it is told
 * (see the file comment). Call {@link ThreadGovernor.usePool} before a product and
 * {@link ThreadGovernor.record} after it.
 * @internal
 */
export class ThreadGovernor {
  readonly #shapes = new Map<string, ShapeRecord>();
  readonly #opts: GovernorOptions;
  readonly #onAlone: (key: string) => void;

  /**
   * @param onAlone Called when a shape's preferred mode becomes one thread (for the debug channel).
   * @param opts Tuning; see {@link GOVERNOR_DEFAULTS}.
   */
  constructor(onAlone: (key: string) => void = () => {}, opts: GovernorOptions = GOVERNOR_DEFAULTS) {
    this.#onAlone = onAlone;
    this.#opts = opts;
  }

  /** Whether the next product of shape `key` should run on the pool (true) or on one thread. */
  usePool(key: string): boolean {
    let r = this.#shapes.get(key);
    if (r === undefined) {
      if (this.#shapes.size >= this.#opts.maxShapes) this.#shapes.clear();
      // The first try comes at the second product: a short run should not pay several pooled
      // products on busy cores before one thread is timed at all.
      r = { pooled: [], alone: [], countdown: Math.min(2, this.#opts.minInterval), interval: this.#opts.minInterval, isTry: false };
      this.#shapes.set(key, r);
    }
    const isPreferred = this.#prefersPool(r);
    r.isTry = --r.countdown <= 0;
    if (r.isTry) r.countdown = r.interval;
    return r.isTry ? !isPreferred : isPreferred;
  }

  /**
   * Records how long a product of shape `key` took. `pooled`: it ran with workers and at least one
   * joined (a product the workers missed says nothing about the pool and is not recorded).
   */
  record(key: string, pooled: boolean, ms: number): void {
    const r = this.#shapes.get(key);
    if (r === undefined || !(ms >= 0)) return;
    const wasPool = this.#prefersPool(r);
    const times = pooled ? r.pooled : r.alone;
    times.push(ms);
    if (times.length > KEPT) times.shift();
    const isPool = this.#prefersPool(r);
    if (wasPool && !isPool) this.#onAlone(key);
    if (r.isTry) {
      r.isTry = false;
      // The other mode was tried: while it stays clearly behind, try it half as often; a try that
      // came close (or won) brings the next one soon, so a change of load is followed quickly.
      const preferred = wasPool ? r.pooled : r.alone;
      const isClear = pooled !== wasPool && preferred.length > 0 && ms > median(preferred) * (1 + this.#opts.margin);
      r.interval = isClear ? Math.min(this.#opts.maxInterval, r.interval * 2) : this.#opts.minInterval;
      r.countdown = r.interval;
    }
  }

  /** The mode shape `key` runs in now (true: the pool), or undefined until it was timed both ways. */
  prefersPool(key: string): boolean | undefined {
    const r = this.#shapes.get(key);
    return r === undefined || r.pooled.length === 0 || r.alone.length === 0 ? undefined : this.#prefersPool(r);
  }

  /** Forgets every shape (after the pool was replaced, or the thread count changed). */
  reset(): void {
    this.#shapes.clear();
  }

  #prefersPool(r: ShapeRecord): boolean {
    if (r.pooled.length === 0 || r.alone.length === 0) return true;
    return median(r.pooled) <= median(r.alone);
  }
}
