/**
 * DELIBERATELY WRONG: the softmax + cross-entropy gradient without its 1/m.
 *
 * It looks right on the usual casual test, one example at a time (m = 1), where dividing by m changes
 * nothing; every batch of two or more shows it.
 */
import { crossEntropy, oneHot, softmax } from '@tapegrad/core';
import { defineDerivation } from '@tapegrad/verify';

export default defineDerivation({
  name: 'softmax + cross-entropy, missing the 1/m (wrong on purpose)',
  inputs: {
    z: { shape: ['m', 'k'] },
    t: { shape: ['m'], domain: { labels: 'k' } },
  },
  f: ({ z, t }) => crossEntropy(z, t),
  grad: ({ z, t }) => {
    return { z: softmax(z, -1).sub(oneHot(t, z.shape[1]!)) };
  },
});
