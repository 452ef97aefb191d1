/// <reference lib="dom" />
/**
 * The playground page: a CodeMirror editor, Run / Stop, and panes for the output, the graph, the
 * gradients and the chain-rule trace. Programs run in a worker inside a sandboxed iframe (see worker.ts);
 * this page never evaluates them. Code arriving in the URL (`#code=…`) is shown, not run, until Run.
 */
import { defaultKeymap, history as undoHistory, historyKeymap } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { EditorState, Prec, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, highlightActiveLine, keymap, lineNumbers, type DecorationSet } from '@codemirror/view';
import { EXAMPLES } from './examples.ts';
import { decodeCode, encodeCode } from './url-code.ts';

const STORAGE_KEY = 'tapegrad-playground-code';
/** Data sets a program may load, by a word its code then contains, and their files. */
const DATA_FILES: Record<string, string> = { breastCancer: 'breast-cancer.txt', digits: 'digits.txt', loadWords: 'words.txt' };

const $ = <T extends HTMLElement>(id: string): T => document.querySelector<T>(`[data-testid="${id}"], #${id}`)!;
const output = $('output');
const graphPane = $('graph');
const gradsPane = $('grads');
const tracePane = $('trace');
const runButton = $<HTMLButtonElement>('run');
const stopButton = $<HTMLButtonElement>('stop');
const status = $('status');
const slidersBox = $('sliders');
const notice = $('notice');
const exampleSelect = $<HTMLSelectElement>('example');
const backendLine = $('backend');

// ---- The editor ---------------------------------------------------------------------------------

const setErrorLine = StateEffect.define<number | null>();
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let next = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setErrorLine)) continue;
      if (e.value === null || e.value < 1 || e.value > tr.state.doc.lines) next = Decoration.none;
      else next = Decoration.set([Decoration.line({ class: 'cm-error-line' }).range(tr.state.doc.line(e.value).from)]);
    }
    return tr.docChanged ? Decoration.none : next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

let saveTimer = 0;
const editor = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: '',
    extensions: [
      lineNumbers(),
      undoHistory(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      javascript({ typescript: true }),
      errorLine,
      Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (void runCode(), true) }])),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.contentAttributes.of({ 'aria-label': 'Program (TypeScript). Ctrl+Enter or Cmd+Enter runs it; Tab leaves the editor.' }),
      EditorView.updateListener.of((u) => {
        if (!u.docChanged) return;
        window.clearTimeout(saveTimer);
        saveTimer = window.setTimeout(save, 250);
      }),
    ],
  }),
});

function code(): string {
  return editor.state.doc.toString();
}

function setCode(text: string): void {
  editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, effects: setErrorLine.of(null) });
  // Saved now; the save the edit scheduled is not needed.
  window.clearTimeout(saveTimer);
  save();
}

/** The fragment as this page last read or wrote it. */
let seenHash = location.hash;

/**
 * Keeps the code in the URL (so a link shares it) and in local storage. A fragment the page has not seen
 * is a link just followed whose hashchange event has not run yet: it is left for that event. (A save due
 * from the previous code once replaced it first, and the link's code never showed.)
 */
function save(): void {
  const text = code();
  if (location.hash !== seenHash) return;
  history.replaceState(null, '', `#code=${encodeCode(text)}`);
  seenHash = location.hash;
  try {
    localStorage.setItem(STORAGE_KEY, text);
  } catch {
    // Storage may be off (private mode); the URL still holds the code.
  }
}

// ---- The runner: a worker in a sandboxed iframe ------------------------------------------------------

let frame: HTMLIFrameElement | null = null;
let port: MessagePort | null = null;
let ready: Promise<MessagePort> | null = null;
let workerSource: Promise<string> | null = null;
let runId = 0;
let running = false;
let startedAt = 0;
let firstOutputMs: number | null = null;
const dataFiles = new Map<string, string>();

