import { describe, expect, it } from 'vitest';
import { decodeUrlState, encodeUrlState } from './url-state.js';
import { DEFAULT_VIEW_STATE, normalizeViewState, parseGlobs, type ViewState } from './view-state.js';

describe('URL state', () => {
  it('writes nothing for the default state', () => {
    expect(encodeUrlState({ state: { ...DEFAULT_VIEW_STATE }, urls: [] }).toString()).toBe('');
  });

  it('round-trips every field, including a frame filter whose strings hold JSON and markup', () => {
    const state: ViewState = {
      snapshot: 2,
      base: 0,
      keyType: 'traceback',
      cumulative: false,
      sort: 'countDiff',
      include: ['*.wasm', 'lib?.c'],
      exclude: ['libc*'],
      allFrames: true,
      domains: [1, 3],
      threads: [0, 3],
      focus: { filename: '"a",]<b>.wasm', lineno: 0, function: 'f&g', offset: 444 },
      view: 'flame',
      search: 'leak nodes',
      bottomUp: true,
    };
    const urls = ['before.wtmsnap', 'https://example.test/x y.wtmsnap'];
    const text = encodeUrlState({ state, urls }).toString();
    expect(text).toContain('url=before.wtmsnap&url=https');
    expect(decodeUrlState(new URLSearchParams(text))).toEqual({ state, urls });
  });

  it('opens a diff largest |Δ size| first unless the URL names another order, and writes only the other orders', () => {
    expect(decodeUrlState(new URLSearchParams('url=a&url=b&snap=1&base=0')).state.sort).toBe('sizeDiff');
    expect(decodeUrlState(new URLSearchParams('url=a&url=b&snap=1&base=0&sort=size')).state.sort).toBe('size');
    expect(encodeUrlState({ state: { ...DEFAULT_VIEW_STATE, snapshot: 1, base: 0, sort: 'sizeDiff' }, urls: [] }).toString()).toBe('snap=1&base=0');
    expect(encodeUrlState({ state: { ...DEFAULT_VIEW_STATE, snapshot: 1, base: 0, sort: 'size' }, urls: [] }).toString()).toBe('snap=1&base=0&sort=size');
  });

  it('ignores what it does not understand', () => {
    const { state } = decodeUrlState(new URLSearchParams('snap=-1&base=x&key=size&sort=evil&dom=1,a&focus=[1,2]&view=nope&cum=yes'));
    expect(state).toEqual({ ...DEFAULT_VIEW_STATE, include: [], exclude: [] });
    expect(decodeUrlState(new URLSearchParams('focus={"__proto__":1}')).state.focus).toBeNull();
    expect(decodeUrlState(new URLSearchParams('dom=')).state.domains).toEqual([]);
  });

  it('normalizes: no cumulative by traceback, no diff sort without a base, indices in range', () => {
    const s = normalizeViewState({ ...DEFAULT_VIEW_STATE, keyType: 'traceback', cumulative: true, sort: 'sizeDiff', snapshot: 7, base: 7 }, 3);
    expect(s).toMatchObject({ cumulative: false, sort: 'size', snapshot: 2, base: null });
    expect(normalizeViewState({ ...DEFAULT_VIEW_STATE, snapshot: 1, base: 1 }, 3).base).toBeNull();
  });

  it('splits globs on commas and spaces', () => {
    expect(parseGlobs(' *.wasm, libc*  a?b ')).toEqual(['*.wasm', 'libc*', 'a?b']);
  });
});
