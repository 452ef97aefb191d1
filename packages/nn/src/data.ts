import { ArgumentError, fromBuffer, Rng, ShapeError, tensor, Tensor } from '@tapegrad/core';
import { checkInt, checkNumber, fmt } from './util.ts';

/** A parsed CSV file of numbers. @category nn */
export interface CsvTable {
  /** The header line's fields, or null without a header. */
  readonly header: string[] | null;
  /** Number of data rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly columns: number;
  /** The numbers, row-major `[rows, columns]`. */
  readonly data: Float64Array;
}

/** Options of {@link parseCsv}. @category nn */
export interface CsvOptions {
  /** Whether the first line is a header (default false). */
  readonly hasHeader?: boolean;
  /** A name for error messages (a file name, say). */
  readonly source?: string;
}

/** A field quoted for a message, control characters escaped (a stray carriage return must not garble it). */
function quoteField(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1)}'`;
}

/**
 * Parses comma-separated numbers. Blank lines (and a trailing newline) are skipped; every data row must
 * have the same number of columns as the first.
 * @param text The file's contents.
 * @param opts `hasHeader`, `source`.
 * @returns The table.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} naming the line (1-based, as an editor shows it) for a wrong column count or a field that is not a number.
 * @example
 * ```ts
 * import { parseCsv } from '@tapegrad/nn';
 * console.log(parseCsv('1,2\n3,4\n').data); // Float64Array [1, 2, 3, 4]
 * ```
 * @category nn
 */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  if (typeof text !== 'string') throw new ArgumentError(`parseCsv: text must be a string, got ${typeof text}`);
  const where = opts.source === undefined ? '' : ` of ${opts.source}`;
  // Any line ending: \r\n (Windows), \n, or a lone \r (classic Mac OS, some spreadsheet exports).
  const lines = text.split(/\r\n|\r|\n/);
  let header: string[] | null = null;
  const values: number[] = [];
  let columns = -1;
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (opts.hasHeader && header === null) {
      header = fields.map((f) => f.trim());
      continue;
    }
    if (columns < 0) columns = fields.length;
    if (fields.length !== columns) {
      throw new ArgumentError(`parseCsv: line ${i + 1}${where} must have ${columns} columns, got ${fields.length}`);
    }
    fields.forEach((f, j) => {
      const s = f.trim();
      const v = s === '' ? NaN : Number(s);
      if (!Number.isFinite(v)) throw new ArgumentError(`parseCsv: line ${i + 1}${where}, column ${j + 1} must be a number, got ${quoteField(s)}`);
      values.push(v);
    });
    rows++;
  }
  return { header, rows, columns: Math.max(columns, 0), data: Float64Array.from(values) };
}

/** A classification data set: features as rows, labels as class indices. @category nn */
export interface Dataset {
  /** The data set's name. */
  readonly name: string;
  /** Features `[m, n]`. */
  readonly x: Tensor;
  /** Class indices `[m]` (stored as float64, integral). */
  readonly y: Tensor;
  /** Class names, by index. */
  readonly classes: readonly string[];
}

/** The data sets shipped with the package. @category nn */
export type DatasetName = 'breastCancer' | 'digits';

/**
 * Splits a table whose last column is the class index into a {@link Dataset}.
 * @param table A parsed CSV.
 * @param name The data set's name.
 * @param classes Class names (default `'0'`, `'1'`, … up to the largest label).
 * @returns The data set.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} when a label is not an integer ≥ 0 or has no class name.
 * @example
 * ```ts
 * import { datasetFromTable, parseCsv } from '@tapegrad/nn';
 * const ds = datasetFromTable(parseCsv('0.5,1\n0.2,0\n'), 'tiny');
 * console.log(ds.x.shape, ds.classes); // [2, 1] ['0', '1']
 * ```
 * @category nn
 */
