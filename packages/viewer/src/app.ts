/**
 * The viewer: wires the data sources (import/) to the analysis worker and the
 * analysis results to the views. It owns the ViewState; every user action is a
 * patch of it, after which the URL is rewritten and only the work the patch needs
 * is redone (a new sort reorders rows locally, a new filter asks the worker).
 */

import type { SnapshotData } from '@wasm-tracemalloc/runtime/model';
import type { DataSink, MemorySample, SnapshotInput } from './import/data-source.js';
import { DropSource, FilePickerSource } from './import/file-source.js';
import { UrlSource } from './import/url-source.js';
import { LIVE_SAMPLE_HISTORY, LiveSource, liveRef, liveTransport } from './import/live-source.js';
import type { SnapshotSummary, TableQuery } from './model/analysis.js';
import { AnalysisClient } from './model/analysis-client.js';
import type { FlameMeasure, FlameModel } from './model/flame-tree.js';
import { indexOfString, stringAt } from './model/packed-strings.js';
import { orderRows, type TableModel } from './model/table.js';
import { decodeUrlState, encodeUrlState } from './model/url-state.js';
import { DEFAULT_VIEW_STATE, defaultSort, normalizeViewState, selectionOf, type FrameRef, type KeyType, type SortKey, type TraceSelection, type ViewName, type ViewState } from './model/view-state.js';
import { download, h, isTyping } from './views/dom.js';
import { emptyState } from './views/empty-state.js';
import { FlameGraph } from './views/flame-graph.js';
import { formatCount, formatMs, formatSize, formatTime } from './views/format.js';
import { Header, type Theme } from './views/header.js';
import { snapshotLabels, type SnapshotLabel } from './views/snapshot-label.js';
import { LeakView } from './views/leak-view.js';
import { PeakView } from './views/peak-view.js';
import { LiveBar } from './views/live-bar.js';
import { StatsTable } from './views/stats-table.js';
import { Summary } from './views/summary.js';
import { Timeline } from './views/timeline.js';
import { Toolbar } from './views/toolbar.js';
import { TracebackPanel } from './views/traceback-panel.js';

interface Loaded {
  /** The snapshot's id in the worker. */
  id: number;
  /** Its `live` is filled in when the dev server says it holds a snapshot opened by URL: it then has the server's number. */
  input: SnapshotInput;
  summary: SnapshotSummary;
}

/** Operation timings, for bench/viewer.mjs and curious users (`wtmViewer.timings` in the console). */
export interface Timing {
  op: string;
  ms: number;
}

const SORT_CYCLE: SortKey[] = ['size', 'count', 'average'];
const DIFF_SORT_CYCLE: SortKey[] = ['sizeDiff', 'countDiff', 'size', 'count', 'average'];
const BUSY_DELAY_MS = 200;

export class App {
  readonly root: HTMLElement;
  readonly timings: Timing[] = [];
  readonly #client: AnalysisClient;
  readonly #snapshots: Loaded[] = [];
  readonly #samples: MemorySample[] = [];
  /** Live samples by series (a live source's tabs), in arrival order. */
  readonly #liveSeries = new Map<string, { label: string; samples: MemorySample[] }>();
  /** The Vite plugin's live connection, when the page is served by it. */
  readonly #live: LiveSource | undefined;
  readonly #liveBar: LiveBar | undefined;
  #state: ViewState = { ...DEFAULT_VIEW_STATE };
  #nextId = 1;
  #queue: SnapshotInput[] = [];
  #loading: SnapshotInput | undefined;
  #initialLoad = true;

  #table: TableModel | undefined;
  #tableKey = '';
  #tableGen = 0;
  #detailGen = 0;
  #flame: FlameModel | undefined;
  #flameKey = '';
  #flameGen = 0;
  #measure: FlameMeasure = 'max';
  #busyTimer = 0;
  #firstTable = true;
  /** What the header, summary and timeline were last drawn for (see #render). */
  #chromeKey = '';

  // views
  readonly #header: Header;
  readonly #errors: HTMLElement;
  readonly #content: HTMLElement;
  readonly #workspace: HTMLElement;
  readonly #summary = new Summary();
  readonly #timeline: Timeline;
  readonly #toolbar: Toolbar;
  readonly #statsTable: StatsTable;
  readonly #flameGraph: FlameGraph;
  readonly #panel: TracebackPanel;
  readonly #leakView: LeakView;
  #leakKey = '';
  #leakGen = 0;
  /** Built when the peak tab first opens: a second table and flame graph cost nothing until then. */
  #peakViewBuilt: PeakView | undefined;
  #peakKey = '';
  #peakGen = 0;
  #peakTable: TableModel | undefined;
  #peakSort: SortKey | undefined;
  readonly #tabs: Record<ViewName, HTMLButtonElement>;
  readonly #viewHost: HTMLElement;
  readonly #busy: HTMLElement;
  readonly #status: HTMLElement;
  readonly #loadingStatus: HTMLElement;
  readonly #dropOverlay: HTMLElement;
  readonly #help: HTMLDialogElement;
  readonly #picker: FilePickerSource;
  #theme: Theme = 'auto';

