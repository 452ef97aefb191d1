import { writeFileSync } from 'node:fs';
import { crossEntropy, noGrad, Rng } from '@tapegrad/core';
import {
  Adam, CosineAnnealingLR, Embedding, Flatten, Linear, sampleWords, Sequential, Tanh, WORD_ALPHABET, wordWindows, type EpochInfo,
} from '@tapegrad/nn';
import { loadWordsSync } from '@tapegrad/nn/node';
import { lossCurve } from '@tapegrad/viz';
import type { DemoOptions } from './demo.ts';
import type { Io } from './io.ts';
import { ProgressBar } from './progress.ts';
import { WordsTransformer } from './words-transformer.ts';
import { autogradVsNumeric, eagerVsCompiledEpoch, evaluateClassifier, median, outFiles, printNumericAgreement, rows, trainClassifier, writeJson, type NumericAgreement } from './train-loop.ts';

/** Minibatches per epoch of the words demo (an epoch is a fixed number of steps, not a pass over 600k windows). */
export const WORDS_STEPS_PER_EPOCH = 100;

/** Transformer blocks of `--model transformer` (one keeps the demo's run short on a loaded machine). */
const TRANSFORMER_BLOCKS = 1;

/** Examples of each split in the final evaluation (evenly spaced). */
const FINAL_EXAMPLES = 10_000;

/** The words demo's defaults for each model. */
export const WORDS_DEFAULTS: Record<'mlp' | 'transformer', Partial<DemoOptions>> = {
  mlp: { epochs: 20, lr: 0.01, batchSize: 64, contextSize: 3, hidden: [128] },
  transformer: { epochs: 12, lr: 0.005, batchSize: 32, contextSize: 8, hidden: [32] },
};

/**
 * Bengio et al. (2003): each of the `contextSize` previous characters is embedded (`dim` numbers), the
 * embeddings are concatenated and fed to a tanh hidden layer, then to the logits of the next character.
 * @param contextSize Characters of context.
 * @param hidden Hidden width.
 * @param seed Seed of the initial weights.
 * @returns `[b, contextSize] → [b, 27]`.
 */
export function wordsMlp(contextSize: number, hidden: number, seed: number): Sequential {
  const dim = 10;
  return new Sequential(
    new Embedding(WORD_ALPHABET.length, dim, { seed }),
    new Flatten(),
    new Linear(contextSize * dim, hidden, { seed: seed + 1 }),
    Tanh(),
    new Linear(hidden, WORD_ALPHABET.length, { seed: seed + 2 }),
  );
}

/** What the words demo measured; printed with `--json` and written to `words-<model>-report.json`. */
export interface WordsDemoReport {
  /** Always `'words'`. */
  readonly dataset: 'words';
  /** `'mlp'` or `'transformer'`. */
  readonly model: 'mlp' | 'transformer';
  /** The layers, as text. */
  readonly network: string;
  /** Trainable scalars. */
  readonly parameters: number;
  /** Words and next-character examples in each split. */
  readonly split: { readonly trainWords: number; readonly valWords: number; readonly trainExamples: number; readonly valExamples: number };
  /** The training options used. */
  readonly options: {
    readonly epochs: number; readonly stepsPerEpoch: number; readonly seed: number; readonly lr: number; readonly batchSize: number;
    readonly contextSize: number; readonly optimizer: 'adam'; readonly schedule: 'cosine';
  };
  /** Mean cross-entropy (nats per character) and accuracy after training, on 10,000 evenly spaced examples of each split. */
  readonly final: { readonly trainLoss: number; readonly valLoss: number; readonly trainAccuracy: number; readonly valAccuracy: number };
  /** The loss of guessing uniformly, ln 27. */
  readonly uniformLoss: number;
  /** Autograd vs central differences per parameter on the untrained model. */
  readonly agreement: { readonly worst: number; readonly isWithinTolerance: boolean; readonly parameters: readonly NumericAgreement[] };
  /** Words sampled from the trained model (temperature 1). */
  readonly samples: readonly string[];
  /** How many of the samples are in the training or validation list. */
  readonly samplesInList: number;
  /** Whether `compile` replays the model's step (so it trained compiled): `'compiles'`, or why not (the op it refuses). */
  readonly compile: string;
  /** Median training ms per epoch as it trained; then one epoch of the same batches eagerly and compiled, side by side (absent when compile refused). */
  readonly msPerEpoch: { readonly trained: number; readonly eager?: number; readonly compiled?: number };
  /** Per-epoch history (test = the validation subset). */
  readonly history: readonly EpochInfo[];
  /** Paths of the written files. */
  readonly files: { readonly lossSvg: string; readonly report: string };
}

