/** Entry point: the app, its analysis worker, and the page's URL. */

import { App } from './app.js';
import './style.css';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
const app = new App(root, () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'wasm-tracemalloc analysis' }));
// For bench/viewer.mjs and the console: operation timings and the current state.
(window as unknown as { wtmViewer: unknown }).wtmViewer = { app, timings: app.timings };
app.start(location.search, location.href);