export function datasetFromTable(table: CsvTable, name: string, classes?: readonly string[]): Dataset {
  const { rows: m, columns } = table;
  if (columns < 2) throw new ArgumentError(`datasetFromTable: the table must have features and a label column, got ${columns} columns`);
  const n = columns - 1;
  const x = new Float64Array(m * n);
  const y = new Float64Array(m);
  let maxLabel = 0;
  for (let i = 0; i < m; i++) {
    x.set(table.data.subarray(i * columns, i * columns + n), i * n);
    const label = table.data[i * columns + n]!;
    if (!Number.isInteger(label) || label < 0) throw new ArgumentError(`datasetFromTable: labels must be integers ≥ 0, got ${label} in row ${i + 1} of ${name}`);
    if (classes !== undefined && label >= classes.length) {
      throw new ArgumentError(`datasetFromTable: labels must be below ${classes.length} (the class count), got ${label} in row ${i + 1} of ${name}`);
    }
    y[i] = label;
    maxLabel = Math.max(maxLabel, label);
  }
  return {
    name,
    x: tensor(x, { shape: [m, n] }),
    y: tensor(y),
    classes: classes ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i)),
  };
}

const FILES: Record<DatasetName, string> = { breastCancer: 'breast_cancer.csv', digits: 'digits.csv' };

/** The data sets' text, each in a module of its own that is imported (and bundled) only on demand. */
const SOURCES: Record<DatasetName, () => Promise<string>> = {
  breastCancer: async () => (await import('./datasets/breast-cancer.ts')).BREAST_CANCER_CSV,
  digits: async () => (await import('./datasets/digits.ts')).DIGITS_CSV,
};

/**
 * Loads a data set shipped with the package (see `data/README.md` for provenance and licence):
 * `'breastCancer'` (569 × 30, classes malignant/benign) or `'digits'` (1797 × 64 pixels 0..16, classes 0–9).
 * The data live in JavaScript modules of their own, imported on the first call: no file system is
 * needed (browsers, Deno, Bun, bundles), and importing `@tapegrad/nn` does not pay for them.
 * @param name The data set.
 * @returns A promise of the data set, unnormalized.
 * @throws {@link @tapegrad/core!ArgumentError | ArgumentError} for an unknown name (the promise rejects).
 * @example
 * ```ts
 * import { loadDataset } from '@tapegrad/nn';
 * console.log((await loadDataset('digits')).x.shape); // [1797, 64]
 * ```
 * @category nn
 */
export async function loadDataset(name: DatasetName): Promise<Dataset> {
  if (!Object.hasOwn(SOURCES, name)) throw new ArgumentError(`loadDataset: name must be 'breastCancer' or 'digits', got '${String(name)}'`);
  return datasetFromText(name, await SOURCES[name]());
}

/** Parses a shipped data set's text (checked against its header where it has one). @internal */
export function datasetFromText(name: DatasetName, text: string): Dataset {
  const file = FILES[name];
  if (name === 'digits') return datasetFromTable(parseCsv(text, { source: file }), name);
  // The header is `rows,features,class0,class1`.
  const table = parseCsv(text, { hasHeader: true, source: file });
  const [rows, features, ...classes] = table.header ?? [];
  if (Number(rows) !== table.rows || Number(features) !== table.columns - 1) {
    throw new ArgumentError(`loadDataset: ${file} must have ${rows} rows of ${features} features as its header says, got ${table.rows} rows of ${table.columns - 1}`);
  }
  return datasetFromTable(table, name, classes);
}

/** Rows `idx` of a 2-D (or 1-D) tensor, as a new tensor. @internal */
export function takeRows(t: Tensor, idx: ArrayLike<number>): Tensor {
  const width = t.rank === 1 ? 1 : t.size / t.shape[0]!;
  const out = t.dtype === 'float32' ? new Float32Array(idx.length * width) : new Float64Array(idx.length * width);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    out.set(t.data.subarray(r * width, (r + 1) * width), i * width);
  }
  // The buffer is fresh and ours, so it is wrapped rather than copied again.
  return fromBuffer(out, [idx.length, ...t.shape.slice(1)]);
}

