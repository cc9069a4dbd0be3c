import { describe, expect, it } from 'vitest';
import { nframeOption, parse, REPORT_OPTIONS, sizeOption, UsageError } from './args.js';

describe('sizeOption', () => {
  it("reads sizes as pytest-memray (and @wasm-tracemalloc/vitest) do: KB = KiB = 1024 B", () => {
    expect(sizeOption('1000', 'limit-leaks')).toBe(1000);
    expect(sizeOption('1MB', 'limit-leaks')).toBe(1024 ** 2);
    expect(sizeOption('1 mb', 'limit-leaks')).toBe(1024 ** 2);
    expect(sizeOption('512KiB', 'limit-leaks')).toBe(524_288);
    expect(sizeOption('1.5GiB', 'limit-leaks')).toBe(1_610_612_736);
    expect(sizeOption(undefined, 'limit-leaks')).toBeUndefined();
  });

  it('refuses what is not a size with a usage error naming the flag', () => {
    for (const bad of ['', 'MB', '-1MB', '1 parsec', '1e6', '1,000']) {
      expect(() => sizeOption(bad, 'limit-memory'), bad).toThrow(UsageError);
      expect(() => sizeOption(bad, 'limit-memory'), bad).toThrow(`--limit-memory ${JSON.stringify(bad)} is not a size`);
    }
  });
});

describe('parse', () => {
  const options = { top: { type: 'string' }, cumulative: { type: 'boolean' }, output: { type: 'string', short: 'o' } } as const;

  it('names an unknown long or short flag and lists the valid ones', () => {
    expect(() => parse(['--topp', '3'], options)).toThrow(new UsageError('unknown option --topp; the options are --top, --cumulative, --output'));
    expect(() => parse(['--topp=3'], options)).toThrow('unknown option --topp;');
    expect(() => parse(['-x'], options)).toThrow('unknown option -x;');
  });

  it('says which option lacks its value, and which takes none', () => {
    expect(() => parse(['--top'], options)).toThrow(new UsageError('--top needs a value'));
    expect(() => parse(['--cumulative=yes'], options)).toThrow(new UsageError('--cumulative takes no value'));
    expect(() => parse(['--top', '-3'], options)).toThrow(new UsageError('--top needs a value; to give one that starts with "-", write --top=-3'));
    expect(() => parse(['--top', '--cumulative'], options)).toThrow('--top needs a value;');
  });

  it('takes values in both spellings and leaves what follows -- alone', () => {
    const { values, positionals } = parse(['-o', 'x.wasm', '--top=3', 'in.wasm', '--', '--bogus'], options);
    expect(values).toEqual({ output: 'x.wasm', top: '3' });
    expect(positionals).toEqual(['in.wasm', '--bogus']);
  });

  it('knows the run and node options', () => {
    expect(parse(['--limit-leaks', '1MB', '--report', 'json', '--no-cache'], REPORT_OPTIONS).values).toEqual({ 'limit-leaks': '1MB', report: 'json', 'no-cache': true });
  });
});

describe('nframeOption', () => {
  it('takes 1 to 128, the frames the shadow stack keeps', () => {
    expect(nframeOption(undefined)).toBe(1);
    expect(nframeOption('128')).toBe(128);
    expect(() => nframeOption('129')).toThrow('--nframe must be an integer from 1 to 128 (the frames the shadow stack keeps), got "129"');
    expect(() => nframeOption('0')).toThrow('--nframe must be an integer from 1 to 128');
  });
});