/** Starts (or reuses) the runner; resolves with the port to its worker once the worker is up. */
function runner(): Promise<MessagePort> {
  if (ready !== null) return ready;
  workerSource ??= fetch(new URL('playground/worker.js', document.baseURI)).then((r) => {
    if (!r.ok) throw new Error(`worker.js: HTTP ${r.status}`);
    return r.text();
  });
  ready = new Promise((resolve, reject) => {
    const f = document.createElement('iframe');
    f.setAttribute('sandbox', 'allow-scripts');
    // On a cross-origin-isolated page the runner (an opaque origin) shares the isolation only if allowed
    // to: its worker then has shared memory, and large products use GEMM threads.
    f.allow = 'cross-origin-isolated';
    f.src = 'playground/runner.html';
    f.title = 'program runner (no content)';
    f.hidden = true;
    f.tabIndex = -1;
    const onHello = (e: MessageEvent): void => {
      if (e.source !== f.contentWindow || e.data !== 'runner-ready') return;
      window.removeEventListener('message', onHello);
      workerSource!.then((source) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (m) => {
          if ((m.data as { type?: string }).type === 'ready') {
            showBackend((m.data as { backend: BackendShown }).backend);
            channel.port1.onmessage = onWorkerMessage;
            port = channel.port1;
            resolve(channel.port1);
          }
        };
        f.contentWindow!.postMessage({ source }, '*', [channel.port2]);
      }, reject);
    };
    window.addEventListener('message', onHello);
    document.body.append(f);
    frame = f;
  });
  return ready;
}

/** Ends the worker (removing its iframe ends it), e.g. to stop an endless loop. */
function killRunner(): void {
  frame?.remove();
  frame = null;
  port?.close();
  port = null;
  ready = null;
}

type WorkerMessage = { type: string; run?: number } & Record<string, unknown>;