  constructor(root: HTMLElement, createWorker: () => Worker) {
    this.root = root;
    this.#client = new AnalysisClient(createWorker);

    this.#header = new Header({
      select: (i) => this.setState({ snapshot: i }),
      compare: (i) => this.setState({ base: i }),
      open: () => this.#picker.open(),
      exportJson: () => void this.#exportJson(),
      exportPprof: () => void this.#exportPprof(),
      theme: () => this.#cycleTheme(),
      help: () => this.#help.showModal(),
    });
    this.#errors = h('div', { class: 'errors', attrs: { role: 'alert', 'aria-live': 'assertive' } });
    this.#timeline = new Timeline({ select: (i) => this.setState({ snapshot: i }), compare: (i) => this.setState({ base: i === this.#state.snapshot ? null : i }) });
    this.#toolbar = new Toolbar({ change: (patch) => this.setState(patch) });
    this.#statsTable = new StatsTable({ select: (row) => void this.#showDetail(row), sort: (key) => this.setState({ sort: key }) });
    this.#flameGraph = new FlameGraph({
      select: (node) => this.#showFlamePath(node),
      search: (text) => this.setState({ search: text }),
      measure: (m) => {
        this.#measure = m;
        void this.#refreshFlame();
      },
      invert: (bottomUp) => this.setState({ bottomUp }),
    });
    this.#panel = new TracebackPanel({ focusFrame: (ref) => this.#focusFrame(ref), copy: (text) => void this.#copy(text) });

    this.#leakView = new LeakView({ select: (suspect) => void this.#showLeakDetail(suspect.row) });
    const tab = (view: ViewName, text: string, key: string) =>
      h('button', {
        class: 'tab',
        text,
        title: `${text} (${key})`,
        attrs: { role: 'tab', id: `tab-${view}`, 'aria-controls': `view-${view}` },
        on: { click: () => this.setState({ view }) },
      });
    this.#tabs = { table: tab('table', 'Statistics', 't'), flame: tab('flame', 'Flame graph', 'f'), leaks: tab('leaks', 'Leak suspects', 'l'), peak: tab('peak', 'Peak', 'p') };
    this.#leakView.el.id = 'view-leaks';
    this.#leakView.el.setAttribute('role', 'tabpanel');
    this.#statsTable.el.id = 'view-table';
    this.#statsTable.el.setAttribute('role', 'tabpanel');
    this.#flameGraph.el.id = 'view-flame';
    this.#flameGraph.el.setAttribute('role', 'tabpanel');
    this.#busy = h('div', { class: 'busy', attrs: { hidden: true } }, h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), h('span', { text: 'Computing…' }));
    this.#viewHost = h('div', { class: 'view-host' }, this.#statsTable.el, this.#flameGraph.el, this.#leakView.el, this.#busy);
    const viewArea = h(
      'div',
      { class: 'view-area' },
      h('div', { class: 'view-tabs' }, h('div', { class: 'tab-list', attrs: { role: 'tablist', 'aria-label': 'Views' } }, this.#tabs.table, this.#tabs.flame, this.#tabs.leaks, this.#tabs.peak), h('span', { class: 'spacer' }), ...this.#panelToggles(root)),
      this.#viewHost,
    );
    this.#workspace = h(
      'div',
      { class: 'workspace' },
      this.#summary.el,
      this.#timeline.el,
      this.#toolbar.el,
      h('main', { class: 'main-split' }, viewArea, this.#panel.el),
    );
    this.#content = h('div', { class: 'content' });
    this.#status = h('span', { class: 'status-text', attrs: { 'aria-live': 'polite' } });
    this.#loadingStatus = h('span', { class: 'loading-status' });
    this.#dropOverlay = h('div', { class: 'drop-overlay', attrs: { hidden: true } }, h('div', { text: 'Drop snapshot files to open them' }));
    this.#help = helpDialog();
    const transport = liveTransport();
    if (transport !== undefined) {
      this.#live = new LiveSource(transport, location.href);
      this.#liveBar = new LiveBar({ snapshotNow: (tab) => this.#live!.snapshotNow(tab), compare: () => this.#compareLive(), open: (id) => this.#live!.open(id) });
      this.#live.onChange(() => {
        // While the URL's snapshots load, its snap= and base= wait for all of them (see #pump).
        if (this.#identifyLive() && !this.#initialLoad) this.setState({});
        else this.#renderLiveBar();
      });
      root.classList.add('live');
    }
    const fileInput = h('input', { attrs: { type: 'file', multiple: true, accept: '.wtmsnap,application/octet-stream', hidden: true, 'aria-hidden': 'true' } });
    this.#picker = new FilePickerSource(fileInput);

    root.replaceChildren(
      this.#header.el,
      this.#liveBar?.el ?? '',
      this.#errors,
      this.#content,
      h('footer', { class: 'status-bar' }, this.#status, h('span', { class: 'spacer' }), this.#loadingStatus),
      this.#dropOverlay,
      this.#help,
      fileInput,
    );

    const sink = this.#sink();
    this.#picker.connect(sink);
    new DropSource(document.documentElement, (on) => (this.#dropOverlay.hidden = !on)).connect(sink);
    document.addEventListener('keydown', (e) => this.#shortcut(e));
    this.#initTheme();
    this.#render();
  }

  /**
   * Buttons that fold the summary and the timeline away, so the table gets the
   * height on a small screen; remembered across visits.
   */
  #panelToggles(root: HTMLElement): HTMLButtonElement[] {
    const read = (name: string): boolean => {
      try {
        return localStorage.getItem(`wtm-hide-${name}`) === '1';
      } catch {
        return false;
      }
    };
    return (['summary', 'timeline'] as const).map((name) => {
      const label = name === 'summary' ? 'Summary' : 'Timeline';
      const button = h('button', { class: 'small panel-toggle', attrs: { 'data-panel': name } });
      const show = (hidden: boolean) => {
        root.classList.toggle(`hide-${name}`, hidden);
        button.textContent = `${hidden ? '▸' : '▾'} ${label}`;
        button.setAttribute('aria-pressed', String(!hidden));
        button.title = hidden ? `Show the ${name}` : `Hide the ${name}`;
      };
      show(read(name));
      button.addEventListener('click', () => {
        const hidden = !root.classList.contains(`hide-${name}`);
        show(hidden);
        try {
          localStorage.setItem(`wtm-hide-${name}`, hidden ? '1' : '0');
        } catch {
          // storage disabled: the choice lasts until reload
        }
      });
      return button;
    });
  }

  /** Applies the page's query string: fetches its `url=` snapshots, then shows its state. */
  start(search: string, base: string): void {
    const { state, urls } = decodeUrlState(new URLSearchParams(search));
    this.#state = state;
    // The live source delivers when the dev server answers, after the URL's snapshots are queued.
    const connectLive = () => {
      if (this.#live === undefined) return;
      // A link names the snapshots to show: the dev server's others are only listed.
      this.#live.connect(this.#sink(), { openExisting: urls.length === 0 });
      this.#renderLiveBar();
    };
    if (urls.length === 0) {
      this.#initialLoad = false;
      this.#render();
      connectLive();
      return;
    }
    // Positions let the URL's snap= and base= name the right snapshots once they are in time order.
    const sink = this.#sink();
    new UrlSource(urls, base).connect({ ...sink, snapshot: (input) => sink.snapshot({ ...input, position: urls.indexOf(input.url!) }) });
    connectLive();
  }

  /**
   * Opens SnapshotData built in the page (a converter, a test, the bench), as if
   * it were a file: a snapshot file is its encoding (Snapshot.dump()).
   */
  openData(data: SnapshotData, name: string): void {
    this.#sink().snapshot({ name, origin: 'file', data, read: () => Promise.reject(new Error(`${name} has no file: it was opened as data`)) });
  }

  /** Resolves once the worker has finished its idle precomputation (bench). */
  settle(): Promise<void> {
    return this.#client.settle();
  }

  /** What the flame graph drew last (tests, bench). */
  flameBoxes(): ReturnType<FlameGraph['boxes']> {
    return this.#flameGraph.boxes();
  }

  get state(): Readonly<ViewState> {
    return this.#state;
  }

  setState(patch: Partial<ViewState>): void {
    const before = this.#state;
    const merged = { ...before, ...patch };
    // Choosing a base (a link, the live bar, `b`, Compare with, Shift+click) opens the diff largest change first.
    if (before.base === null && merged.base !== null && patch.sort === undefined) merged.sort = defaultSort(merged.base);
    const next = normalizeViewState(merged, this.#snapshots.length);
    // A patch that changes the sort away from a diff key while comparing is fine;
    // one that picks a diff sort without a base falls back to size (normalize).
    this.#state = next;
    this.#writeUrl();
    this.#render();
    if (before.view !== next.view && this.#snapshots.length > 0) this.#explainSelection();
  }

  /** Points the traceback panel at what the open view has selected. */
  #explainSelection(): void {
    if (this.#state.view === 'leaks') {
      const suspect = this.#leakView.selected;
      if (suspect !== undefined) void this.#showLeakDetail(suspect.row);
      else this.#panel.showHint('Select a suspect to see its call paths here.');
    } else if (this.#state.view === 'table') {
      const row = this.#statsTable.selectedRow;
      if (row !== null) void this.#showDetail(row);
      else this.#panel.showHint();
    } else if (this.#state.view === 'peak') {
      const row = this.#peakViewBuilt?.table.selectedRow ?? null;
      if (row !== null && this.#peakTable !== undefined) void this.#showDetail(row, true);
      else this.#panel.showHint('Select a row of the peak to see its tracebacks here.');
    } else if (this.#flameGraph.selected >= 0) this.#showFlamePath(this.#flameGraph.selected);
    else this.#panel.showHint('Click a box to zoom to it and see its call path here.');
  }

  // ── data sources ──────────────────────────────────────────────────────────

  #sink(): DataSink {
    return {
      snapshot: (input) => {
        // A live snapshot the page's URL already opened (a reload) is not opened twice.
        if (input.origin === 'live' && input.url !== undefined) {
          const same = (x: SnapshotInput) => x.url === input.url;
          const loaded = this.#snapshots.find((x) => same(x.input));
          if (loaded !== undefined) {
            loaded.input = { ...loaded.input, live: input.live };
            this.#reorder();
            if (this.#initialLoad) this.#renderLiveBar();
            else this.setState({});
            return;
          }
          const queued = this.#queue.findIndex(same);
          if (queued >= 0) {
            this.#queue[queued] = { ...this.#queue[queued], live: input.live };
            return;
          }
          if (this.#loading !== undefined && same(this.#loading)) {
            this.#loading.live = input.live;
            return;
          }
        }
        this.#queue.push(input);
        void this.#pump();
      },
      error: (message) => this.#error(message),
      samples: (samples, series) => {
        if (series === undefined) {
          this.#samples.push(...samples);
          this.#render();
          return;
        }
        const had = this.#liveSeries.get(series.id);
        if (series.replace || had === undefined) {
          if (samples.length === 0) this.#liveSeries.delete(series.id);
          else this.#liveSeries.set(series.id, { label: series.label, samples: [...samples] });
        } else {
          had.label = series.label;
          had.samples.push(...samples);
          if (had.samples.length > LIVE_SAMPLE_HISTORY) had.samples.splice(0, had.samples.length - LIVE_SAMPLE_HISTORY);
        }
        // Only the timeline moves: the rest of the page does not depend on samples.
        if (this.#snapshots.length > 0) this.#renderTimeline();
      },
    };
  }

  /** Loads queued inputs one at a time, in order, so `?url=` order is snapshot order. */
  async #pump(): Promise<void> {
    if (this.#loading !== undefined) return;
    const input = this.#queue.shift();
    if (input === undefined) return;
    this.#loading = input;
    this.#showLoading(`Opening ${input.name}…`);
    const t0 = performance.now();
    try {
      const id = this.#nextId++;
      let summary: SnapshotSummary;
      if (input.data !== undefined) summary = await this.#client.add(id, input.data, input.name);
      else {
        const bytes = await input.read();
        this.timings.push({ op: 'read', ms: performance.now() - t0 });
        summary = await this.#client.load(id, bytes, input.name);
      }
      this.timings.push({ op: 'worker-load', ms: summary.loadMs });
      // Snapshots are kept in time order, so that #k is the same snapshot in the
      // pickers, the timeline and the Comparing chip whatever order they came in.
      const loaded = { id, input, summary };
      const at = timeOrderIndex(this.#snapshots, loaded);
      this.#snapshots.splice(at, 0, loaded);
      this.timings.push({ op: 'load', ms: performance.now() - t0 });
      if (!this.#initialLoad) {
        const shift = (i: number | null) => (i !== null && i >= at ? i + 1 : i);
        // A live snapshot is shown on its own as it arrives: the live bar offers its diff.
        this.#state = { ...this.#state, snapshot: at, base: input.origin === 'live' ? null : shift(this.#state.base) };
      }
    } catch (error) {
      const message = (error as Error).message;
      // The model's messages name the file already ("x.wtmsnap is corrupt: …").
      this.#error(message.startsWith(input.name) ? message : `Could not open ${input.name}: ${message}`);
    } finally {
      this.#loading = undefined;
      this.#showLoading('');
    }
    // The URL's state names snapshots by index: apply it once all of them are in.
    if (!this.#initialLoad) this.setState({});
    else if (this.#queue.length === 0) {
      this.#initialLoad = false;
      // snap= and base= count in the URL's order: find those snapshots in time order.
      const find = (p: number | null) => (p === null ? -1 : this.#snapshots.findIndex((x) => x.input.position === p));
      const snapshot = find(this.#state.snapshot);
      const base = find(this.#state.base);
      this.setState({ snapshot: snapshot >= 0 ? snapshot : this.#snapshots.length - 1, base: base >= 0 ? base : null });
    }
    void this.#pump();
  }

  #showLoading(text: string): void {
    this.#loadingStatus.replaceChildren();
    if (text === '') return;
    this.#loadingStatus.append(
      h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      h('span', { text }),
      h('button', { class: 'small', text: 'Cancel', on: { click: () => this.#cancel() } }),
    );
  }

  /** Stops whatever the worker is doing; the snapshots it held are read again. */
  #cancel(): void {
    const reload = this.#snapshots.splice(0).map((s) => s.input);
    const pending = this.#loading;
    this.#queue = [];
    this.#client.restart(pending ? `Opening ${pending.name} was cancelled.` : 'Cancelled.');
    this.#loading = undefined;
    this.#table = undefined;
    this.#tableKey = '';
    this.#flame = undefined;
    this.#flameKey = '';
    this.#leakKey = '';
    this.#peakKey = '';
    this.#peakTable = undefined;
    this.#showLoading('');
    const sink = this.#sink();
    for (const input of reload) sink.snapshot(input);
    this.setState({});
  }

  #error(message: string): void {
    const item = h('div', { class: 'error' }, h('span', { class: 'error-text', text: message }), h('button', { class: 'small', text: 'Dismiss', on: { click: () => item.remove() } }));
    this.#errors.append(item);
  }

  // ── rendering ─────────────────────────────────────────────────────────────

  #render(): void {
    const s = this.#state;
    // The header, summary and timeline depend on the snapshots, the selected pair and
    // the samples only: redrawing them (and the forced layouts that come with it) on
    // every regroup, sort or filter was most of such a click's cost on the page.
    const labels = this.#labels();
    const chromeKey = `${this.#snapshots.length}|${s.snapshot}|${s.base}|${this.#samples.length}|${this.#snapshots.map((x, i) => `${x.input.live?.tab ?? ''}\u0001${labels[i].text}`).join('\u0000')}`;
    const chromeChanged = chromeKey !== this.#chromeKey || this.#snapshots.length === 0;
    this.#chromeKey = chromeKey;
    if (chromeChanged) this.#header.update(labels, s.snapshot, s.base);
    if (this.#snapshots.length === 0) {
      this.root.classList.remove('has-snapshots');
      if (this.#loading !== undefined || this.#queue.length > 0 || this.#initialLoad) {
        this.#content.replaceChildren(h('div', { class: 'opening' }, h('span', { class: 'spinner' }), h('span', { text: 'Opening snapshots…' })));
      } else if (this.#live !== undefined) {
        this.#content.replaceChildren(liveEmptyState(() => this.#picker.open()));
        this.#status.textContent = 'No snapshot yet.';
      } else {
        this.#content.replaceChildren(emptyState(() => this.#picker.open()));
        this.#status.textContent = 'No snapshot open.';
      }
      this.#renderLiveBar();
      return;
    }
    this.root.classList.add('has-snapshots');
    if (this.#content.firstChild !== this.#workspace) this.#content.replaceChildren(this.#workspace);
    const current = this.#snapshots[s.snapshot];
    const base = s.base === null ? undefined : this.#snapshots[s.base];
    if (chromeChanged) this.#summary.update(current.summary, base?.summary);
    // Live series end at "now": they are redrawn on every render, as before.
    if (chromeChanged || this.#liveSeries.size > 0) this.#renderTimeline(labels);
    this.#timeline.setKeyType(s.keyType);
    this.#renderLiveBar();
    this.#toolbar.update(s, current.summary.domains, s.base !== null, current.summary.threads ?? []);
    for (const view of ['table', 'flame', 'leaks', 'peak'] as const) {
      this.#tabs[view].setAttribute('aria-selected', String(s.view === view));
      this.#tabs[view].tabIndex = s.view === view ? 0 : -1;
    }
    this.#statsTable.el.hidden = s.view !== 'table';
    this.#flameGraph.el.hidden = s.view !== 'flame';
    this.#leakView.el.hidden = s.view !== 'leaks';
    if (this.#peakViewBuilt !== undefined) this.#peakViewBuilt.el.hidden = s.view !== 'peak';
    void this.#refreshTable();
    if (s.view === 'leaks') void this.#refreshLeaks();
    if (s.view === 'peak') {
      void this.#refreshPeak();
      this.#peakView.flame.setSearch(s.search);
    }
    if (s.view === 'flame') {
      void this.#refreshFlame();
      this.#flameGraph.setSearch(s.search);
    }
  }

  #renderTimeline(labels = this.#labels()): void {
    const s = this.#state;
    // A tab sends samples when its memory changes: its last one holds until now.
    const now = Date.now();
    const live = [...this.#liveSeries.values()].map(({ label, samples }) => {
      const last = samples[samples.length - 1];
      return { label, samples: last === undefined || last.timestamp >= now ? samples : [...samples, { ...last, timestamp: now, peak: last.current }] };
    });
    this.#timeline.update(
      this.#snapshots.map((x, i) => ({
        ref: labels[i].ref,
        name: labels[i].name,
        timestamp: timeOf(x),
        current: num(x.summary.meta.current) ?? x.summary.size,
        peak: num(x.summary.meta.peak),
        ...(x.summary.samplingIntervalBytes > 0 && { samplingIntervalBytes: x.summary.samplingIntervalBytes }),
        // A snapshot of a tab still streaming sits on that tab's live line: its own samples are the same.
        samples: x.input.live !== undefined && this.#liveSeries.has(x.input.live.tab) ? undefined : x.summary.samples,
        label: x.summary.domains.map((d) => d.name).join(', '),
        ...(x.summary.siteLabels !== undefined && { siteLabels: x.summary.siteLabels }),
      })),
      live.length > 0 ? live : this.#samples,
      s.snapshot,
      s.base,
    );
  }

  /** What each open snapshot is called (views/snapshot-label.ts), in the order they are listed. */
  #labels(): SnapshotLabel[] {
    return snapshotLabels(
      this.#snapshots.map((x) => ({ live: x.input.live, name: x.input.name, timestamp: num(x.summary.meta.timestamp), size: x.summary.size, samplingIntervalBytes: x.summary.samplingIntervalBytes })),
    );
  }

  /**
   * Gives the snapshots opened by URL that the dev server holds (a link from its
   * live page, a reload) what the server says of them, so that they have its number
   * here too; keeps the list in time order. True when something changed.
   */
  #identifyLive(): boolean {
    const live = this.#live;
    if (live === undefined) return false;
    const identify = (input: SnapshotInput): boolean => {
      if (input.live !== undefined || input.url === undefined) return false;
      const info = live.find(input.url);
      if (info === undefined) return false;
      input.live = liveRef(info);
      return true;
    };
    let changed = false;
    for (const q of this.#queue) changed = identify(q) || changed;
    if (this.#loading !== undefined) changed = identify(this.#loading) || changed;
    let loaded = false;
    for (const x of this.#snapshots) loaded = identify(x.input) || loaded;
    if (loaded) this.#reorder();
    return changed || loaded;
  }

  /** Puts the open snapshots back in time order (their times changed), keeping the selected pair. */
  #reorder(): void {
    const [selected, base] = [this.#snapshots[this.#state.snapshot], this.#state.base === null ? undefined : this.#snapshots[this.#state.base]];
    const ordered = [...this.#snapshots].sort(byTime);
    this.#snapshots.splice(0, this.#snapshots.length, ...ordered);
    // While the URL's snapshots load, the state counts in the URL's order (see #pump).
    if (selected !== undefined && !this.#initialLoad) {
      this.#state = { ...this.#state, snapshot: this.#snapshots.indexOf(selected), base: base === undefined ? null : this.#snapshots.indexOf(base) };
    }
  }

  /** The selected live snapshot's tab's previous snapshot (open here), if any: the diff the live bar offers. */
  #liveBase(): number | null {
    const tab = this.#snapshots[this.#state.snapshot]?.input.live?.tab;
    if (tab === undefined) return null;
    for (let i = this.#state.snapshot - 1; i >= 0; i--) if (this.#snapshots[i].input.live?.tab === tab) return i;
    return null;
  }

  #compareLive(): void {
    const base = this.#liveBase();
    if (base !== null) this.setState({ base });
  }

  #renderLiveBar(): void {
    const live = this.#live;
    const bar = this.#liveBar;
    if (live === undefined || bar === undefined) return;
    bar.update(live.connected, live.tabs, (t) => live.samplesOf(t), (t) => live.highestOf(t), live.untraced);
    const open = new Set(this.#snapshots.map((x) => x.input.url));
    if (this.#loading?.url !== undefined) open.add(this.#loading.url);
    for (const q of this.#queue) open.add(q.url);
    const held = live.held.filter((x) => !open.has(x.url));
    const heldLabels = snapshotLabels(held.map((x) => ({ live: liveRef(x), name: x.name, size: x.current, samplingIntervalBytes: 0 })));
    bar.setHeld(held.map((x, i) => ({ id: x.id, text: heldLabels[i].text })));
    const base = this.#liveBase();
    if (base === null) return bar.setOffer(null);
    const k = this.#state.snapshot;
    const labels = this.#labels();
    const tab = live.tabs.find((t) => t.id === this.#snapshots[k].input.live?.tab);
    const active = this.#state.base === base;
    const [now, then] = [labels[k].ref, labels[base].ref];
    bar.setOffer({
      text: active ? `Comparing ${now} with ${then}` : `Compare ${now} with ${then}`,
      title: `What changed${tab ? ` in ${tab.label}` : ''} between snapshot ${then} and snapshot ${now}: the diff, largest change first`,
      active,
    });
  }

  #query(): TableQuery {
    return { selection: this.#selection(), keyType: this.#state.keyType, cumulative: this.#state.cumulative };
  }

  /** The state's selection with snapshot indices replaced by worker ids. */
  #selection(): TraceSelection {
    const sel = selectionOf(this.#state);
    return { ...sel, snapshot: this.#snapshots[sel.snapshot].id, base: sel.base === null ? null : this.#snapshots[sel.base].id };
  }

  async #refreshTable(): Promise<void> {
    const query = this.#query();
    const key = JSON.stringify(query);
    const sort = this.#state.sort;
    if (key === this.#tableKey && this.#table !== undefined) {
      if (this.#statsTableSort !== sort) this.#showTable(this.#table, 'sort', performance.now());
      return;
    }
    this.#tableKey = key;
    const gen = ++this.#tableGen;
    const t0 = performance.now();
    this.#setBusy(true);
    try {
      const model = await this.#client.table(query);
      if (gen !== this.#tableGen) return;
      this.timings.push({ op: 'worker-table', ms: model.ms });
      this.timings.push({ op: 'table-received', ms: performance.now() - t0 });
      const previous = this.#table;
      const selectedKey = previous !== undefined && this.#statsTable.selectedRow !== null ? stringAt(previous.keys, this.#statsTable.selectedRow) : undefined;
      this.#table = model;
      this.#showTable(model, 'table', t0, selectedKey);
      // Nothing reads the replaced table's columns any more: the worker reuses their memory.
      if (previous !== undefined && previous !== model) this.#client.recycle(previous);
    } catch (error) {
      if (gen !== this.#tableGen) return;
      this.#tableKey = '';
      this.#error(`Could not compute the table: ${(error as Error).message}`);
    } finally {
      if (gen === this.#tableGen) this.#setBusy(false);
    }
  }

  #statsTableSort: SortKey | undefined;

  #showTable(model: TableModel, op: string, t0: number, selectedKey?: string): void {
    const s = this.#state;
    const order = orderRows(model, s.sort);
    this.#statsTableSort = s.sort;
    let selected: number | null = this.#statsTable.selectedRow;
    if (op === 'table') {
      // Keep the selected key if the new table has it, else select the top row, so
      // the traceback panel always explains something.
      const i = selectedKey === undefined ? -1 : indexOfString(model.keys, selectedKey);
      selected = i >= 0 ? i : order.length > 0 ? order[0] : null;
    }
    const filtered = s.include.length > 0 || s.exclude.length > 0 || s.domains !== null || s.threads != null || s.focus !== null;
    this.#statsTable.setModel(model, order, s.sort, selected, filtered ? 'No traces match the filters.' : 'This snapshot holds no traces.');
    const ms = performance.now() - t0;
    if (this.#firstTable) {
      this.#firstTable = false;
      this.timings.push({ op: 'first-table', ms: performance.now() });
    }
    this.timings.push({ op, ms });
    this.#statsTable.el.dataset.generation = String(this.timings.length);
    this.#updateStatus(model, ms);
    if (op === 'table' && s.view === 'table') {
      if (selected !== null) void this.#showDetail(selected);
      else this.#panel.showHint();
    }
  }

  #updateStatus(model: TableModel, ms: number): void {
    const t = model.total;
    const n = model.size.length;
    const rows = `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
    // Sampled (t.traces is set), sizes and counts are estimates: "≈", and from how many traces.
    const about = t.traces === undefined ? '' : '≈';
    let text = `${about}${formatSize(t.size)} in ${about}${formatCount(t.count)} ${t.count === 1 ? 'block' : 'blocks'}`;
    if (t.traces !== undefined) text += ` (estimated from ${formatCount(t.traces)} sampled ${t.traces === 1 ? 'trace' : 'traces'})`;
    text += ` · ${rows}`;
    if (model.compare && t.baseSize !== undefined) text += ` · ${formatSize(t.size - t.baseSize, true)} since the base`;
    const all = this.#snapshots[this.#state.snapshot].summary;
    if ((t.traces ?? t.count) !== all.traces) text += ` · filtered from ${about}${formatSize(all.size)} in ${about}${formatCount(all.blocks)} blocks`;
    this.#status.textContent = `${text} · ${formatMs(ms)}`;
  }

  #setBusy(on: boolean): void {
    clearTimeout(this.#busyTimer);
    if (!on) {
      this.#busy.hidden = true;
      this.#viewHost.removeAttribute('aria-busy');
      return;
    }
    this.#viewHost.setAttribute('aria-busy', 'true');
    this.#busyTimer = window.setTimeout(() => (this.#busy.hidden = false), BUSY_DELAY_MS);
  }

  /** `peak`: a row of the peak view's table. */
  async #showDetail(row: number, peak = false): Promise<void> {
    const gen = ++this.#detailGen;
    this.#panel.showLoading();
    try {
      const detail = await this.#client.detail(peak ? { ...this.#query(), peak } : this.#query(), row);
      if (gen === this.#detailGen) this.#panel.showDetail(detail, this.#state.focus);
    } catch (error) {
      if (gen === this.#detailGen) this.#panel.showHint(`Could not load the traceback: ${(error as Error).message}`);
    }
  }

  async #refreshFlame(): Promise<void> {
    const selection = this.#selection();
    const measure = selection.base === null ? 'after' : this.#measure;
    const inverted = this.#state.bottomUp;
    const key = JSON.stringify([selection, measure, inverted]);
    if (key === this.#flameKey) return;
    this.#flameKey = key;
    const gen = ++this.#flameGen;
    const t0 = performance.now();
    this.#setBusy(true);
    try {
      const model = await this.#client.flame(selection, measure, inverted);
      if (gen !== this.#flameGen) return;
      this.#flame = model;
      const filtered = selection.include.length > 0 || selection.exclude.length > 0 || selection.domains !== null || selection.threads != null || selection.focus !== null;
      this.#flameGraph.setModel(model, this.#state.search, filtered ? 'No traces match the filters.' : 'This snapshot holds no traces.');
      this.#flameGraph.el.dataset.generation = String(gen);
      this.timings.push({ op: 'flame', ms: performance.now() - t0 });
      if (this.#state.view === 'flame') this.#explainSelection();
    } catch (error) {
      if (gen !== this.#flameGen) return;
      this.#flameKey = '';
      this.#error(`Could not compute the flame graph: ${(error as Error).message}`);
    } finally {
      if (gen === this.#flameGen) this.#setBusy(false);
    }
  }

  /**
   * The snapshots of the selected one's session, in time order (indices): those
   * that share its sampler's start, or its live tab, or else its modules.
   */
  #session(): number[] {
    const sessionOf = (x: Loaded) => {
      const start = x.summary.samples?.start;
      if (start !== undefined) return `samples ${start}`;
      if (x.input.live !== undefined) return `tab ${x.input.live.tab}`;
      return `modules ${x.summary.domains.map((d) => d.name).join('\u0000')}`;
    };
    const own = sessionOf(this.#snapshots[this.#state.snapshot]);
    return this.#snapshots.flatMap((x, i) => (sessionOf(x) === own ? [i] : []));
  }

  async #refreshLeaks(): Promise<void> {
    const session = this.#session();
    const selection = this.#selection();
    const key = JSON.stringify([{ ...selection, snapshot: 0, base: null }, session.map((i) => this.#snapshots[i].id)]);
    if (key === this.#leakKey) return;
    this.#leakKey = key;
    const gen = ++this.#leakGen;
    if (session.length < 3) {
      this.#leakView.showHint(
        `Leak suspects are the sites that grew between every two snapshots of one session: that needs three snapshots or more, and this session has ${session.length} open. Take or open more snapshots of it.`,
      );
      this.#panel.showHint();
      return;
    }
    const t0 = performance.now();
    this.#setBusy(true);
    try {
      const model = await this.#client.leaks(selection, session.map((i) => this.#snapshots[i].id));
      if (gen !== this.#leakGen) return;
      this.#leakSnapshot = this.#snapshots[session[session.length - 1]].id;
      const labels = this.#labels();
      this.#leakView.setModel(model, `snapshots ${session.map((i) => labels[i].ref).join(', ')}`);
      this.#leakView.el.dataset.generation = String(gen);
      this.timings.push({ op: 'leaks', ms: performance.now() - t0 });
    } catch (error) {
      if (gen !== this.#leakGen) return;
      this.#leakKey = '';
      this.#error(`Could not rank leak suspects: ${(error as Error).message}`);
    } finally {
      if (gen === this.#leakGen) this.#setBusy(false);
    }
  }

  get #peakView(): PeakView {
    if (this.#peakViewBuilt === undefined) {
      const view = new PeakView({
        table: { select: (row) => void this.#showDetail(row, true), sort: (key) => this.setState({ sort: key }) },
        flame: {
          select: (node) => this.#showFlamePath(node, view.flame),
          search: (text) => this.setState({ search: text }),
          measure: () => undefined,
          invert: (bottomUp) => this.setState({ bottomUp }),
        },
      });
      view.el.id = 'view-peak';
      view.el.setAttribute('role', 'tabpanel');
      view.el.hidden = this.#state.view !== 'peak';
      this.#viewHost.insertBefore(view.el, this.#busy);
      this.#peakViewBuilt = view;
    }
    return this.#peakViewBuilt;
  }

  /**
   * The peak view: the selected snapshot's composition at its traced peak, as a
   * table by the current key and a flame graph (width: bytes at the peak). The
   * base of a diff is ignored: the peak is one snapshot's.
   */
  async #refreshPeak(): Promise<void> {
    const s = this.#state;
    const loaded = this.#snapshots[s.snapshot];
    const query: TableQuery = { ...this.#query(), peak: true };
    const key = JSON.stringify([query, s.bottomUp]);
    if (key === this.#peakKey) {
      if (this.#peakTable !== undefined && this.#peakSort !== s.sort) {
        this.#peakSort = s.sort;
        this.#peakView.setTable(this.#peakTable, s.sort, this.#peakView.table.selectedRow, 'No site was live at the peak.');
      }
      return;
    }
    this.#peakKey = key;
    const gen = ++this.#peakGen;
    const summary = loaded.summary;
    const composition = summary.peakComposition;
    const peak = num(summary.meta.peak);
    if (composition === undefined) {
      this.#peakView.showEmpty(
        `This snapshot does not record what was live at its peak${peak !== undefined ? ` (${formatSize(peak)})` : ''}: it was taken by a tracer without per-site peak counts. Take a new snapshot with a current wasm-tracemalloc to see which sites made up the peak.`,
      );
      this.#peakView.el.dataset.generation = String(gen);
      if (s.view === 'peak') this.#panel.showHint('The snapshot has no peak composition.');
      return;
    }
    const groups = s.keyType === 'filename' ? 'file' : s.keyType === 'lineno' ? 'line' : 'traceback';
    this.#peakView.setHeader(
      `Peak: ${formatSize(peak ?? composition.size)}${peakTime(summary)}`,
      ` · ${formatSize(composition.size)} in ${formatCount(composition.count)} blocks were live then, by ${groups}${s.cumulative ? ' (cumulative)' : ''}; the flame graph's width is bytes at the peak.${s.base !== null ? ' (The peak is the selected snapshot’s: the base is not used.)' : ''}`,
    );
    const t0 = performance.now();
    this.#setBusy(true);
    try {
      // The table is drawn as soon as it is there; the flame graph (slower: a tree of every call path) after it.
      const tableDone = this.#client.table(query);
      const flameDone = this.#client.flame(this.#selection(), 'after', s.bottomUp, true);
      flameDone.catch(() => undefined); // awaited below, after the table: its error is handled there
      const table = await tableDone;
      if (gen !== this.#peakGen) return;
      const previous = this.#peakTable;
      this.#peakTable = table;
      this.#peakSort = s.sort;
      const filtered = s.include.length > 0 || s.exclude.length > 0 || s.focus !== null;
      const empty = filtered ? 'No site live at the peak matches the filters.' : 'No site was live at the peak.';
      const order = this.#peakView.setTable(table, s.sort, null, empty);
      this.#peakView.el.dataset.tableGeneration = String(gen);
      this.timings.push({ op: 'peak-table', ms: performance.now() - t0 });
      if (previous !== undefined && previous !== table) this.#client.recycle(previous);
      if (s.view === 'peak') {
        if (order.length > 0) this.#peakView.table.handlers.select(order[0]);
        else this.#panel.showHint();
      }
      const flame = await flameDone;
      if (gen !== this.#peakGen) return;
      this.#peakView.setFlame(flame, s.search, empty);
      this.#peakView.el.dataset.generation = String(gen);
      this.timings.push({ op: 'peak', ms: performance.now() - t0 });
    } catch (error) {
      if (gen !== this.#peakGen) return;
      this.#peakKey = '';
      this.#error(`Could not compute the peak: ${(error as Error).message}`);
    } finally {
      if (gen === this.#peakGen) this.#setBusy(false);
    }
  }

  /** The worker id of the last snapshot the suspects were ranked over: their rows are of its table. */
  #leakSnapshot = 0;

  async #showLeakDetail(row: number): Promise<void> {
    const gen = ++this.#detailGen;
    this.#panel.showLoading();
    const query: TableQuery = { selection: { ...this.#selection(), snapshot: this.#leakSnapshot, base: null }, keyType: 'lineno', cumulative: false };
    try {
      const detail = await this.#client.detail(query, row);
      if (gen === this.#detailGen) this.#panel.showDetail(detail, this.#state.focus);
    } catch (error) {
      if (gen === this.#detailGen) this.#panel.showHint(`Could not load the traceback: ${(error as Error).message}`);
    }
  }

  #showFlamePath(node: number, graph = this.#flameGraph): void {
    const model = graph.model;
    if (model === undefined || node < 0) return;
    const path = graph.path(node).slice(1); // without the root
    const frames = path.map((n) => model.frames[model.frame[n]]).reverse();
    if (frames.length === 0) {
      this.#panel.showHint(`All memory: ${formatSize(model.value[0])} in ${formatCount(model.count[0])} blocks. Click a box to see its call path.`);
      return;
    }
    this.#panel.showPath(frames, model.compare ? model.after[node] : model.value[node], model.count[node], model.compare ? model.before[node] : undefined, this.#state.focus, model.estimated);
  }

  #focusFrame(ref: FrameRef): void {
    const s = this.#state;
    const same = s.focus !== null && JSON.stringify(s.focus) === JSON.stringify(ref);
    this.setState({ focus: same ? null : ref });
  }

  // ── export, copy, theme, keyboard ────────────────────────────────────────

  #exportName(ext: string): string {
    const name = this.#snapshots[this.#state.snapshot]?.summary.name ?? 'snapshot';
    const stem = name.replace(/\.wtmsnap$/i, '').replace(/[^\w.-]+/g, '_').slice(0, 80) || 'snapshot';
    return `${stem}.${this.#state.base !== null ? 'diff.' : ''}${this.#state.keyType}.${ext}`;
  }

  async #exportJson(): Promise<void> {
    if (this.#snapshots.length === 0) return;
    try {
      const json = await this.#client.exportJson(this.#query(), this.#state.sort);
      download(this.#exportName('json'), json, 'application/json');
      this.#status.textContent = `Exported ${this.#exportName('json')}`;
    } catch (error) {
      this.#error(`Could not export JSON: ${(error as Error).message}`);
    }
  }

  async #exportPprof(): Promise<void> {
    if (this.#snapshots.length === 0) return;
    try {
      const bytes = await this.#client.exportPprof(this.#selection());
      const name = this.#exportName('pb.gz').replace(/\.(filename|lineno|traceback)\./, '.').replace('.diff.', '.');
      download(name, bytes, 'application/gzip');
      this.#status.textContent = `Exported ${name} (the selected snapshot's traces; pprof compares with -diff_base)`;
    } catch (error) {
      this.#error(`Could not export pprof: ${(error as Error).message}`);
    }
  }

  async #copy(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      this.#status.textContent = 'Copied.';
    } catch {
      this.#status.textContent = 'Could not copy: the browser refused access to the clipboard.';
    }
  }

  #initTheme(): void {
    let saved: string | null = null;
    try {
      saved = localStorage.getItem('wtm-theme');
    } catch {
      // storage disabled
    }
    this.#applyTheme(saved === 'light' || saved === 'dark' ? saved : 'auto');
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.#applyTheme(this.#theme));
  }

  #cycleTheme(): void {
    const next: Theme = this.#theme === 'auto' ? 'light' : this.#theme === 'light' ? 'dark' : 'auto';
    try {
      localStorage.setItem('wtm-theme', next);
    } catch {
      // storage disabled: the theme lasts until reload
    }
    this.#applyTheme(next);
  }

  #applyTheme(theme: Theme): void {
    this.#theme = theme;
    const dark = theme === 'dark' || (theme === 'auto' && matchMedia('(prefers-color-scheme: dark)').matches);
    document.documentElement.dataset.theme = theme;
    document.documentElement.dataset.resolvedTheme = dark ? 'dark' : 'light';
    this.#header.setTheme(theme);
    if (this.#flame !== undefined) this.#flameGraph.setSearch(this.#state.search); // redraw in the new colours
  }

  #shortcut(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (this.#help.open) return;
    if (isTyping(e.target)) {
      if (e.key === 'Escape' && e.target instanceof HTMLElement) e.target.blur();
      return;
    }
    const s = this.#state;
    const has = this.#snapshots.length > 0;
    const groups: Record<string, KeyType> = { '1': 'filename', '2': 'lineno', '3': 'traceback' };
    switch (e.key) {
      case '?':
        this.#help.showModal();
        break;
      case 'o':
        this.#picker.open();
        break;
      case '/':
        if (!has) return;
        if (s.view === 'flame') this.#flameGraph.focusSearch();
        else this.#toolbar.focusFilter();
        break;
      case 't':
        if (!has) return;
        this.setState({ view: 'table' });
        this.#statsTable.focus();
        break;
      case 'f':
        if (!has) return;
        this.setState({ view: 'flame' });
        this.#flameGraph.canvas.focus();
        break;
      case 'l':
        if (!has) return;
        this.setState({ view: 'leaks' });
        break;
      case 'p':
        if (!has) return;
        this.setState({ view: 'peak' });
        break;
      case '1':
      case '2':
      case '3':
        this.setState({ keyType: groups[e.key] });
        break;
      case 'c':
        this.setState({ cumulative: !s.cumulative });
        break;
      case 's': {
        const cycle = s.base === null ? SORT_CYCLE : DIFF_SORT_CYCLE;
        this.setState({ sort: cycle[(cycle.indexOf(s.sort) + 1) % cycle.length] });
        break;
      }
      case '[':
        this.setState({ snapshot: Math.max(0, s.snapshot - 1) });
        break;
      case ']':
        this.setState({ snapshot: Math.min(this.#snapshots.length - 1, s.snapshot + 1) });
        break;
      case 'b':
        this.setState({ base: s.base !== null ? null : s.snapshot > 0 ? s.snapshot - 1 : null });
        break;
      case 'y': {
        const text = this.#statsTable.selectedText();
        if (text !== undefined) void this.#copy(text);
        break;
      }
      case 'Escape':
        if (s.focus === null) return;
        this.setState({ focus: null });
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /**
   * The URL names what a reload can fetch again: every snapshot opened by URL and,
   * of the dev server's, only the shown pair (the rest stay in the live bar's
   * list), so it does not grow with every live snapshot. snap= and base= count in
   * that list; a snapshot opened from a local file has no URL, so neither is written
   * for it (a reload would show another snapshot, or none).
   */
  #writeUrl(): void {
    const s = this.#state;
    const named = this.#snapshots.flatMap((x, i) => (x.input.url !== undefined && (x.input.origin !== 'live' || i === s.snapshot || i === s.base) ? [i] : []));
    const urls = named.map((i) => this.#snapshots[i].input.url!);
    const snapshot = named.indexOf(s.snapshot);
    const base = s.base === null || snapshot < 0 ? -1 : named.indexOf(s.base);
    const state = { ...s, snapshot: Math.max(0, snapshot), base: base >= 0 ? base : null, sort: base < 0 && s.base !== null && s.sort === defaultSort(s.base) ? defaultSort(null) : s.sort };
    const params = encodeUrlState({ state, urls });
    const query = params.toString();
    const url = `${location.pathname}${query ? `?${query}` : ''}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
  }
}

/** The empty page under the Vite plugin: snapshots arrive from the live bar or the app. */
function liveEmptyState(open: () => void): HTMLElement {
  return h(
    'section',
    { class: 'empty-state live-empty', attrs: { 'aria-labelledby': 'empty-title' } },
    h('h1', { attrs: { id: 'empty-title' }, text: 'Waiting for a snapshot' }),
    h('p', { text: 'Every open tab of your app (each page and each Web Worker has its own trace table) is listed in the Live bar above, with its traced memory now.' }),
    h('ol', {}, h('li', { text: 'Press “Snapshot now” on a tab.' }), h('li', { text: 'Use the app.' }), h('li', { text: 'Press “Snapshot now” again, then “Compare”: the diff shows what grew, largest first, with its tracebacks.' })),
    h('p', {}, 'Snapshots taken by app code appear here too:'),
    h('pre', {}, h('code', { text: "import { takeSnapshot } from '@wasm-tracemalloc/vite-plugin/client';\nawait takeSnapshot();" })),
    h('div', { class: 'empty-actions' }, h('button', { text: 'Open snapshot files…', on: { click: open } }), h('span', { class: 'hint', text: 'or drop .wtmsnap files anywhere on this page' })),
  );
}

/**
 * When the traced peak was reached, from the samples: the first sample whose
 * "highest since the previous sample" is the peak (it was reached after the
 * previous sample and by this one).
 */
function peakTime(summary: SnapshotSummary): string {
  const x = summary.samples;
  const peak = num(summary.meta.peak);
  if (x === undefined || peak === undefined) return '';
  const i = x.peak.findIndex((p) => p >= peak);
  if (i < 0) return '';
  const by = `+${(x.time[i] / 1000).toFixed(2)} s`;
  return i > 0 ? `, reached between +${(x.time[i - 1] / 1000).toFixed(2)} s and ${by} (${formatTime(x.start + x.time[i])})` : `, reached by ${by} (${formatTime(x.start + x.time[i])})`;
}

/** When a snapshot was taken: the dev server's time for one it holds (which its number follows), else its file's. */
function timeOf(x: Loaded): number | undefined {
  return x.input.live?.timestamp ?? num(x.summary.meta.timestamp);
}

/** Time order: by time (the server's number between equal times), undated ones last. */
function byTime(a: Loaded, b: Loaded): number {
  const [ta, tb] = [timeOf(a), timeOf(b)];
  if (ta === undefined || tb === undefined) return ta === undefined ? (tb === undefined ? 0 : 1) : -1;
  return ta - tb || (a.input.live !== undefined && b.input.live !== undefined ? a.input.live.id - b.input.live.id : 0);
}

/** Where a snapshot goes in a time-ordered list: after every one not later than it (undated ones last, in arrival order). */
function timeOrderIndex(list: readonly Loaded[], x: Loaded): number {
  let at = list.length;
  while (at > 0 && byTime(list[at - 1], x) > 0) at--;
  return at;
}

function num(v: number | string | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function helpDialog(): HTMLDialogElement {
  const rows: Array<[string, string]> = [
    ['o', 'Open snapshot files'],
    ['t / f / l / p', 'Statistics table / flame graph / leak suspects / the peak'],
    ['1 2 3', 'Group by file, line, traceback'],
    ['c', 'Cumulative on / off'],
    ['s', 'Next sort order'],
    ['/', 'Filter files (table) or search frames (flame graph)'],
    ['[ ]', 'Previous / next snapshot'],
    ['b', 'Compare with the previous snapshot, or stop comparing'],
    ['↑ ↓ PgUp PgDn Home End', 'Move through the table'],
    ['y', 'Copy the selected row as tracemalloc prints it'],
    ['← → ↑ ↓ Enter', 'Flame graph: move between boxes, zoom'],
    ['Esc', 'Zoom out (flame graph) · remove the frame filter'],
    ['?', 'This help'],
  ];
  const dialog = h('dialog', { class: 'help', attrs: { 'aria-labelledby': 'help-title' } });
  const table = h('table', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', {}, h('kbd', { text: k })), h('td', { text: v }))));
  dialog.append(
    h('h2', { attrs: { id: 'help-title' }, text: 'Keyboard shortcuts' }),
    table,
    h('form', { attrs: { method: 'dialog' } }, h('button', { class: 'primary', text: 'Close', attrs: { autofocus: true } })),
  );
  return dialog;
}
