#!/usr/bin/env bash
# Does the published package work for someone who installs it? Packs the repo (prepack builds dist/),
# installs the tarball into an empty project in a temporary folder outside the repo, and there, with
# plain node (no tsx): runs the README's library example, type-checks a TypeScript consumer against
# the shipped .d.ts, bundles a page importing it with Vite, and runs `npx recur info` and a small
# `npx recur train`. Any failing step fails.
# Usage: bash tools/pack-test.sh   (npm run test:pack; CI runs it after npm test)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
t0=$SECONDS
step() { echo "pack-test: $*"; }
fail() { echo "pack-test: FAILED: $*" >&2; exit 1; }

(cd "$root" && npm pack --silent --pack-destination "$d" >"$d/pack.log" 2>&1) || { cat "$d/pack.log"; fail "npm pack"; }
tgz=$(ls "$d"/recur-*.tgz)
tar tzf "$tgz" | sed 's|^package/||' | sort >"$d/files.txt"
step "$(basename "$tgz"): $(wc -l <"$d/files.txt") files, $(du -k "$tgz" | cut -f1) KB"
for f in dist/index.js dist/index.d.ts dist/cli/main.js bin/recur.js binding.gyp tools/build-native.mjs wasm/recur.wasm wasm/recur-mt.wasm wasm/recur-relaxed.wasm wasm/recur-mt-relaxed.wasm data/uci-splice/splice.data README.md; do
  grep -qx "$f" "$d/files.txt" || fail "the tarball lacks $f"
done
if grep -E '^(src|test|bench|experiments|examples|build)/|\.test\.' "$d/files.txt"; then fail "the tarball ships development files (above)"; fi

app="$d/app"
mkdir "$app" && cd "$app"
npm init -y >/dev/null && npm pkg set type=module
# Strict: in CI the install script must build the native addon in the consumer's node_modules too.
RECUR_NATIVE_STRICT=1 npm install --no-audit --no-fund "$tgz" >"$d/install.log" 2>&1 || { cat "$d/install.log"; fail "npm install of the tarball"; }
for dev in tsx typescript @tensorflow/tfjs brain.js; do
  [ ! -e "node_modules/$dev" ] || fail "development package $dev was installed for a user"
done
step "installed: $(ls node_modules | tr '\n' ' ')"

