/**
 * Snapshot files chosen by the user: a file picker (`<input type=file>`) and drag
 * and drop onto the page. Both deliver every file given; what is not a snapshot is
 * found out when it is read and loaded, and reported with its name.
 */

import type { DataSink, DataSource, SnapshotInput } from './data-source.js';

export function fileInput(file: File): SnapshotInput {
  return {
    name: file.name,
    origin: 'file',
    read: async () => {
      try {
        return new Uint8Array(await file.arrayBuffer());
      } catch (error) {
        throw new Error(`could not read ${file.name}: ${(error as Error).message}`);
      }
    },
  };
}

/** Files from an `<input type=file multiple>` (the "Open" button). */
export class FilePickerSource implements DataSource {
  readonly kind = 'file';
  #sink: DataSink | undefined;
  readonly #onChange = () => {
    const files = [...(this.input.files ?? [])];
    this.input.value = ''; // choosing the same file again fires change again
    for (const f of files) this.#sink?.snapshot(fileInput(f));
  };

  constructor(readonly input: HTMLInputElement) {}

  connect(sink: DataSink): void {
    this.#sink = sink;
    this.input.addEventListener('change', this.#onChange);
  }

  disconnect(): void {
    this.input.removeEventListener('change', this.#onChange);
    this.#sink = undefined;
  }

  open(): void {
    this.input.click();
  }
}

/** Files dropped anywhere on `target`; `onHover` shows or hides a drop hint. */
export class DropSource implements DataSource {
  readonly kind = 'file';
  #sink: DataSink | undefined;
  #depth = 0;

  constructor(
    readonly target: HTMLElement,
    readonly onHover: (hovering: boolean) => void,
  ) {}

  readonly #enter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (this.#depth++ === 0) this.onHover(true);
  };
  readonly #over = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  };
  readonly #leave = () => {
    if (this.#depth > 0 && --this.#depth === 0) this.onHover(false);
  };
  readonly #drop = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    this.#depth = 0;
    this.onHover(false);
    for (const f of [...(e.dataTransfer?.files ?? [])]) this.#sink?.snapshot(fileInput(f));
  };

  connect(sink: DataSink): void {
    this.#sink = sink;
    this.target.addEventListener('dragenter', this.#enter);
    this.target.addEventListener('dragover', this.#over);
    this.target.addEventListener('dragleave', this.#leave);
    this.target.addEventListener('drop', this.#drop);
  }

  disconnect(): void {
    this.target.removeEventListener('dragenter', this.#enter);
    this.target.removeEventListener('dragover', this.#over);
    this.target.removeEventListener('dragleave', this.#leave);
    this.target.removeEventListener('drop', this.#drop);
    this.#sink = undefined;
  }
}

function hasFiles(e: DragEvent): boolean {
  return e.dataTransfer?.types.includes('Files') ?? false;
}
