import { describe, expect, it } from 'vitest';
import { terminalText } from './terminal-text.js';

describe('terminalText', () => {
  it('shows ESC, NUL, CR, LF and other C0 controls as escapes, as ls -b does', () => {
    expect(terminalText('leak\x1b]0;owned\x07.c')).toBe('leak\\e]0;owned\\a.c');
    expect(terminalText('\x1b[2J\x1b[31mred')).toBe('\\e[2J\\e[31mred');
    expect(terminalText('a\0b\rc\nd\x01\x1f')).toBe('a\\0b\\rc\\nd\\x01\\x1f');
  });

  it('escapes DEL and the C1 controls (U+009B is a one-character CSI)', () => {
    expect(terminalText('x\x7fy\x9b2Jz\x85')).toBe('x\\x7fy\\x9b2Jz\\x85');
  });

  it('escapes bidi overrides and isolates, line separators and lone surrogates', () => {
    expect(terminalText('admin\u202egpj.exe')).toBe('admin\\u{202e}gpj.exe');
    expect(terminalText('\u2066a\u2069\u2028')).toBe('\\u{2066}a\\u{2069}\\u{2028}');
    expect(terminalText('bad\ud800end')).toBe('bad\\u{d800}end');
  });

  it('leaves printable text of any script, emoji, TAB and backslashes alone', () => {
    const text = '\tFile "/src/größe_日本.rs", line 24  🦀 printf("\\n")';
    expect(terminalText(text)).toBe(text);
  });
});
