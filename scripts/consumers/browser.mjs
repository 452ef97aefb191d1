// Entry of the consumer program in a browser page (bundled by esbuild): the check calls window.__start()
// once the browser has settled, and the result goes to window.__result.
import { runConsumer } from './program.mjs';

window.__start = () => runConsumer().then(
  (result) => { window.__result = { ...result, crossOriginIsolated: globalThis.crossOriginIsolated === true }; },
  (error) => { window.__result = { error: String(error && error.stack || error) }; },
);
