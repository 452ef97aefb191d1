/**
 * `@tapegrad/nn/node`: the parts of `@tapegrad/nn` that need Node's file system (also in Deno and
 * Bun). The main entry has no `node:` import, so it bundles for browsers.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { ArgumentError } from '@tapegrad/core';
import { datasetFromText, parseCsv, type CsvOptions, type CsvTable, type Dataset, type DatasetName } from './data.ts';
import { BREAST_CANCER_CSV } from './datasets/breast-cancer.ts';
import { DIGITS_CSV } from './datasets/digits.ts';
import { WORDS_TXT } from './datasets/words.ts';
import { wordsFromText } from './words.ts';

/**
 * Reads and parses a CSV file of numbers (see {@link parseCsv}); the file name is used in error messages
 * unless `opts.source` says otherwise.
 * @param path The file's path (or a `file:` URL).
 * @param opts `hasHeader`, `source`.
 * @returns The table.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} when the file cannot be read, or for a malformed row.
 * @example
 * ```ts
 * import { readCsvFile } from '@tapegrad/nn/node';
 * const table = readCsvFile('data.csv', { hasHeader: true });
 * console.log(table.rows, table.columns);
 * ```
 * @category nn
 */
export function readCsvFile(path: string | URL, opts: CsvOptions = {}): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ArgumentError(`readCsvFile: path must name a readable file, got '${String(path)}' (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  return parseCsv(text, { source: String(path), ...opts });
}

/**
 * The synchronous twin of {@link @tapegrad/nn!loadDataset | loadDataset}, for Node scripts and command-line
 * tools: importing `@tapegrad/nn/node` loads both data sets' text up front.
 * @param name `'breastCancer'` or `'digits'`.
 * @returns The data set, unnormalized.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for an unknown name.
 * @example
 * ```ts
 * import { loadDatasetSync } from '@tapegrad/nn/node';
 * console.log(loadDatasetSync('digits').x.shape); // [1797, 64]
 * ```
 * @category nn
 */
export function loadDatasetSync(name: DatasetName): Dataset {
  if (name === 'breastCancer') return datasetFromText(name, BREAST_CANCER_CSV);
  if (name === 'digits') return datasetFromText(name, DIGITS_CSV);
  throw new ArgumentError(`loadDatasetSync: name must be 'breastCancer' or 'digits', got '${String(name)}'`);
}

/**
 * The synchronous twin of {@link @tapegrad/nn!loadWords | loadWords}: the English word list, in byte order.
 * @returns The words.
 * @example
 * ```ts
 * import { loadWordsSync } from '@tapegrad/nn/node';
 * console.log(loadWordsSync().length); // 63875
 * ```
 * @category nn
 */
export function loadWordsSync(): string[] {
  return wordsFromText(WORDS_TXT);
}
