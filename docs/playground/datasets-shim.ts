/**
 * Stands in for `@tapegrad/nn`'s data set modules inside the playground's worker: the worker has no
 * network, so the page fetches the data sets a program mentions and hands them over before it runs.
 * The exports are live bindings: `loadDataset` reads them when the program asks.
 */
export let BREAST_CANCER_CSV = '';
export let DIGITS_CSV = '';
export let WORDS_TXT = '';

/** The files the page serves, by the export they fill. */
export const DATA_FILES: Readonly<Record<string, string>> = {
  'breast-cancer.txt': 'BREAST_CANCER_CSV',
  'digits.txt': 'DIGITS_CSV',
  'words.txt': 'WORDS_TXT',
};

/** Stores a data set the page fetched. */
export function provideFile(name: string, text: string): void {
  if (name === 'breast-cancer.txt') BREAST_CANCER_CSV = text;
  else if (name === 'digits.txt') DIGITS_CSV = text;
  else if (name === 'words.txt') WORDS_TXT = text;
}
