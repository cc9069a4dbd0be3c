// Names in a report come from the module (function names, DWARF file names, source
// lines): untrusted bytes. Printed raw, an ESC starts a terminal escape sequence (set
// the title, clear the screen, recolour), NUL and CR hide text, and bidi overrides
// reorder what a reader sees. Like `ls -b` and git's core.quotePath, every such
// character is shown as a visible escape instead; printable text (any script) and TAB
// (indentation of source lines) pass unchanged.

const NAMED: Record<string, string> = { '\0': '\\0', '\x07': '\\a', '\b': '\\b', '\x1b': '\\e', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\v': '\\v' };

/**
 * C0 controls but TAB, DEL, C1 controls (U+0080–U+009F: U+009B is a one-character
 * CSI), the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
 * the line and paragraph separators, and lone surrogates.
 */
const UNSAFE = /[\0-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** One line of text made safe to write to a terminal: no character in it acts on the terminal. */
export function terminalText(line: string): string {
  return line.replace(UNSAFE, escapeOne);
}
