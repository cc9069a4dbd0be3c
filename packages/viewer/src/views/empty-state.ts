/** What the page says before any snapshot is open: how to get one, and how to open it. */

import { h } from './dom.js';

export function emptyState(open: () => void): HTMLElement {
  const code = (text: string) => h('pre', {}, h('code', { text }));
  return h(
    'section',
    { class: 'empty-state', attrs: { 'aria-labelledby': 'empty-title' } },
    h('h1', { attrs: { id: 'empty-title' }, text: 'Open a tracemalloc snapshot' }),
    h('p', { text: 'See which allocation sites of a WebAssembly module hold memory, how that changed between snapshots, and the call paths behind it.' }),
    h('div', { class: 'empty-actions' }, h('button', { class: 'primary', text: 'Open snapshot files…', on: { click: open } }), h('span', { class: 'hint', text: 'or drop .wtmsnap files anywhere on this page' })),
    h('h2', { text: 'Get a snapshot' }),
    h('p', { text: 'From the command line, trace a WASI program and save what it holds at exit:' }),
    code('npx wasm-tracemalloc run app.wasm --snapshot app.wtmsnap'),
    h('p', { text: 'From JavaScript, take snapshots while your program runs:' }),
    code(
      [
        "import * as tracemalloc from 'wasm-tracemalloc';",
        'tracemalloc.installNode();   // or install() in a browser',
        'tracemalloc.start();',
        '// … run the module …',
        "writeFileSync('after.wtmsnap', tracemalloc.takeSnapshot().dump());",
      ].join('\n'),
    ),
    h('p', { text: 'Open several snapshots of one program to compare them and to see memory over time. A served file opens with ?url=path/to/file.wtmsnap (repeat url= for more).' }),
    h('p', { class: 'hint', text: 'Press ? for keyboard shortcuts.' }),
  );
}
