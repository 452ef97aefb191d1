/// <reference lib="dom" />
/**
 * The playground at 200 % zoom and on a phone-width screen, in headless Chromium: the page does not
 * scroll sideways; the editor, Run and the output pane are on screen; Tab reaches the controls, the
 * editor and the output in reading order, each with a visible focus outline; the keyboard edits and runs
 * the program; and nothing moves when the output arrives (no layout-shift entries, the same boxes).
 * Saves a screenshot of each into the site's playground/screenshots/. Called by scripts/playground-check.ts.
 */
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

/** The screens: 1280×800 at 200 % zoom lays out as 640×400 CSS px at two device pixels each; a phone. */
export const SCREENS: readonly { name: string; file: string; options: BrowserContextOptions }[] = [
  { name: '200 % zoom', file: 'seed-neuron-zoom200.png', options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
  { name: 'phone width', file: 'seed-neuron-phone.png', options: { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];

/** The boxes that must not move when output arrives. */
const STILL = ['editor', 'run', 'output', 'graph', 'grads', 'trace'] as const;

/** One stop of the Tab order: what has focus, whether it is on screen and whether its focus shows. */
interface FocusStop {
  readonly id: string;
  readonly onScreen: boolean;
  readonly outline: string;
}

export interface LayoutFigures {
  readonly screen: string;
  readonly overflowPx: number;
  readonly shift: number;
  readonly moved: number;
  readonly tabStops: number;
}

/** Runs the checks on every screen; pushes what fails, returns the figures and the screenshots' paths. */
export async function checkLayouts(browser: Browser, base: string, shots: string, fail: (what: string) => void): Promise<{ figures: LayoutFigures[]; screenshots: string[] }> {
  const figures: LayoutFigures[] = [];
  const screenshots: string[] = [];
  for (const screen of SCREENS) {
    const context = await browser.newContext(screen.options);
    try {
      const page = await context.newPage();
      // Every layout shift from the start, with its time, recorded by the page itself.
      await page.addInitScript(() => {
        const w = window as unknown as { shifts: { t: number; value: number }[] };
        w.shifts = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.shifts.push({ t: e.startTime, value: (e as PerformanceEntry & { value: number }).value });
        }).observe({ type: 'layout-shift', buffered: true });
      });
      await page.goto(`${base}playground.html#example=seed-neuron`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset['ready'] === 'true' && document.body.dataset['threads'] !== undefined);
      const f = await checkScreen(page, screen.name, (what) => fail(`${screen.name}: ${what}`));
      figures.push(f);
      const file = join(shots, screen.file);
      await page.screenshot({ path: file, fullPage: true });
      screenshots.push(file);
    } finally {
      await context.close();
    }
  }
  return { figures, screenshots };
}

async function checkScreen(page: Page, screen: string, fail: (what: string) => void): Promise<LayoutFigures> {
  const width = page.viewportSize()!.width;
  const overflow = (): Promise<number> => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

  // Tab from the top of the page: every stop on screen (scrolled to) with a visible focus outline, and the
  // toolbar, Run, the editor and the output reached in that order.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const stops: FocusStop[] = [];
  for (let i = 0; i < 16; i++) {
    await page.keyboard.press('Tab');
    // The editor marks itself focused on the next frame; measure after two.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    stops.push(await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      // The editor draws its outline on its frame, the element around the focused content.
      const shown = el.closest<HTMLElement>('.cm-editor') ?? el;
      const css = getComputedStyle(shown);
      // The editor's content is as wide as its longest line (its frame scrolls it); the frame must be on screen.
      const r = shown.getBoundingClientRect();
      return {
        id: el.dataset['testid'] ?? (el.classList.contains('cm-content') ? 'editor' : el.id || el.tagName.toLowerCase()),
        onScreen: r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth + 0.5 && r.bottom > 0 && r.top < window.innerHeight,
        outline: css.outlineStyle === 'none' || parseFloat(css.outlineWidth) < 2 ? 'none' : `${css.outlineWidth} ${css.outlineStyle} ${css.outlineColor}`,
      };
    }));
    if (stops.at(-1)!.id === 'output') break;
  }
  const order = stops.map((s) => s.id);
  const at = (id: string): number => order.indexOf(id);
  if (!(at('example') >= 0 && at('example') < at('run') && at('run') < at('editor') && at('editor') < at('output'))) {
    fail(`Tab order does not reach the menu, Run, the editor and the output in turn: ${order.join(' → ')}`);
  }
  for (const s of stops) {
    if (!s.onScreen) fail(`${s.id} has focus but is not on screen`);
    if (s.outline === 'none') fail(`${s.id} has focus with no visible outline`);
  }

  // The editor, Run and the output fit the width (nothing cut off at the side) and have a size.
  for (const id of ['editor', 'run', 'output'] as const) {
    const box = await page.getByTestId(id).boundingBox();
    if (box === null || box.width < 1 || box.height < 1 || box.x < 0 || box.x + box.width > width + 0.5) fail(`${id} is not fully on screen: ${JSON.stringify(box)}`);
  }
  if (!(await page.getByTestId('run').isVisible()) || !(await page.getByTestId('output').isVisible())) fail('Run or the output pane is hidden');

  // The keyboard edits the program and runs it: in the editor, a new first line; then Tab to Run, Enter.
  await page.locator('.cm-content').focus();
  await page.keyboard.press('ControlOrMeta+Home');
  await page.keyboard.type('// keyboard\n');
  if (!(await page.locator('.cm-line').first().textContent())?.startsWith('// keyboard')) fail('typing in the editor did not change the program');
  // The editor's own keymap undoes it (the text and the line break may be two steps of its history).
  const typed = async (): Promise<boolean> => (await page.locator('.cm-line').first().textContent())?.startsWith('// keyboard') === true;
  for (let i = 0; i < 3 && (await typed()); i++) await page.keyboard.press('ControlOrMeta+z');
  if (await typed()) fail('Ctrl+Z in the editor did not undo the typing');
  const seedRun = async (press: () => Promise<void>): Promise<void> => {
    const before = Number((await page.locator('body').getAttribute('data-runs')) ?? 0);
    await press();
    await page.waitForFunction((n) => Number(document.body.dataset['runs'] ?? 0) > n && document.querySelector('[data-testid="graph"] svg') !== null, before, { timeout: 60_000 });
  };
  await seedRun(async () => {
    await page.getByTestId('run').focus();
    await page.keyboard.press('Enter');
  });
  if (!(await page.locator('[data-testid="output"] .line').allTextContents()).some((l) => l.startsWith('∂L/∂z'))) fail('Enter on Run did not run the seed neuron');
  const overflowPx = Math.max(0, await overflow());
  if (overflowPx > 0) fail(`the page scrolls sideways by ${overflowPx} px (document ${width + overflowPx} px wide in a ${width} px viewport)`);

  // A second run, output arriving into panes that already hold output: no layout shift, the same boxes.
  const boxes = (): Promise<number[][]> =>
    page.evaluate((ids) => ids.map((id) => {
      const r = document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
      return [r.x, r.y + window.scrollY, r.width, r.height];
    }), [...STILL]);
  const before = await boxes();
  const t0 = await page.evaluate(() => performance.now());
  await seedRun(() => page.getByTestId('run').click());
  await page.waitForTimeout(300);
  const after = await boxes();
  const shift = await page.evaluate((t) => (window as unknown as { shifts: { t: number; value: number }[] }).shifts.filter((s) => s.t >= t).reduce((a, s) => a + s.value, 0), t0);
  let moved = 0;
  after.forEach((b, i) => b.forEach((v, k) => (moved = Math.max(moved, Math.abs(v - before[i]![k]!)))));
  if (shift > 0) fail(`layout shift ${shift.toFixed(4)} while the output arrived`);
  if (moved > 0.5) fail(`the panes moved ${moved.toFixed(1)} px when the output arrived: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  return { screen, overflowPx, shift, moved, tabStops: stops.length };
}