/**
 * `tapegrad demo --dataset words [--model mlp|transformer]`: a character-level language model trained on the
 * shipped English word list (90 % of the words for training, 10 % held out), with a cosine learning-rate schedule;
 * reports training and validation loss, checks the gradients against finite differences, and samples new words.
 * @param opts The options.
 * @param io Where to write.
 * @returns The report.
 */
export function runWordsDemo(opts: DemoOptions, io: Io): WordsDemoReport {
  const say = opts.isJson ? (): void => {} : (s: string): void => io.out(s);
  const quiet: Io = { ...io, out: say };
  const kind = opts.model === 'transformer' ? 'transformer' : 'mlp';
  const ctx = opts.contextSize;
  const rng = new Rng(opts.seed);
  const words = loadWordsSync();
  rng.shuffle(words);
  const nVal = Math.round(words.length / 10);
  const valWords = words.slice(0, nVal);
  const trainWords = words.slice(nVal);
  const train = wordWindows(trainWords, ctx);
  const val = wordWindows(valWords, ctx);
  const nTrain = train.x.shape[0]!;
  const width = opts.hidden[0] ?? 32;
  const model = kind === 'mlp' ? wordsMlp(ctx, width, opts.seed) : new WordsTransformer(ctx, width, TRANSFORMER_BLOCKS, opts.seed);
  const network = kind === 'mlp'
    ? `embedding 27×10 → concat ${ctx}×10 → linear ${ctx * 10}→${width}, tanh → linear ${width}→27 (Bengio et al. 2003)`
    : `token + position embeddings (width ${width}) → ${TRANSFORMER_BLOCKS} causal pre-norm transformer block${TRANSFORMER_BLOCKS > 1 ? 's' : ''} (4 heads, GELU feed-forward ${4 * width}) → LayerNorm → linear ${width}→27 at the last position`;
  const parameters = model.parameters().reduce((s, p) => s + p.size, 0);
  say(`tapegrad demo: words, a character-level language model (${words.length} English words from SCOWL; ${kind})\n`);
  say(`  split ${trainWords.length} training words (${nTrain} next-character examples) / ${valWords.length} validation words (${val.x.shape[0]} examples), seed ${opts.seed}\n`);
  say(`  network ${network}, ${parameters} parameters; context ${ctx} characters\n\n`);

  const probe = rows(train.x, Array.from({ length: 8 }, (_, i) => i * 997));
  const probeY = rows(train.y, Array.from({ length: 8 }, (_, i) => i * 997));
  const agreementRows = autogradVsNumeric(model, () => crossEntropy(model.forward(probe), probeY), kind === 'mlp' ? 12 : 6);
  printNumericAgreement(quiet, agreementRows, '8 training examples');
  const worst = Math.max(...agreementRows.map((r) => r.relative));

  // Fixed evenly spaced subsets: 4000 validation examples for the per-epoch curve, 10,000 of each split at the end.
  const pick = (n: number, count: number): number[] => Array.from({ length: Math.min(n, count) }, (_, i) => Math.floor((i * n) / Math.min(n, count)));
  const valSub = pick(val.x.shape[0]!, 4000);
  const xValSub = rows(val.x, valSub);
  const yValSub = rows(val.y, valSub);
  const steps = opts.epochs * WORDS_STEPS_PER_EPOCH;
  const optimizer = new Adam(model.parameters(), { lr: opts.lr });
  const schedule = new CosineAnnealingLR(optimizer, { tMax: steps, etaMin: opts.lr / 10 });
  say(`Training ${opts.epochs} epochs of ${WORDS_STEPS_PER_EPOCH} random minibatches of ${opts.batchSize} (Adam, lr ${opts.lr} with cosine decay to ${opts.lr / 10}, autograd, compiled):\n`);
  say('  (loss: training batches; test: 4000 validation examples; acc: next character guessed right)\n');
  const bar = new ProgressBar(quiet, kind);
  const { history, compile: compiled } = trainClassifier({
    compile: true,
    model,
    optimizer,
    epochs: opts.epochs,
    batches: function* () {
      for (let s = 0; s < WORDS_STEPS_PER_EPOCH; s++) {
        const idx = Array.from({ length: opts.batchSize }, () => rng.int(nTrain));
        yield { x: rows(train.x, idx), y: rows(train.y, idx) };
      }
    },
    afterStep: () => void schedule.step(),
    evaluate: () => evaluateClassifier(model, xValSub, yValSub),
    onEpoch: (e) => bar.update(e),
  });
  const evalTrain = pick(nTrain, FINAL_EXAMPLES);
  const evalVal = pick(val.x.shape[0]!, FINAL_EXAMPLES);
  const finalTrain = evaluateClassifier(model, rows(train.x, evalTrain), rows(train.y, evalTrain));
  const finalVal = evaluateClassifier(model, rows(val.x, evalVal), rows(val.y, evalVal));
  const uniformLoss = Math.log(WORD_ALPHABET.length);
  say(`\n  after training, mean cross-entropy per character (${FINAL_EXAMPLES} evenly spaced examples of each split): train ${finalTrain.loss.toFixed(4)}, validation ${finalVal.loss.toFixed(4)} ` +
    `(uniform guessing: ln 27 = ${uniformLoss.toFixed(4)}); next-character accuracy ${(100 * finalVal.accuracy).toFixed(1)} % on validation\n`);
  const samples = noGrad(() => sampleWords((x) => model.forward(x), ctx, { count: 12, seed: opts.seed }));
  const known = new Set(words);
  const samplesInList = samples.filter((w) => known.has(w)).length;
  say(`  sampled words: ${samples.join(', ')}\n`);
  say(`  (${samplesInList} of ${samples.length} are in the word list; the rest are new)\n`);
  const msTrained = median(history.map((e) => e.ms));
  let sideBySide: { eager: number; compiled: number } | undefined;
  if (compiled === 'compiles') {
    // One more epoch of minibatches each way, from the trained weights (put back after each).
    const epoch = Array.from({ length: WORDS_STEPS_PER_EPOCH }, () => {
      const idx = Array.from({ length: opts.batchSize }, () => rng.int(nTrain));
      return { x: rows(train.x, idx), y: rows(train.y, idx) };
    });
    sideBySide = eagerVsCompiledEpoch(model, optimizer, epoch);
    say(`  median time per epoch ${msTrained.toFixed(1)} ms (compiled); one epoch of the same batches: eager ${sideBySide.eager.toFixed(1)} ms, compiled ${sideBySide.compiled.toFixed(1)} ms (${(sideBySide.eager / sideBySide.compiled).toFixed(2)}× faster compiled)\n`);
  } else say(`  median time per epoch ${msTrained.toFixed(1)} ms; compile (fit({ compile: true })): the ${kind} step is ${compiled}, so it trained eagerly\n`);

  const files = outFiles(opts.outDir, `words-${kind}`);
  writeFileSync(files.lossSvg, lossCurve(
    { train: history.map((e) => e.loss), test: history.map((e) => e.testLoss) },
    { title: `words: character-level ${kind}, cross-entropy per character`, xLabel: `epoch (${WORDS_STEPS_PER_EPOCH} steps)`, yLabel: 'cross-entropy (nats)' },
  ));
  const report: WordsDemoReport = {
    dataset: 'words',
    model: kind,
    network,
    parameters,
    split: { trainWords: trainWords.length, valWords: valWords.length, trainExamples: nTrain, valExamples: val.x.shape[0]! },
    options: {
      epochs: opts.epochs, stepsPerEpoch: WORDS_STEPS_PER_EPOCH, seed: opts.seed, lr: opts.lr, batchSize: opts.batchSize,
      contextSize: ctx, optimizer: 'adam', schedule: 'cosine',
    },
    final: { trainLoss: finalTrain.loss, valLoss: finalVal.loss, trainAccuracy: finalTrain.accuracy, valAccuracy: finalVal.accuracy },
    uniformLoss,
    agreement: { worst, isWithinTolerance: worst <= 1e-5, parameters: agreementRows },
    samples,
    samplesInList,
    compile: compiled,
    msPerEpoch: { trained: msTrained, ...sideBySide },
    history,
    files,
  };
  writeJson(files.report, report);
  say(`\nWrote ${files.lossSvg} and ${files.report}\n`);
  return report;
}