function onWorkerMessage(e: MessageEvent<WorkerMessage>): void {
  const m = e.data;
  if (m.type === 'render') {
    renderSvg(String(m['dot'])).then(
      (svg) => port?.postMessage({ type: 'rendered', id: m['id'], svg }),
      (err: Error) => port?.postMessage({ type: 'rendered', id: m['id'], error: err.message }),
    );
    return;
  }
  if (m.run !== runId) return;
  switch (m.type) {
    case 'log':
      if (firstOutputMs === null) {
        firstOutputMs = performance.now() - startedAt;
        document.body.dataset['firstOutputMs'] = firstOutputMs.toFixed(1);
      }
      appendLine(String(m['text']), String(m['level']));
      break;
    case 'error': {
      const line = m['line'] as number | null;
      appendLine(`${String(m['name'])}: ${String(m['message'])}${line === null ? '' : ` (line ${line})`}`, 'error');
      if (line !== null) {
        editor.dispatch({ effects: setErrorLine.of(line), selection: { anchor: editor.state.doc.line(Math.min(line, editor.state.doc.lines)).from } });
      }
      break;
    }
    case 'figure': {
      const fig = document.createElement('figure');
      const img = document.createElement('img');
      img.alt = String(m['title']);
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(String(m['svg']))}`;
      fig.append(img);
      output.append(fig);
      break;
    }
    case 'slider':
      showSlider(String(m['name']), Number(m['value']), Number(m['min']), Number(m['max']), Number(m['step']));
      break;
    case 'graph':
      pendingGraph = m['dot'] === null ? null : String(m['dot']);
      graphNote = m['note'] === undefined ? '' : String(m['note']);
      break;
    case 'grads':
      showGrads(m['rows'] as { name: string; shape: string; grad: string }[]);
      break;
    case 'trace':
      tracePane.textContent = String(m['text']);
      break;
    case 'done':
      void finishRun(Number(m['ms']));
      break;
  }
}

let runsDone = 0;
let pendingGraph: string | null = null;
let graphNote = '';
let sliderValues: Record<string, number> = {};
let staleSliders = new Set<string>();
let queuedSliderRun = false;
let sliderStart = 0;
const updateTimes: number[] = [];

async function runCode(fromSlider = false): Promise<void> {
  if (running) {
    if (fromSlider) queuedSliderRun = true;
    return;
  }
  running = true;
  runId++;
  const id = runId;
  if (!fromSlider) {
    // The sliders stay until the run is done (the program declares them again as it runs), so the
    // editor below them does not jump; those it no longer declares go then.
    sliderValues = {};
    staleSliders = new Set(Array.from(slidersBox.querySelectorAll<HTMLInputElement>('input[data-name]'), (el) => el.dataset['name']!));
  }
  startedAt = performance.now();
  firstOutputMs = null;
  document.body.dataset['state'] = 'running';
  pendingGraph = null;
  graphNote = '';
  notice.hidden = true;
  runButton.disabled = true;
  stopButton.disabled = false;
  status.textContent = 'Running…';
  const text = code();
  const files: Record<string, string> = {};
  try {
    for (const [name, file] of Object.entries(DATA_FILES)) {
      if (!text.includes(name)) continue;
      if (!dataFiles.has(file)) {
        const r = await fetch(new URL(`playground/data/${file}`, document.baseURI));
        if (r.ok) dataFiles.set(file, await r.text());
      }
      const t = dataFiles.get(file);
      if (t !== undefined) files[file] = t;
    }
    const p = await runner();
    if (id !== runId) return;
    // The previous output stays until the new run is about to print, so the panes do not jump.
    output.replaceChildren();
    editor.dispatch({ effects: setErrorLine.of(null) });
    p.postMessage({ type: 'run', run: id, code: text, sliders: sliderValues, files });
  } catch (e) {
    appendLine(`The runner did not start: ${(e as Error).message}`, 'error');
    void finishRun(0);
  }
}

async function finishRun(ms: number): Promise<void> {
  const id = runId;
  for (const input of slidersBox.querySelectorAll<HTMLInputElement>('input[data-name]')) {
    if (staleSliders.has(input.dataset['name']!)) input.closest('label')?.remove();
  }
  staleSliders.clear();
  if (pendingGraph !== null) {
    try {
      const svg = await renderSvg(pendingGraph);
      if (id !== runId) return;
      graphPane.innerHTML = svg;
      const el = graphPane.querySelector('svg');
      el?.setAttribute('role', 'img');
      el?.setAttribute('aria-label', 'graph of the first backward pass');
    } catch (e) {
      graphPane.textContent = `Graph could not be drawn: ${(e as Error).message}`;
    }
  } else if (graphNote !== '') graphPane.textContent = graphNote;
  else if (!queuedSliderRun) graphPane.textContent = 'No backward pass ran: call backward() to see the graph.';
  running = false;
  runButton.disabled = false;
  stopButton.disabled = true;
  status.textContent = `Done in ${ms.toFixed(0)} ms.`;
  runsDone++;
  document.body.dataset['runs'] = String(runsDone);
  document.body.dataset['state'] = 'done';
  if (sliderStart !== 0) {
    updateTimes.push(performance.now() - sliderStart);
    document.body.dataset['updateMs'] = updateTimes.map((t) => t.toFixed(1)).join(',');
    sliderStart = 0;
  }
  if (queuedSliderRun) {
    queuedSliderRun = false;
    sliderStart = performance.now();
    void runCode(true);
  }
}

function stop(): void {
  if (!running) return;
  killRunner();
  runId++;
  running = false;
  queuedSliderRun = false;
  runButton.disabled = false;
  stopButton.disabled = true;
  appendLine('Stopped.', 'warn');
  status.textContent = 'Stopped.';
  document.body.dataset['state'] = 'stopped';
  runButton.focus();
}

function appendLine(text: string, level: string): void {
  const line = document.createElement('div');
  line.className = `line ${level}`;
  line.textContent = text;
  output.append(line);
}

function showGrads(rows: { name: string; shape: string; grad: string }[]): void {
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  for (const h of ['leaf', 'shape', 'gradient']) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const v of [r.name, r.shape, r.grad]) tr.insertCell().textContent = v;
  }
  gradsPane.replaceChildren(table);
}

function showSlider(name: string, value: number, min: number, max: number, step: number): void {
  staleSliders.delete(name);
  let input = slidersBox.querySelector<HTMLInputElement>(`input[data-name="${CSS.escape(name)}"]`);
  if (input === null) {
    const label = document.createElement('label');
    const span = document.createElement('span');
    span.textContent = name;
    input = document.createElement('input');
    input.type = 'range';
    input.dataset['name'] = name;
    input.dataset['testid'] = `slider-${name}`;
    const out = document.createElement('output');
    label.append(span, input, out);
    slidersBox.append(label);
    const el = input;
    el.addEventListener('input', () => {
      sliderValues[name] = Number(el.value);
      out.textContent = el.value;
      if (!running) sliderStart = performance.now();
      void runCode(true);
    });
  }
  input.min = String(min);
  input.max = String(max);
  input.step = String(step);
  if (sliderValues[name] === undefined) input.value = String(value);
  (input.nextElementSibling as HTMLOutputElement).textContent = input.value;
}

/** What the worker's back end uses, as it reports it once ready. */
interface BackendShown {
  readonly wasm: boolean;
  readonly fma: boolean;
  readonly threads: number;
  readonly notices: readonly string[];
  readonly isolated: boolean;
}

/** Says under the editor what the programs run on, and why products keep to one thread when they do. */
function showBackend(b: BackendShown): void {
  const kernels = b.wasm ? `WebAssembly SIMD${b.fma ? ' with fused multiply-add' : ''}` : 'JavaScript (no WebAssembly)';
  let threads = `${b.threads} thread${b.threads === 1 ? '' : 's'} for large matrix products`;
  if (b.threads === 1 && !b.isolated) {
    threads += ': this page is not cross-origin isolated (its server sends no COOP/COEP headers), so programs have no shared memory for GEMM threads; results are the same, large products slower';
  } else if (b.threads === 1) threads += b.notices.length > 0 ? `: ${b.notices.at(-1)!}` : ' (this machine shows one core)';
  backendLine.textContent = `Programs run on ${kernels}, ${threads}.`;
  backendLine.title = b.notices.join('\n');
  document.body.dataset['threads'] = String(b.threads);
}

// ---- Graphviz, loaded the first time a graph is drawn ---------------------------------------------

let graphviz: Promise<{ renderString(dot: string, o: { format: string; engine: string }): string }> | null = null;

async function renderSvg(dot: string): Promise<string> {
  graphviz ??= import('@viz-js/viz').then((m) => m.instance());
  return (await graphviz).renderString(dot, { format: 'svg', engine: 'dot' });
}

// ---- Wiring ----------------------------------------------------------------------------------------

for (const ex of EXAMPLES) exampleSelect.append(new Option(ex.title, ex.id));
exampleSelect.addEventListener('change', () => {
  const ex = EXAMPLES.find((e) => e.id === exampleSelect.value);
  if (ex === undefined) return;
  setCode(ex.code);
  slidersBox.replaceChildren();
  status.textContent = `Loaded “${ex.title}”. Press Run.`;
});
runButton.addEventListener('click', () => void runCode());
stopButton.addEventListener('click', stop);
$('share').addEventListener('click', () => {
  save();
  void navigator.clipboard?.writeText(location.href).then(
    () => (status.textContent = 'Link copied.'),
    () => (status.textContent = 'Copy the address bar to share.'),
  );
});
document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
    e.preventDefault();
    void runCode();
  } else if (e.key === 'Escape' && running) stop();
});

function initialCode(): void {
  const m = /[#&]code=([^&]*)/.exec(location.hash);
  const fromUrl = m === null ? null : decodeCode(m[1]!);
  if (fromUrl !== null) {
    setCode(fromUrl);
    notice.hidden = false;
    return;
  }
  const ex = /[#&]example=([\w-]+)/.exec(location.hash);
  const example = EXAMPLES.find((e) => e.id === ex?.[1]) ?? null;
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  const start = example ?? (stored === null ? EXAMPLES[0]! : null);
  if (start !== null) exampleSelect.value = start.id;
  setCode(start?.code ?? stored!);
}

initialCode();
// A link followed inside the page (another snippet, back/forward) loads its code, again without running it.
window.addEventListener('hashchange', () => {
  seenHash = location.hash;
  const m = /[#&]code=([^&]*)/.exec(location.hash);
  const fromUrl = m === null ? null : decodeCode(m[1]!);
  if (fromUrl === null || fromUrl === code()) return;
  if (running) stop();
  setCode(fromUrl);
  output.replaceChildren();
  slidersBox.replaceChildren();
  notice.hidden = false;
  status.textContent = 'Code loaded from the link. Press Run.';
});
// Warm the runner while the reader reads: the worker is up by the time Run is pressed.
void runner().catch(() => {});
document.body.dataset['ready'] = 'true';