/** Options of {@link trainTestSplit}. @category nn */
export interface SplitOptions {
  /** Fraction of the examples in the test split (default 0.2). */
  readonly testSize?: number;
  /** Seed of the shuffle (default 0). */
  readonly seed?: number;
  /** Keep each class's proportion in both splits (default true; needs integer labels). */
  readonly stratify?: boolean;
}

/** The four parts of a split. @category nn */
export interface Split {
  /** Training features, `[mTrain, n]`. */
  readonly xTrain: Tensor;
  /** Training labels, `[mTrain]`. */
  readonly yTrain: Tensor;
  /** Test features, `[mTest, n]`. */
  readonly xTest: Tensor;
  /** Test labels, `[mTest]`. */
  readonly yTest: Tensor;
}

/**
 * Seeded train/test split, stratified by class by default: from each class, `round(testSize·count)`
 * randomly chosen examples go to the test split. Both splits are then shuffled.
 * @param x Features `[m, n]`.
 * @param y Labels `[m]`.
 * @param opts `testSize`, `seed`, `stratify`.
 * @returns `{ xTrain, yTrain, xTest, yTest }`.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when x and y have different lengths; {@link @tapegrad/core!ArgumentError | ArgumentError} for testSize outside (0, 1).
 * @example
 * ```ts
 * import { loadDataset, trainTestSplit } from '@tapegrad/nn';
 * const { x, y } = await loadDataset('breastCancer');
 * const { xTest } = trainTestSplit(x, y, { testSize: 0.2, seed: 1 });
 * console.log(xTest.shape); // [113, 30]: round(0.2·212) + round(0.2·357)
 * ```
 * @category nn
 */
export function trainTestSplit(x: Tensor, y: Tensor, opts: SplitOptions = {}): Split {
  const m = x.shape[0] ?? 0;
  if (y.size !== m) throw new ShapeError(`trainTestSplit: y must have one label per row of x ${fmt(x.shape)}, got shape ${fmt(y.shape)}`);
  const testSize = opts.testSize ?? 0.2;
  if (!(testSize > 0 && testSize < 1)) throw new ArgumentError(`trainTestSplit: testSize must be in (0, 1), got ${testSize}`);
  const rng = new Rng(opts.seed ?? 0);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < m; i++) {
    const key = opts.stratify === false ? 0 : y.data[i]!;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(i);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = rng.shuffle(groups.get(key)!);
    const k = Math.round(testSize * g.length);
    test.push(...g.slice(0, k));
    train.push(...g.slice(k));
  }
  rng.shuffle(train);
  rng.shuffle(test);
  return { xTrain: takeRows(x, train), yTrain: takeRows(y, train), xTest: takeRows(x, test), yTest: takeRows(y, test) };
}

/** Per-feature mean and standard deviation, fitted on training data. @category nn */
export interface Standardizer {
  /** Feature means. */
  readonly mean: Float64Array;
  /** Feature standard deviations (population; 1 for a constant feature, so it maps to 0). */
  readonly std: Float64Array;
  /** `(x − mean) / std` per feature, as a new tensor. */
  transform(x: Tensor): Tensor;
}

/**
 * Fits a {@link Standardizer} on `[m, n]` training features.
 * @param x Training features.
 * @returns The fitted standardizer.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for a tensor that is not 2-D with at least one row.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { fitStandardizer } from '@tapegrad/nn';
 * console.log(fitStandardizer(tensor([[1], [3]])).mean); // Float64Array [2]
 * ```
 * @category nn
 */
