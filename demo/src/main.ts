// The demo page: three small "features" backed by Wasm. Nothing here knows about
// tracing except the guide (snapshot-guide.ts) and the memory meter, which read the
// runtime's API: the plugin set the page up before this script ran.
import { getTracedMemory, formatSize } from '@wasm-tracemalloc/runtime';
import { loadProfiles } from './profiles.js';
import { loadWords } from './words.js';
import { setUpGuide } from './snapshot-guide.js';
import './style.css';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
let ops = 0;
/** Every finished action bumps body[data-ops], so scripts (and tests) can wait for it. */
const done = () => (document.body.dataset.ops = String(++ops));

const [profiles, words] = await Promise.all([loadProfiles(), loadWords()]);

// Each click opens 100 profiles never opened before.
let nextId = 1;
const profilesOut = $('#profiles-out');
const showProfiles = (what: string) => {
  profilesOut.textContent = `${what} · ${profiles.cached()} profiles cached (capacity 64)`;
};
showProfiles('Ready');
$('#open-profiles').addEventListener('click', () => {
  const opened = profiles.open(nextId, 100);
  nextId += 100;
  showProfiles(`Opened ${opened} profiles, the last one ${profiles.lastOpened()}`);
  done();
});
$('#search').addEventListener('click', () => {
  showProfiles(`${profiles.search('compilers')} cached profiles write about compilers`);
  done();
});
$('#clear-cache').addEventListener('click', () => {
  profiles.clear();
  showProfiles('Cache cleared');
  done();
});

const wordsOut = $('#words-out');
wordsOut.textContent = 'Ready';
$('#count-words').addEventListener('click', () => {
  const r = words.count($<HTMLTextAreaElement>('#text').value);
  wordsOut.textContent = `${r.distinct} distinct words; the most frequent is “${r.top}” (${r.topCount}×)`;
  done();
});

let worker: Worker | undefined;
let workerFirst = 1_000_000;
$('#worker-import').addEventListener('click', () => {
  worker ??= new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module', name: 'profile import' });
  worker.onmessage = (event: MessageEvent<{ imported: number; cached: number; traced: number }>) => {
    const { imported, cached, traced } = event.data;
    $('#worker-out').textContent = `The worker imported ${imported} profiles (${cached} cached there); its traced memory: ${formatSize(traced)}.`;
    done();
  };
  worker.postMessage({ first: workerFirst, n: 500 });
  workerFirst += 500;
});

setUpGuide();

const meter = () => {
  const [current, peak] = getTracedMemory();
  $('#traced-current').textContent = formatSize(current);
  $('#traced-peak').textContent = `peak ${formatSize(peak)}`;
};
meter();
setInterval(meter, 250);
document.body.dataset.ready = 'true';
