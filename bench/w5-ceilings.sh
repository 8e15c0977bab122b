#!/usr/bin/env bash
# w5-ceilings.sh — what each part of W5's LSTM forward outside the micro-kernel costs (T100 B64 I128 H256,
# inference, 1 thread): builds native/ as it is (A) and variants with ONE part removed (B: wrong results,
# for timing only), and runs bench/kernel-ab.c on each pair, both builds in one process. The CPU-time
# ratio A/B (> 1: B faster) is the most any change to that part can gain. Not part of the test suite.
#
#   bash bench/w5-ceilings.sh [reps (30)] [variant ...]     # variants: act cell bias cload ystore pack
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reps=${1:-30}
shift || true
so() { gcc -O3 -std=gnu11 -pthread -fPIC -shared -I"$1" -o "$2" $(ls "$1"/[a-z]*.c | grep -v -e addon.c -e napi -e ops_) -lm; }

# variant NAME FILE FROM TO [FROM TO ...]: native/ with the first occurrence of each FROM in FILE replaced
variant() {
  local name=$1 file=$2
  shift 2
  cp -r "$root/native" "$work/$name"
  python3 - "$work/$name/$file" "$@" <<'PY'
import sys
path, pairs = sys.argv[1], sys.argv[2:]
s = open(path).read()
for a, b in zip(pairs[0::2], pairs[1::2]):
    if a not in s:
        sys.exit(f'w5-ceilings: "{a}" not found in {path}: the source changed, update this script')
    s = s.replace(a, b, 1)
open(path, 'w').write(s)
PY
  so "$work/$name" "$work/$name.so"
}

declare -A what=(
  [act]='the five activations (σ, tanh → identity)'
  [cell]='the whole LSTM cell (returns at once)'
  [bias]="the bias loads and adds (4 a unit)"
  [cload]='the load of c_{t-1}'
  [ystore]='the store of y'
  [pack]='the per-step packing of A = [h_{t-1} | x_t] (packed at step 0 only)'
)
build() {
  case $1 in
    act) variant act recurrent_cells.c $'#define sigmoid16 sig_c\n#define tanh16 tanh_c' \
           $'T512 INL __m512 ident(__m512 x) { return x; }\n#define sigmoid16 ident\n#define tanh16 ident' ;;
    cell) variant cell recurrent_cells.c $'float *h, float *y) {\n  for (int row = 0; row < rows; row++) {\n    const float *rr = r + row * ld->r, *cpr' \
            $'float *h, float *y) {\n  if (rows > 0) return;\n  for (int row = 0; row < rows; row++) {\n    const float *rr = r + row * ld->r, *cpr' ;;
    bias) variant bias recurrent_cells.c \
            'sigmoid16(_mm512_add_ps(LD(rr + j, m), LD(b + j, m)))' 'sigmoid16(LD(rr + j, m))' \
            'sigmoid16(_mm512_add_ps(LD(rr + rs + j, m), LD(b + bs + j, m)))' 'sigmoid16(LD(rr + rs + j, m))' \
            'tanh16(_mm512_add_ps(LD(rr + 2 * rs + j, m), LD(b + 2 * bs + j, m)))' 'tanh16(LD(rr + 2 * rs + j, m))' \
            'sigmoid16(_mm512_add_ps(LD(rr + 3 * rs + j, m), LD(b + 3 * bs + j, m)))' 'sigmoid16(LD(rr + 3 * rs + j, m))' ;;
    cload) variant cload recurrent_cells.c '_mm512_fmadd_ps(f, LD(cpr + j, m),' '_mm512_fmadd_ps(f, _mm512_set1_ps(0.5f),' ;;
    ystore) variant ystore recurrent_cells.c '      if (yr) ST(yr + j, m, hm);' '      (void)yr;' ;;
    pack) variant pack recurrent_driver.c '    rc_pack_rows(f, st.hp' '    if (s == 0) rc_pack_rows(f, st.hp' \
            '    rc_pack_rows(f, in->x' '    if (s == 0) rc_pack_rows(f, in->x' ;;
    *) echo "w5-ceilings: unknown variant $1 (act cell bias cload ystore pack)" >&2; exit 2 ;;
  esac
}

cp -r "$root/native" "$work/base"
so "$work/base" "$work/base.so"
gcc -O2 -I"$root/native" -o "$work/kernel-ab" "$root/bench/kernel-ab.c" -ldl
for v in "${@:-act cell bias cload ystore pack}"; do
  for n in $v; do
    build "$n"
    echo "== without ${what[$n]} (load $(cut -d' ' -f1-3 /proc/loadavg))"
    RECUR_NUM_THREADS=1 "$work/kernel-ab" "$work/base.so" "$work/$n.so" 100 64 128 256 infer "$reps" | head -1
  done
done
