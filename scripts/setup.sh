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

pnpm install --frozen-lockfile --reporter=silent
pnpm run -s build
bash test/fixtures/build.sh
