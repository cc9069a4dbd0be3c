// The page's three-step guide: take a snapshot, act, take another; the diff's top
// rows are shown here (the runtime's Snapshot.compareTo) and, under the dev server,
// the whole diff opens in the viewer. Snapshots come from the plugin's client, so
// they also appear in the live viewer.
import { isLive, isTraced, takeSnapshot, viewerUrl, type TabSnapshot } from '@wasm-tracemalloc/vite-plugin/client';

const ROWS = 3;

export function setUpGuide(): void {
  const button = document.querySelector<HTMLButtonElement>('#take-snapshot')!;
  const status = document.querySelector<HTMLElement>('#snapshot-status')!;
  const diff = document.querySelector<HTMLOListElement>('#diff')!;
  const viewerLine = document.querySelector<HTMLElement>('#viewer-link-line')!;
  const viewerLink = document.querySelector<HTMLAnchorElement>('#viewer-link')!;
  const taken: TabSnapshot[] = [];

  if (!isTraced()) {
    button.disabled = true;
    status.textContent = 'This build is not traced: build it with wasmTracemalloc({ build: true }).';
    return;
  }
  // A built app has no dev server, hence no live viewer.
  if (!isLive()) document.querySelector('#live-link')?.parentElement?.remove();

  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const s = await takeSnapshot();
      taken.push(s);
      const n = taken.length;
      const current = Number(s.snapshot.meta.current ?? 0);
      status.textContent = `Snapshot ${n} taken: ${formatKiB(current)} traced.${n === 1 ? ' Now press “Open 100 new profiles” a few times, then take another.' : ''}`;
      if (n < 2) return;
      const before = taken[n - 2];
      const stats = s.snapshot.compareTo(before.snapshot, 'lineno').slice(0, ROWS);
      diff.replaceChildren(
        ...stats.map((stat) => {
          const li = document.createElement('li');
          li.className = 'row';
          li.title = String(stat);
          const frame = stat.traceback.mostRecent;
          const where = document.createElement('code');
          where.className = 'where';
          where.textContent = String(frame) + (frame.function && !frame.isOffsetFrame ? ` in ${frame.function}` : '');
          const delta = document.createElement('span');
          delta.className = `delta ${stat.sizeDiff > 0 ? 'up' : stat.sizeDiff < 0 ? 'down' : ''}`;
          delta.textContent = String(stat).slice(String(stat.traceback).length + 2);
          li.append(where);
          if (frame.source) {
            const source = document.createElement('code');
            source.className = 'source';
            source.textContent = frame.source.trim();
            li.append(source);
          }
          li.append(delta);
          return li;
        }),
      );
      diff.hidden = false;
      // The dev server's numbers when it holds them: the ones its live page and the viewer show.
      const [now, then] = s.info && before.info ? [s.info.id, before.info.id] : [n, n - 1];
      status.textContent = `Snapshot #${now} compared with snapshot #${then}, largest change first:`;
      if (s.info && before.info) {
        viewerLink.href = viewerUrl(s.info, before.info);
        viewerLine.hidden = false;
      }
    } catch (error) {
      status.textContent = `Could not take a snapshot: ${(error as Error).message}`;
    } finally {
      button.disabled = false;
      document.body.dataset.snapshots = String(taken.length);
    }
  });
}

function formatKiB(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}
