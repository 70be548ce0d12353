#!/usr/bin/env bash
# Issue 14, point 2: what Keras's masking itself does to accuracy. The padding table
# (run.sh) compares strata masked with strata unmasked; this script asks the same of tf-keras,
# so that a masked row's accuracy gap can be told apart from a strata bug: over several seeds,
# train -> test with the seed's model (Embedding(10000, 128) -> LSTM(64) -> Dense, Adam 1e-3,
# batch 32, 3 epochs, no validation split), each of
#   keras      tf-keras, the seed's code (keras_seed_cv.py)
#   keras-mask the same with Embedding(mask_zero=True) (keras_seed_cv.py --mask-zero)
#   none       strata train, defaults
#   mask       strata train --mask-padding
#   both       strata train --mask-padding --bucket-by-length
# and prints one line per run (set, variant, seed, test accuracy, each epoch's training loss),
# then each variant's mean and its difference to the unmasked run of its own tool.
#
# Usage: bash bench/padding/mask_gap.sh [--sets sst2,imdb] [--seeds 0,1] [--variants LIST]
#                                        [--threads 2] [--out DIR]
#   sst2: sst2/train.tsv -> test.tsv, maxlen 100; imdb: imdb_full/train.tsv -> test.tsv, maxlen 400
# Environment: STRATA (default ./target/release/strata; not built here), STRATA_DATA
# (../shared/data), STRATA_PEERS_PY (~/.cache/strata-peers/venv/bin/python with tf_keras 2.x).
# Writes DIR (default runs/mask-gap)/runs.tsv (appended), each run's log under DIR/logs/, and
# prints the summary.
#
# Time on the 2-core Zen 4 host (2026-11-30): SST-2 about 25 s a tf-keras run (masked 30-95 s)
# and 2 s a strata run; IMDB 290-310 s a tf-keras run, 470 s masked, 30-45 s a strata run.
# So `--sets imdb --seeds 0,1` takes about 40 minutes; accuracy only, so the machine may be busy.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
strata=${STRATA:-$here/target/release/strata}
die() { echo "error: $1" >&2; exit 2; }
sets=sst2,imdb seeds=0,1 variants=keras,keras-mask,none,mask,both threads=2 out=$here/runs/mask-gap
while [ $# -gt 0 ]; do
  case $1 in
    --sets | --seeds | --variants | --threads | --out)
      [ $# -ge 2 ] || die "$1 needs a value (hint: --sets sst2 --seeds 0,1,2)"
      case $1 in
        --sets) sets=$2 ;; --seeds) seeds=$2 ;; --variants) variants=$2 ;; --threads) threads=$2 ;; --out) out=$2 ;;
      esac
      shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (hint: --sets sst2,imdb --seeds 0,1 --variants keras,keras-mask,none,mask,both)" ;;
  esac
done
IFS=, read -r -a set_list <<< "$sets"
IFS=, read -r -a seed_list <<< "$seeds"
IFS=, read -r -a variant_list <<< "$variants"
for s in "${seed_list[@]}" "$threads"; do [[ $s =~ ^[0-9]+$ ]] || die "'$s' is not a whole number (hint: --seeds 0,1)"; done
[ "$threads" -ge 1 ] || die "--threads must be at least 1 (hint: --threads 2)"
for s in "${set_list[@]}"; do case $s in sst2 | imdb) ;; *) die "unknown set '$s' (hint: --sets sst2,imdb)" ;; esac; done
for v in "${variant_list[@]}"; do
  case $v in keras | keras-mask | none | mask | both) ;; *) die "unknown variant '$v' (hint: keras,keras-mask,none,mask,both)" ;; esac
done
[ -x "$strata" ] || die "no strata binary at $strata (hint: cargo build --release, or set STRATA)"
"$py" -c '' 2> /dev/null || die "no python at $py (hint: bash ../shared/bench/peers/setup.sh, or set STRATA_PEERS_PY)"
if [[ " ${variant_list[*]} " == *" keras"* ]]; then
  "$py" -c 'import tensorflow, tf_keras' 2> /dev/null ||
    die "$py has no tensorflow/tf_keras (hint: bash ../shared/bench/peers/setup.sh, or set STRATA_PEERS_PY)"
