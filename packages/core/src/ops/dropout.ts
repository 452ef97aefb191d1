// dropout: inverted dropout with a seeded mask.
import { ArgumentError } from '../base/errors.ts';
import { Rng } from '../base/random.ts';
import { Tensor } from '../graph/tensor.ts';
import { alloc, asTensor, defineOp, record } from './define.ts';
import { mul } from './mul.ts';

/** Options of {@link dropout}. @category nn */
export interface DropoutOptions {
  /** The probability of zeroing an element, in [0, 1] (default 0.5). */
  readonly p?: number;
  /** Drop only when training (default true); otherwise x is returned as is. */
  readonly training?: boolean;
  /** Seed of the mask's {@link Rng} (default 0), or a generator to draw from (a new mask per call). */
  readonly seed?: number | Rng;
}

interface DropoutAttrs {
  /** 0 where dropped, 1/(1 − p) where kept. */
  readonly scale: Tensor;
  readonly p: number;
  /** Where the mask came from: a seed (the same mask every call) or a generator (a new mask per call). */
  readonly seed: number | Rng;
}

const op = defineOp<DropoutAttrs>({
  name: 'dropout',
  rule: 'y = x·m/(1 − p) with a fixed 0/1 mask m ⇒ dx = dy·m/(1 − p)',
  backward: ({ dy, attrs: { scale } }) => [mul(dy, scale)],
  // A replay draws its mask as the eager call would: the seed's mask again, or the generator's next one.
  replay: ([x], { p, seed }) => masked(x!, p, seed),
});

/**
 * Inverted dropout: while training, each element is zeroed with probability p and the rest are scaled
 * by 1/(1 − p), so the expectation is unchanged: `y = x·m/(1 − p)`, `m ~ Bernoulli(1 − p)`. The mask
 * comes from the seeded {@link Rng}, so a run is reproducible; pass an `Rng` to draw a new mask per call.
 * @param x The tensor.
 * @param opts `p` (default 0.5), `training` (default true), `seed` (default 0) or an `Rng`.
 * @returns x with elements dropped and the rest scaled; x itself when not training or p = 0.
 * @throws {@link ArgumentError} when p is not in [0, 1].
 * @example
 * ```ts
 * import { dropout, ones } from '@tapegrad/core';
 * console.log(dropout(ones([4]), { p: 0.5, seed: 3 }).toArray()); // each element 0 or 2
 * ```
 * @category nn
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  asTensor('dropout', 'x', x);
  const p = opts.p ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`dropout: p must be a number in [0, 1], got ${p}`);
  const seed = opts.seed ?? 0;
  if (!(seed instanceof Rng) && !Number.isInteger(seed)) throw new ArgumentError(`dropout: seed must be an integer or an Rng, got ${String(seed)}`);
  if (!(opts.training ?? true) || p === 0) return x;
  const { output, attrs } = masked(x, p, seed);
  return record(op, [x], output, attrs);
}

function masked(x: Tensor, p: number, seed: number | Rng): { readonly output: Tensor; readonly attrs: DropoutAttrs } {
  const rng = seed instanceof Rng ? seed : new Rng(seed);
  const keep = p === 1 ? 0 : 1 / (1 - p);
  const scale = alloc(x.dtype, x.size);
  const out = alloc(x.dtype, x.size);
  const xd = x.data;
  for (let i = 0; i < xd.length; i++) {
    const s = rng.uniform() < p ? 0 : keep;
    scale[i] = s;
    out[i] = xd[i]! * s;
  }
  return { output: Tensor.fromData(out, x.shape, x.dtype), attrs: { scale: Tensor.fromData(scale, x.shape, x.dtype), p, seed } };
}
