#!/usr/bin/env bash
# Build the threaded test programs in test/threads/src with Emscripten -pthread into
# test/threads/build/<variant>/ (each emcc output is NAME.js + NAME.wasm + NAME.worker.js):
#   debug/handoff.js     -O1 -g: DWARF lines and a name section
#   release/handoff.js   -O2, no names: the instrumenter finds malloc through the exports
#   release/churn-mt.js  -O2 --profiling-funcs: names kept, for the threaded bench churn
#
# Idempotent: a program is rebuilt only when it is missing or older than its source,
# this script or emcc. Run them with NODE_OPTIONS=--no-experimental-fetch on Node 20
# (the 3.1.6 glue otherwise fetch()es the .wasm path as a URL and fails).
#
# Needs Debian's emscripten (3.1.6, with its frozen cache of the threaded libc and
# dlmalloc; it brings binaryen's wasm-opt, which emcc runs on purpose). Override with EMCC=.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$HERE/src"
OUT="$HERE/build"
SELF="$HERE/build.sh"
EMCC="${EMCC:-emcc}"

die() { echo "threads/build.sh: $*" >&2; exit 1; }
EMCC_BIN="$(command -v "$EMCC" 2>/dev/null)" || die "missing tool: $EMCC (apt-get install emscripten)"
EMCC_BIN="$(readlink -f "$EMCC_BIN")"
# /usr/bin/emcc is a shell wrapper; the compiler driver it runs is emcc.py.
EMCC_PY="$(dirname "$EMCC_BIN")/emcc.py"
[ -f "$EMCC_PY" ] || EMCC_PY="/usr/share/emscripten/emcc.py"
[ -f "$EMCC_PY" ] || EMCC_PY="$EMCC_BIN"

# Node 20 here is not Debian's nodejs, so it does not search /usr/share/nodejs, where
# node-acorn (emcc's JS optimizer at -O2) lives.
export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"

mkdir -p "$OUT"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock 9
fi
# emcc's glue is CommonJS, and test/package.json says "type": "module".
echo '{ "type": "commonjs" }' > "$OUT/package.json"
TMP="$OUT/.tmp"
mkdir -p "$TMP"
# Compile from a directory above none of the sources, with absolute source paths:
# DWARF then names …/test/threads/src/handoff.c whatever directory this started from.
cd "$TMP"

COMMON=(-pthread -sPTHREAD_POOL_SIZE=4 -sEXIT_RUNTIME=1 -sENVIRONMENT=node,worker)

up_to_date() {
  local out="$1"; shift
  [ -f "$out" ] || return 1
  local d
  for d in "$@"; do [ "$out" -nt "$d" ] || return 1; done
  return 0
}

# program VARIANT NAME SOURCE FLAGS... : emcc into a scratch directory under the final
# names (the glue names its .wasm and .worker.js after its own file), then move the three
# files into place, the .js last: it is what up_to_date checks.
program() {
  local variant="$1" name="$2" src="$3"; shift 3
  local dest="$OUT/$variant" dir="$TMP/$variant-$name"
  if up_to_date "$dest/$name.js" "$src" "$SELF" "$EMCC_PY"; then return 0; fi
  rm -rf "$dir" && mkdir -p "$dir" "$dest"
  echo "+ $EMCC $* $src -o $dir/$name.js" >&2
  "$EMCC" "$@" "$src" -o "$dir/$name.js" || { rm -rf "$dir"; die "FAILED: emcc $* $src"; }
  local f
  for f in "$name.wasm" "$name.worker.js"; do
    [ -f "$dir/$f" ] || die "emcc did not write $f"
    mv -f "$dir/$f" "$dest/$f"
  done
  mv -f "$dir/$name.js" "$dest/$name.js"
  rm -rf "$dir"
}

program debug handoff "$SRC/handoff.c" "${COMMON[@]}" -O1 -g
program release handoff "$SRC/handoff.c" "${COMMON[@]}" -O2
# Up to 8 threads, all from the pool: a pthread_create that must start a new worker
# waits for the main thread's event loop, which a joining main never returns to.
program release churn-mt "$SRC/churn-mt.c" -pthread -sPTHREAD_POOL_SIZE=8 -sEXIT_RUNTIME=1 \
  -sENVIRONMENT=node,worker -O2 --profiling-funcs

rmdir "$TMP" 2>/dev/null || true
echo "threads/build.sh: threaded programs up to date in $OUT" >&2