export function fitStandardizer(x: Tensor): Standardizer {
  if (x.rank !== 2 || x.shape[0] === 0) throw new ShapeError(`fitStandardizer: x must be [m, n] with m ≥ 1, got ${fmt(x.shape)}`);
  const [m, n] = [x.shape[0]!, x.shape[1]!];
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) mean[j] = mean[j]! + x.data[i * n + j]!;
  for (let j = 0; j < n; j++) mean[j] = mean[j]! / m;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) std[j] = std[j]! + (x.data[i * n + j]! - mean[j]!) ** 2;
  for (let j = 0; j < n; j++) std[j] = Math.sqrt(std[j]! / m) || 1;
  return {
    mean,
    std,
    transform(t: Tensor): Tensor {
      if (t.rank !== 2 || t.shape[1] !== n) throw new ShapeError(`Standardizer.transform: x must be [m, ${n}], got ${fmt(t.shape)}`);
      const out = new Float64Array(t.size);
      for (let i = 0; i < t.size; i++) out[i] = (t.data[i]! - mean[i % n]!) / std[i % n]!;
      return tensor(out, { shape: t.shape, dtype: t.dtype });
    },
  };
}

/**
 * Standardizes features with statistics of the training split only, so nothing leaks from the test split.
 * @param xTrain Training features `[m, n]` (fitted and transformed).
 * @param xTest Test features (transformed with the training statistics).
 * @returns The transformed splits and the standardizer.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} for mismatched feature counts.
 * @example
 * ```ts
 * import { tensor } from '@tapegrad/core';
 * import { standardize } from '@tapegrad/nn';
 * const { xTest } = standardize(tensor([[1], [3]]), tensor([[5]]));
 * console.log(xTest.toArray()); // [[3]]
 * ```
 * @category nn
 */
export function standardize(xTrain: Tensor, xTest: Tensor): {
  /** The training features, standardized. */
  xTrain: Tensor;
  /** The test features, standardized with the training statistics. */
  xTest: Tensor;
  /** The standardizer fitted on the training features. */
  standardizer: Standardizer;
} {
  const standardizer = fitStandardizer(xTrain);
  return { xTrain: standardizer.transform(xTrain), xTest: standardizer.transform(xTest), standardizer };
}

/** One minibatch. @category nn */
export interface Batch {
  /** Features `[b, n]`. */
  readonly x: Tensor;
  /** Labels or targets, rows matching x. */
  readonly y: Tensor;
}

/** Options of {@link DataLoader}. @category nn */
export interface DataLoaderOptions {
  /** Examples per batch (default 32). */
  readonly batchSize?: number;
  /** Shuffle at the start of every pass (default true). */
  readonly shuffle?: boolean;
  /** Seed of the shuffles (default 0): the same seed gives the same batches, epoch after epoch. */
  readonly seed?: number;
  /** Drop a last, smaller batch (default false). */
  readonly dropLast?: boolean;
}

/**
 * Minibatches of `(x, y)`, reshuffled (seeded) on every pass: `for (const { x, y } of loader)`.
 * @example
 * ```ts
 * import { randn, zeros } from '@tapegrad/core';
 * import { DataLoader } from '@tapegrad/nn';
 * const loader = new DataLoader(randn([10, 3]), zeros([10]), { batchSize: 4, seed: 1 });
 * console.log(loader.length, [...loader].map((b) => b.x.shape[0])); // 3 [4, 4, 2]
 * ```
 * @category nn
 */
export class DataLoader implements Iterable<Batch> {
  /** Features. */
  readonly x: Tensor;
  /** Labels or targets. */
  readonly y: Tensor;
  /** Examples per batch. */
  readonly batchSize: number;
  /** Whether passes are shuffled. */
  readonly shuffle: boolean;
  /** Whether a last, smaller batch is dropped. */
  readonly dropLast: boolean;
  readonly #rng: Rng;

