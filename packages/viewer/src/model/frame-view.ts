/**
 * A frame as the views receive it from the analysis: plain data (it crosses the
 * Worker boundary), with the source line when the snapshot carries one. Every
 * string here comes from the traced module and is untrusted: views set it as
 * text, never as markup.
 */

import type { FrameRef } from './view-state.js';

export interface FrameView {
  /** tracemalloc's text of the frame: `leak.c:14` or `leak.wasm:leak_nodes+0x1bc`. */
  text: string;
  filename: string;
  lineno: number;
  function?: string;
  offset?: number;
  /** The source line, when the snapshot has it (FrameData.source). */
  source?: string;
}

/** What the frame is called in a flame graph box: the function, and where in it. */
export function frameLabel(f: FrameView): string {
  if (f.lineno > 0) return f.function !== undefined ? `${f.function} ${basename(f.filename)}:${f.lineno}` : `${basename(f.filename)}:${f.lineno}`;
  if (f.offset !== undefined) return `${f.function ?? basename(f.filename)}+0x${f.offset.toString(16)}`;
  return f.function ?? f.text;
}

/** The function's name, or the frame's text when it has none: for short caller lists. */
export function frameName(f: FrameView): string {
  return f.function ?? f.text;
}

export function frameRefOf(f: FrameView): FrameRef {
  const ref: FrameRef = { filename: f.filename, lineno: f.lineno };
  if (f.function !== undefined) ref.function = f.function;
  if (f.offset !== undefined) ref.offset = f.offset;
  return ref;
}

/** Where the frame is, as Python's traceback module prints it (without the `File` prefix). */
export function frameLocation(f: FrameView): string {
  if (f.lineno > 0 || f.offset === undefined) return `${f.filename}, line ${f.lineno}`;
  return `${f.filename}, offset 0x${f.offset.toString(16)}`;
}

function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
