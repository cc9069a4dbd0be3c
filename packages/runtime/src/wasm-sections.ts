// Finds custom sections in raw module bytes without compiling the module, and
// reads the module name from the name section. Malformed input yields nothing: the
// engine's own compile step reports it properly.

function leb(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length || shift > 28) return [-1, pos];
    const b = bytes[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

export function customSections(bytes: Uint8Array, wanted: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return out;
  const decoder = new TextDecoder();
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const [size, start] = leb(bytes, pos);
    if (size < 0 || start + size > bytes.length) return out;
    if (id === 0) {
      const [nameLen, nameStart] = leb(bytes, start);
      if (nameLen >= 0 && nameStart + nameLen <= start + size) {
        const name = decoder.decode(bytes.subarray(nameStart, nameStart + nameLen));
        if (name === wanted) out.push(bytes.subarray(nameStart + nameLen, start + size));
      }
    }
    pos = start + size;
  }
  return out;
}

/** The module name from the name section (subsection 0), if any. */
export function moduleNameOf(bytes: Uint8Array): string | undefined {
  const [names] = customSections(bytes, 'name');
  if (!names) return undefined;
  let pos = 0;
  while (pos < names.length) {
    const id = names[pos++]!;
    const [size, start] = leb(names, pos);
    if (size < 0) return undefined;
    if (id === 0) {
      const [len, s] = leb(names, start);
      if (len < 0 || s + len > names.length) return undefined;
      return new TextDecoder().decode(names.subarray(s, s + len));
    }
    pos = start + size;
  }
  return undefined;
}