fi
mkdir -p "$out/logs"
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

# one run: prints "set variant seed accuracy loss1 loss2 ..." (tab-separated)
run() {
  local set=$1 variant=$2 seed=$3 train test maxlen log
  log=$out/logs/$set-$variant-$seed.log
  case $set in
    sst2) train=$data/sst2/train.tsv test=$data/sst2/test.tsv maxlen=100 ;;
    imdb) train=$data/imdb_full/train.tsv test=$data/imdb_full/test.tsv maxlen=400 ;;
  esac
  case $variant in
    keras | keras-mask)
      local mask=()
      [ "$variant" = keras-mask ] && mask=(--mask-zero)
      "$py" "$here/bench/padding/keras_seed_cv.py" --train "$train" --test "$test" --maxlen "$maxlen" \
        --epochs 3 --seed "$seed" --threads "$threads" ${mask[@]+"${mask[@]}"} 2> "$log" |
        "$py" -c 'import json, sys; d = json.loads(sys.stdin.read()); print("\t".join([str(d["accuracy"])] + [str(v) for v in d["epoch_loss"]]))' ;;
    *)
      local flags=()
      case $variant in mask) flags=(--mask-padding) ;; both) flags=(--mask-padding --bucket-by-length) ;; esac
      rm -rf "$work/run"
      "$strata" --threads "$threads" train --data "$train" --validation-split 0 --epochs 3 --maxlen "$maxlen" \
        --seed "$seed" --no-probes --out "$work/run" ${flags[@]+"${flags[@]}"} > "$log" 2>&1 ||
        { tail -n 5 "$log" >&2; die "strata train failed (log: $log)"; }
      local acc losses
      acc=$("$strata" --threads "$threads" test --model "$work/run/model" --data "$test" --json |
        "$py" -c 'import json, sys; print(round(json.load(sys.stdin)["accuracy"], 4))')
      losses=$(grep -o 'loss: [0-9.a-zN]*' "$log" | awk '{print $2}' | paste -sd '\t' || true)
      printf '%s\t%s\n' "$acc" "$losses" ;;
  esac | while IFS= read -r line; do printf '%s\t%s\t%s\t%s\n' "$set" "$variant" "$seed" "$line"; done
}

for set in "${set_list[@]}"; do
  for seed in "${seed_list[@]}"; do
    for variant in "${variant_list[@]}"; do
      run "$set" "$variant" "$seed" | tee -a "$out/runs.tsv"
    done
  done
done

# each asked variant's mean over the asked seeds found in runs.tsv (earlier runs count: the
# latest line of a seed), and its mean paired difference to its own tool's unmasked runs
"$py" - "$out/runs.tsv" "$sets" "$seeds" "$variants" <<'EOF'
import statistics, sys
path, sets, seeds, variants = sys.argv[1], *(a.split(",") for a in sys.argv[2:5])
acc = {}
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if f[0] in sets and f[2] in seeds:
        acc.setdefault((f[0], f[1]), {})[f[2]] = float(f[3])
base = {"keras": "keras", "keras-mask": "keras", "none": "none", "mask": "none", "both": "none"}
print("\nset\tvariant\tseeds\tmean accuracy\tpaired with its tool's unmasked: seeds, mean difference (points)")
for (s, v), runs in sorted(acc.items()):
    if v not in variants:
        continue
    ref = acc.get((s, base[v]), {})
    common = sorted(set(runs) & set(ref)) if v != base[v] else []
    gap = "%d, %+.2f" % (len(common), 100 * statistics.fmean(runs[k] - ref[k] for k in common)) if common else "-"
    print(f"{s}\t{v}\t{len(runs)}\t{statistics.fmean(runs.values()):.4f}\t{gap}")
EOF