  /**
   * @param x Features `[m, …]`.
   * @param y Labels or targets with m rows.
   * @param opts `batchSize`, `shuffle`, `seed`, `dropLast`.
   * @throws {@link @tapegrad/core!ShapeError | ShapeError} when x and y have different numbers of rows; {@link @tapegrad/core!ArgumentError | ArgumentError} for a bad batch size.
   */
  constructor(x: Tensor, y: Tensor, opts: DataLoaderOptions = {}) {
    if (x.rank < 1 || y.rank < 1 || x.shape[0] !== y.shape[0]) {
      throw new ShapeError(`DataLoader: x and y must have the same number of rows, got x ${fmt(x.shape)} and y ${fmt(y.shape)}`);
    }
    this.x = x;
    this.y = y;
    this.batchSize = checkInt('DataLoader', 'batchSize', opts.batchSize ?? 32);
    this.shuffle = opts.shuffle ?? true;
    this.dropLast = opts.dropLast ?? false;
    this.#rng = new Rng(checkNumber('DataLoader', 'seed', opts.seed ?? 0, -Infinity));
  }

  /** Number of examples. */
  get size(): number {
    return this.x.shape[0]!;
  }

  /** Batches per pass. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** One pass over the data, reshuffled when `shuffle` is set. */
  *[Symbol.iterator](): Iterator<Batch> {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (this.shuffle) this.#rng.shuffle(order);
    for (let b = 0; b < this.length; b++) {
      const idx = order.slice(b * this.batchSize, (b + 1) * this.batchSize);
      yield { x: takeRows(this.x, idx), y: takeRows(this.y, idx) };
    }
  }
}

function labelArray(op: string, name: string, v: Tensor | ArrayLike<number>): ArrayLike<number> {
  if (v instanceof Tensor) return v.data;
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new ArgumentError(`${op}: ${name} must be a Tensor or an array of class indices, got ${typeof v}`);
  }
  return v;
}

/**
 * Fraction of predictions equal to the labels.
 * @param predicted Predicted class indices.
 * @param labels True class indices, as many.
 * @returns A number in [0, 1] (NaN for no examples).
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the lengths differ.
 * @example
 * ```ts
 * import { accuracy } from '@tapegrad/nn';
 * console.log(accuracy([1, 0, 1], [1, 1, 1])); // 0.6666666666666666
 * ```
 * @category nn
 */
export function accuracy(predicted: Tensor | ArrayLike<number>, labels: Tensor | ArrayLike<number>): number {
  const p = labelArray('accuracy', 'predicted', predicted);
  const t = labelArray('accuracy', 'labels', labels);
  if (p.length !== t.length) throw new ShapeError(`accuracy: predicted and labels must have the same length, got ${p.length} and ${t.length}`);
  let hits = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hits++;
  return hits / p.length;
}

/**
 * Counts of (true class, predicted class) pairs: `matrix[t][p]`.
 * @param predicted Predicted class indices.
 * @param labels True class indices.
 * @param numClasses Matrix size (default: largest index seen + 1).
 * @returns A `numClasses × numClasses` array of counts; rows are true classes.
 * @throws {@link @tapegrad/core!ShapeError | ShapeError} when the lengths differ; {@link @tapegrad/core!ArgumentError | ArgumentError} for an index outside [0, numClasses).
 * @example
 * ```ts
 * import { confusionMatrix } from '@tapegrad/nn';
 * console.log(confusionMatrix([1, 0, 1], [1, 1, 0])); // [[0, 1], [1, 1]]
 * ```
 * @category nn
 */
export function confusionMatrix(predicted: Tensor | ArrayLike<number>, labels: Tensor | ArrayLike<number>, numClasses?: number): number[][] {
  const p = labelArray('confusionMatrix', 'predicted', predicted);
  const t = labelArray('confusionMatrix', 'labels', labels);
  if (p.length !== t.length) throw new ShapeError(`confusionMatrix: predicted and labels must have the same length, got ${p.length} and ${t.length}`);
  let k = numClasses ?? 0;
  if (numClasses === undefined) for (let i = 0; i < p.length; i++) k = Math.max(k, p[i]! + 1, t[i]! + 1);
  const out = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < p.length; i++) {
    const [a, b] = [t[i]!, p[i]!];
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < k && b < k)) {
      throw new ArgumentError(`confusionMatrix: class indices must be integers in [0, ${k}), got label ${a} and prediction ${b} at index ${i}`);
    }
    out[a]![b]!++;
  }
  return out;
}
