// picomatch 4 ships no types (and @types/picomatch is not a dependency): the one call this package makes.
declare module 'picomatch' {
  interface PicomatchOptions {
    matchBase?: boolean;
    nocase?: boolean;
    dot?: boolean;
  }
  export default function picomatch(glob: string | string[], options?: PicomatchOptions): (path: string) => boolean;
}
