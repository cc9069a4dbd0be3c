#!/usr/bin/env bash
# One-time set-up for a fresh machine of this kind (Debian 12, Node 20, root) and a
# no-op on a prepared one: Debian toolchains for the Wasm fixtures, pnpm, the
# workspace's dependencies, the build, and the test fixtures built from source.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32   # C -> wasm32-wasi
  libc++-19-dev-wasm32 libc++abi-19-dev-wasm32           # C++ -> wasm32-wasi
  rustc libstd-rust-dev-wasm32 lld-14                    # Rust -> wasm32-wasi / -unknown-unknown
  chromium                                               # viewer tests and bench (puppeteer-core)
  firefox-esr                                            # the same tracebacks in SpiderMonkey (test/engines.test.ts)
  webkit2gtk-driver xvfb xauth                           # ... and in JavaScriptCore, WebKitGTK under Xvfb
  golang-go                                              # go tool pprof reads our pprof export (test/pprof.test.ts)
  emscripten                                             # -pthread test programs (test/threads); 3.1.6 with a frozen cache
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PNPM_VERSION=12.21.0
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

# The install, the build and the fixtures cost ~30 s even when nothing changed: they
# run only when their inputs differ from those of the last set-up that succeeded. The
# stamp lists every input file with its size and modification time (so an edit, a new
# file, a deletion or a checkout all count), the Node and pnpm versions and the
# fixtures' compilers; the outputs must exist too. WTM_SETUP_FORCE=1 runs everything anyway.
STAMP=node_modules/.cache/wasm-tracemalloc-setup.stamp
inputs_stamp() {
  {
    node --version
    pnpm --version
    # The fixtures' compilers: an upgrade rebuilds them (build.sh compares their times).
    for t in clang-19 clang++-19 /usr/bin/rustc /usr/share/emscripten/emcc.py; do stat -L -c '%n %s %Y' "$(command -v "$t")" 2>/dev/null || echo "no $t"; done
    find package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig*.json scripts \
         packages/*/package.json packages/*/tsconfig*.json packages/*/src packages/*/index.html \
         packages/*/vite.config.ts packages/runtime/assembly packages/runtime/scripts \
         test/package.json bench/package.json demo/package.json \
         test/fixtures/build.sh test/fixtures/build-as.mjs test/fixtures/src \
         test/threads/build.sh test/threads/src \
         -type f ! -name '*.generated.ts' -printf '%p %s %T@\n' 2>/dev/null | LC_ALL=C sort || true  # a path that is gone is no error
  } | sha256sum | cut -d' ' -f1
}
outputs_exist() {
  [ -f node_modules/.modules.yaml ] && [ -d test/fixtures/build ] && [ -d test/threads/build ] || return 1
  local p
  for p in packages/*/package.json; do
    # Every package with a build script has its dist/.
    grep -q '"build"' "$p" && { [ -d "$(dirname "$p")/dist" ] || return 1; }
  done
  return 0
}
stamp="$(inputs_stamp)"
if [ "${WTM_SETUP_FORCE:-}" != 1 ] && outputs_exist && [ "$(cat "$STAMP" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm run -s build
bash test/fixtures/build.sh
bash test/threads/build.sh
mkdir -p "$(dirname "$STAMP")"
echo "$stamp" > "$STAMP"
