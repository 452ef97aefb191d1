import { ArgumentError, fromBuffer, Rng, Tensor } from '@tapegrad/core';
import { checkInt, checkNumber } from './util.ts';

/**
 * The alphabet of the character-level models: `'.'` (index 0, the word boundary: context padding before a word and the
 * token that ends it) followed by `a`–`z` (indices 1–26).
 * @category nn
 */
export const WORD_ALPHABET = '.abcdefghijklmnopqrstuvwxyz';

/**
 * Loads the English word list shipped with the package (63,875 lowercase words from SCOWL via Debian's `wamerican`;
 * see `data/README.md` for provenance and licence), in byte order. The list lives in a JavaScript module of its
 * own, imported on the first call (no file system needed; `loadWordsSync` in `@tapegrad/nn/node` is the synchronous twin).
 * @returns A promise of the words.
 * @example
 * ```ts
 * import { loadWords } from '@tapegrad/nn';
 * const words = await loadWords();
 * console.log(words.length, words[1]); // 63875 'aardvark'
 * ```
 * @category nn
 */
export async function loadWords(): Promise<string[]> {
  return wordsFromText((await import('./datasets/words.ts')).WORDS_TXT);
}

/** The words of the list's text. @internal */
export function wordsFromText(text: string): string[] {
  return text.split('\n').filter((w) => w !== '');
}

/** Index of a character in {@link WORD_ALPHABET}, or an error naming the word. */
function charIndex(word: string, c: string): number {
  const i = WORD_ALPHABET.indexOf(c);
  if (i <= 0) throw new ArgumentError(`wordWindows: words must hold only the letters a–z, got '${word}'`);
  return i;
}

/** Next-character training examples: contexts as indices into {@link WORD_ALPHABET}, and the character that follows. @category nn */
export interface WordWindows {
  /** Contexts `[n, contextSize]` of alphabet indices (stored as float64, integral); `0` pads before a word's start. */
  readonly x: Tensor;
  /** The next character's index `[n]`; `0` marks the end of a word. */
  readonly y: Tensor;
}

/**
 * Turns words into next-character examples, as Bengio et al. (2003) frame a language model: for every position of
 * `word + '.'`, the `contextSize` characters before it (padded with `'.'`) predict it. A word of length L gives L + 1
 * examples.
 * @param words Lowercase words.
 * @param contextSize Characters of context (≥ 1).
 * @returns `{ x: [n, contextSize], y: [n] }`.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for a character outside a–z or a bad context size.
 * @example
 * ```ts
 * import { wordWindows } from '@tapegrad/nn';
 * const { x, y } = wordWindows(['ab'], 2);
 * console.log(x.toArray(), y.toArray()); // [[0, 0], [0, 1], [1, 2]] [1, 2, 0]
 * ```
 * @category nn
 */
export function wordWindows(words: readonly string[], contextSize: number): WordWindows {
  checkInt('wordWindows', 'contextSize', contextSize);
  let n = 0;
  for (const w of words) n += w.length + 1;
  const x = new Float64Array(n * contextSize);
  const y = new Float64Array(n);
  let row = 0;
  const context = new Array<number>(contextSize);
  for (const w of words) {
    context.fill(0);
    for (let i = 0; i <= w.length; i++) {
      const next = i < w.length ? charIndex(w, w[i]!) : 0;
      x.set(context, row * contextSize);
      y[row++] = next;
      context.shift();
      context.push(next);
    }
  }
  return { x: fromBuffer(x, [n, contextSize]), y: fromBuffer(y, [n]) };
}

/** Options of {@link sampleWords}. @category nn */
export interface SampleWordsOptions {
  /** How many words (default 10). */
  readonly count?: number;
  /** Seed of the sampling (default 0). */
  readonly seed?: number;
  /** Softmax temperature (default 1; lower is more conservative). */
  readonly temperature?: number;
  /** Longest word produced (default 30); a word that reaches it is cut. */
  readonly maxLength?: number;
}

/**
 * Samples words from a next-character model, one character at a time: starting from an all-`'.'` context, draws the next
 * character from `softmax(logits / temperature)` until `'.'` is drawn.
 * @param nextLogits Maps contexts `[b, contextSize]` (alphabet indices) to next-character logits `[b, 27]`.
 * @param contextSize The model's context size.
 * @param opts `count`, `seed`, `temperature`, `maxLength`.
 * @returns The words (possibly empty strings).
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for bad options or logits of the wrong shape.
 * @example
 * ```ts
 * import { zeros } from '@tapegrad/core';
 * import { sampleWords } from '@tapegrad/nn';
 * // a model that knows nothing: every character equally likely
 * console.log(sampleWords((x) => zeros([x.shape[0]!, 27]), 3, { count: 2 }).length); // 2
 * ```
 * @category nn
 */
export function sampleWords(nextLogits: (x: Tensor) => Tensor, contextSize: number, opts: SampleWordsOptions = {}): string[] {
  checkInt('sampleWords', 'contextSize', contextSize);
  const count = checkInt('sampleWords', 'count', opts.count ?? 10);
  const temperature = checkNumber('sampleWords', 'temperature', opts.temperature ?? 1, 0, true);
  const maxLength = checkInt('sampleWords', 'maxLength', opts.maxLength ?? 30);
  const rng = new Rng(opts.seed ?? 0);
  const v = WORD_ALPHABET.length;
  const contexts = Array.from({ length: count }, () => new Array<number>(contextSize).fill(0));
  const words = Array.from({ length: count }, () => '');
  const isDone = new Array<boolean>(count).fill(false);
  for (let step = 0; step < maxLength && isDone.includes(false); step++) {
    const x = fromBuffer(Float64Array.from(contexts.flat()), [count, contextSize]);
    const logits = nextLogits(x);
    if (logits.rank !== 2 || logits.shape[0] !== count || logits.shape[1] !== v) {
      throw new ArgumentError(`sampleWords: nextLogits must return [${count}, ${v}], got [${logits.shape.join(', ')}]`);
    }
    for (let i = 0; i < count; i++) {
      if (isDone[i]) continue;
      const row = logits.data.subarray(i * v, (i + 1) * v);
      let max = -Infinity;
      for (const z of row) max = Math.max(max, z);
      const p = Array.from(row, (z) => Math.exp((z - max) / temperature));
      let u = rng.uniform() * p.reduce((s, q) => s + q, 0);
      let c = 0;
      while (c < v - 1 && u >= p[c]!) u -= p[c++]!;
      if (c === 0) isDone[i] = true;
      else words[i] += WORD_ALPHABET[c]!;
      contexts[i]!.shift();
      contexts[i]!.push(c);
    }
  }
  return words;
}
