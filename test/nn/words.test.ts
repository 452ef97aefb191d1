import { tensor, zeros, type Tensor } from '@tapegrad/core';
import { loadWords, sampleWords, WORD_ALPHABET, wordWindows } from '@tapegrad/nn';
import { loadWordsSync } from '@tapegrad/nn/node';
import { describe, expect, test } from 'vitest';

describe('the word list', () => {
  test('63,875 distinct lowercase a–z words in byte order', async () => {
    const words = await loadWords();
    expect(loadWordsSync()).toEqual(words);
    expect(words).toHaveLength(63875);
    expect(words.every((w) => /^[a-z]+$/.test(w))).toBe(true);
    expect(words.every((w, i) => i === 0 || words[i - 1]! < w)).toBe(true);
    expect(words).toContain('aardvark');
    expect(words).not.toContain('Aachen');
  });
});

describe('wordWindows', () => {
  test('each position of word + "." predicted from the padded context before it', () => {
    const { x, y } = wordWindows(['abc', 'z'], 2);
    expect(x.toArray()).toEqual([[0, 0], [0, 1], [1, 2], [2, 3], [0, 0], [0, 26]]);
    expect(y.toArray()).toEqual([1, 2, 3, 0, 26, 0]);
    expect(WORD_ALPHABET).toHaveLength(27);
    expect(() => wordWindows(['aB'], 2)).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: wordWindows: words must hold only the letters a–z, got 'aB']`);
  });
});

describe('sampleWords', () => {
  test('follows the model: a model that always spells "ab." gives "ab"', () => {
    // next char = (last char + 1) until 'b', then '.'
    const model = (x: Tensor): Tensor => {
      const b = x.shape[0]!;
      const out = new Float64Array(b * 27).fill(-50);
      for (let i = 0; i < b; i++) {
        const last = x.data[i * 3 + 2]!;
        out[i * 27 + (last >= 2 ? 0 : last + 1)] = 50;
      }
      return tensor(out, { shape: [b, 27] });
    };
    expect(sampleWords(model, 3, { count: 4, seed: 1 })).toEqual(['ab', 'ab', 'ab', 'ab']);
  });

  test('seeded, cut at maxLength, and checks the logits shape', () => {
    const uniform = (x: Tensor): Tensor => zeros([x.shape[0]!, 27]);
    const a = sampleWords(uniform, 2, { count: 5, seed: 7, maxLength: 6 });
    expect(sampleWords(uniform, 2, { count: 5, seed: 7, maxLength: 6 })).toEqual(a);
    expect(a.every((w) => w.length <= 6 && /^[a-z]*$/.test(w))).toBe(true);
    expect(() => sampleWords(() => zeros([1, 5]), 2, { count: 1 })).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: sampleWords: nextLogits must return [1, 27], got [1, 5]]`);
  });
});
