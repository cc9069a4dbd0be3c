#!/usr/bin/env bash
# Builds the demo's Wasm modules from source into src/generated/ (gitignored):
#
#   profiles.wasm   wasm/profiles.c, clang-19 --target=wasm32-wasi -O2 -g, a reactor
#                   (_initialize + exported functions, no WASI imports)
#   words.wasm      wasm/words.ts, AssemblyScript --debug --exportRuntime, with asc's
#   words.js          "raw" bindings (instantiate(module, imports): strings in and out)
#
# Idempotent: a target is rebuilt only when it is missing or older than its source,
# this script or the compiler. Needs clang-19, lld-19, wasi-libc and
# libclang-rt-19-dev-wasm32 (scripts/setup.sh installs them) and `pnpm install`.
# Override the compiler with CLANG=.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/src/generated"
SELF="$HERE/build-wasm.sh"
CLANG="${CLANG:-clang-19}"
ASC="$HERE/node_modules/assemblyscript/bin/asc.js"

die() { echo "demo/build-wasm.sh: $*" >&2; exit 1; }

# clang runs any wasm-opt on PATH after an optimized link (Debian's emscripten pulls
# binaryen's in), which would strip the name section the demo's frames need: put a
# wasm-opt that leaves the linked file as it is first on PATH.
NO_WASM_OPT="$(mktemp -d)"
printf '#!/bin/sh\nexit 0\n' > "$NO_WASM_OPT/wasm-opt"
chmod +x "$NO_WASM_OPT/wasm-opt"
export PATH="$NO_WASM_OPT:$PATH"
CLANG_BIN="$(readlink -f "$(command -v "$CLANG" 2>/dev/null)")" || die "missing $CLANG (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32, or run bash scripts/setup.sh)"
[ -f "$ASC" ] || die "AssemblyScript is not installed at $ASC (run pnpm install)"

# newer OUT DEP... : OUT exists and is newer than every DEP
newer() {
  local out="$1"; shift
  [ -f "$out" ] || return 1
  local d
  for d in "$@"; do [ "$out" -nt "$d" ] || return 1; done
}

mkdir -p "$OUT"
# One build at a time (test files running in parallel may all call this script).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock 9
fi
TMP="$(mktemp -d "$OUT/.tmp.XXXXXX")"
trap 'rm -rf "$TMP" "$NO_WASM_OPT"' EXIT

# -O2 keeps load_profile and cache_put as functions of their own (NOINLINE), so each
# allocation site is named in the name section; -g adds that name section and DWARF.
if ! newer "$OUT/profiles.wasm" "$HERE/wasm/profiles.c" "$SELF" "$CLANG_BIN"; then
  echo "+ $CLANG --target=wasm32-wasi -O2 -g -mexec-model=reactor wasm/profiles.c" >&2
  # From demo/, with a relative path: DWARF (and so every frame) names wasm/profiles.c
  # wherever the script is started from.
  (cd "$HERE" && "$CLANG" --target=wasm32-wasi -O2 -g -Wall -Wextra -Werror -mexec-model=reactor \
    -o "$TMP/profiles.wasm" wasm/profiles.c)
  mv -f "$TMP/profiles.wasm" "$OUT/profiles.wasm"
fi

# Not -O: optimized AssemblyScript inlines ~lib/rt/tlsf/__free into the collector,
# and the frees the GC makes would go untraced. --debug keeps the name section.
if ! newer "$OUT/words.wasm" "$HERE/wasm/words.ts" "$SELF" "$ASC"; then
  echo "+ asc wasm/words.ts --debug --exportRuntime --bindings raw" >&2
  # From the source's directory: asc names functions after the path ("words/countWords").
  (cd "$HERE/wasm" && node "$ASC" words.ts --debug --exportRuntime --bindings raw -o "$TMP/words.wasm")
  mv -f "$TMP/words.js" "$OUT/words.js"
  mv -f "$TMP/words.d.ts" "$OUT/words.d.ts"
  mv -f "$TMP/words.wasm" "$OUT/words.wasm"
fi
echo "demo/build-wasm.sh: Wasm up to date in src/generated/" >&2