# The README's library example, verbatim, as plain ESM, on the PyTorch-written fixture it loads.
cp "$root/test/fixtures/interop/lstm.safetensors" .
node -e '
  const md = require("fs").readFileSync(process.argv[1], "utf8");
  const m = /```ts\n([^`]*?from .recur.;[^`]*?)```/.exec(md);
  if (!m) { console.error("no ts block importing recur in README.md"); process.exit(1); }
  require("fs").writeFileSync("readme.mjs", m[1] + "console.log(`output ${output.shape.join(\"x\")}, state.h ${state.h.shape.join(\"x\")}, loss ${loss.item().toFixed(6)}, x.grad ${x.grad.shape.join(\"x\")}`);\n");
  require("fs").writeFileSync("readme.mts", m[1]);
' "$root/README.md"
out=$(node readme.mjs) || fail "README example with plain node"
step "README example with plain node: $out"

# A TypeScript consumer: the README example and a misuse the shipped types must reject.
cat >probe.mts <<'TS'
import { LSTM, Rng, randn, type Tensor } from 'recur';
const out: Tensor = new LSTM(3, 4).forward(randn([5, 2, 3], new Rng(0))).output;
// @ts-expect-error: forward returns { output, state }, not a Tensor (the types are real, not `any`)
export const wrong: Tensor = new LSTM(4, 4).forward(out);
// @ts-expect-error: an unknown option does not type-check
new LSTM(3, 4, { numLayer: 2 });
TS
cat >tsconfig.json <<'JSON'
{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"] },
  "files": ["readme.mts", "probe.mts"] }
JSON
# The shipped types mention Node's Buffer (io/), so the consumer has @types/node as Node projects do.
npm install --no-audit --no-fund --save-dev @types/node@20 >>"$d/install.log" 2>&1 || { tail -5 "$d/install.log"; fail "npm install @types/node"; }
"$root/node_modules/.bin/tsc" -p tsconfig.json || fail "TypeScript consumer type-check against the shipped .d.ts"
step "TypeScript consumer type-checks against the shipped types"

# A browser bundle of the installed package with Vite (the repo's devDependency): 'recur' resolves to
# dist/browser.js under the "browser" condition, the "browser" field swaps the kernels' platform, the wasm
# is emitted as an asset, and no Node built-in may be reached (Vite would stub it and say "externalized").
mkdir web
cat >web/main.js <<'JS'
import { initWasm, fetchCheckpoint, LSTM, Rng, randn, getBackend } from 'recur';
await initWasm();
const y = new LSTM(3, 4, { rng: new Rng(0) }).forward(randn([5, 2, 3], new Rng(1))).output;
document.body.textContent = `${getBackend().name} ${y.shape.join('x')} ${typeof fetchCheckpoint}`;
JS
echo '<!doctype html><script type="module" src="./main.js"></script>' >web/index.html
"$root/node_modules/.bin/vite" build web --logLevel warn >"$d/vite.log" 2>&1 || { cat "$d/vite.log"; fail "vite build of a page importing recur"; }
if grep -q 'externalized for browser compatibility' "$d/vite.log" || grep -q '__vite-browser-external' web/dist/assets/*.js; then cat "$d/vite.log"; fail "a Node built-in is reachable from recur's browser entry"; fi
ls web/dist/assets/*.wasm >/dev/null 2>&1 || fail "vite emitted no wasm asset for initWasm()"
step "vite build of a page importing recur: $(du -k web/dist/assets/*.js | cut -f1) KB JS + the wasm asset, no Node built-in"

npx --no-install recur info >"$d/info.log" 2>&1 || { cat "$d/info.log"; fail "npx recur info"; }
grep -q "^installed at: $app/node_modules/recur" "$d/info.log" || { cat "$d/info.log"; fail "recur info: installed-at line"; }
grep -q '^backend: native' "$d/info.log" || { cat "$d/info.log"; fail "recur info: the native backend should load in the consumer"; }
step "recur info: $(grep -E '^(recur|backend)' "$d/info.log" | tr '\n' ';')"

npx --no-install recur train --limit 200 --epochs 1 --runs-dir runs >"$d/train.log" 2>&1 || { cat "$d/train.log"; fail "npx recur train"; }
grep -q 'uPlot' runs/*/report.html || fail "the training report lacks the uPlot assets"
step "recur train --limit 200 --epochs 1 on the shipped splice data: $(grep -c . runs/*/events.jsonl) events, report written"

# Without the addon (npm skipped the install script): the shipped wasm kernels, and info says how to build it.
mv node_modules/recur/build "$d/build.aside"
npx --no-install recur info >"$d/info-ref.log" 2>/dev/null || { cat "$d/info-ref.log"; fail "recur info without the addon"; }
grep -q '^native backend: not built .*build-native.mjs' "$d/info-ref.log" || { cat "$d/info-ref.log"; fail "recur info must say the native backend is not built and how to build it"; }
grep -q '^backend: wasm' "$d/info-ref.log" || { cat "$d/info-ref.log"; fail "without the addon, auto must take the shipped wasm kernels (wasm/recur.wasm)"; }
node readme.mjs >/dev/null 2>&1 || fail "README example on the wasm backend"
# Where the engine has relaxed SIMD (Node 20: with the flag) the shipped -relaxed builds load instead.
node --experimental-wasm-relaxed-simd node_modules/recur/bin/recur.js info >"$d/info-relaxed.log" 2>/dev/null || { cat "$d/info-relaxed.log"; fail "recur info with relaxed SIMD"; }
grep -q '^backend: wasm (wasm-relaxed-simd' "$d/info-relaxed.log" || { cat "$d/info-relaxed.log"; fail "with --experimental-wasm-relaxed-simd the relaxed-SIMD build must load (wasm/recur*-relaxed.wasm)"; }
mv "$d/build.aside" node_modules/recur/build
step "without the addon: $(grep '^backend' "$d/info-ref.log"), README example runs, info says: $(grep '^native backend' "$d/info-ref.log"); with relaxed SIMD: $(grep '^backend' "$d/info-relaxed.log")"
step "ok ($((SECONDS - t0)) s)"
