#!/usr/bin/env bash
# Issue 12 point 4, SST-2: the configuration chosen on dev.tsv, end to end from IMDB-pretrained
# levels, scored once on test.tsv, with fastText and the single network beside it.
#
# The configuration (chosen on dev.tsv only, by the third round's two-seed rule, each member trained
# adversarially since the tenth round's four-seed rule: --adversarial 2, ADV_KIM and ADV_LM; every
# configuration tried is in bench/README.md, "SST-2: two pretrained families voting, retrained on
# train+dev"):
#   members  two kim-cnn --multichannel from runs/pre-imdb-sg300 (IMDB skip-gram, 300-d), with
#            filter widths 2-5 and 3-7 (kimcnn_w2345.toml, kimcnn_w34567.toml; 100 maps per
#            width, dropout 0.5, kim-cnn's recipe), and the LSTM-256 + max-pool of
#            lstm256_maxpool.toml from runs/pre-imdb-256 (IMDB language model), --maxlen 60,
#            --mask-padding (padded steps skipped);
#            soft voting with equal weights (`strata ensemble`)
#   stage 1  each member trained on train.tsv, validated on dev.tsv with its recipe's early
#            stopping (patience 2 on val_loss): its best epoch, and the ensemble's dev accuracy
#   stage 2  each member retrained on train.tsv + dev.tsv (12.6% more data) for its stage-1 best
#            epoch, nothing held out; the ensemble of these is the configuration scored on test
# Seed 0 and --threads 1 throughout (THREADS changes the numbers: the thread count is part of
# the configuration). Pretrained folders are built when absent (IMDB's unsup.txt and the texts of
# its train.tsv, never a test split, never MR's or SST's texts) with the commands and the 2 threads
# the folders in bench/README.md were made with (PRETRAIN_THREADS): sg300 7.6 min, 256 about 8 min.
#
# Fourth round's candidates (the rule in bench/README.md, committed before any dev figure), with
# T(X) = kimw2345 + kimw34567 + X: T(lstmm) (the default above), T(lstmf), T(lstmm) + bil,
# T(lstmf) + bil; lstmf = lstmm on the IMDB LM fine-tuned on SST-2's texts (pretrain --init-from).
# Eighth round's candidates, one a rule, each lost on dev: w2345 + w34567 + (lstmm + lstmb)/2
# (WEIGHTS="2 2 1 1"), then T(lstmm) + lstmb and lstmm + lstmb alone on fresh seeds; lstmb = lstmm
# reading every sentence backwards, on a backward IMDB LM (ULMFiT's forward + backward average).
#
# Usage: bash bench/pretrain/sst2_best.sh
# Environment: STRATA_DATA (../shared/data), STRATA_RUNS (runs/), PRETRAINED_SG
# (runs/pre-imdb-sg300), PRETRAINED_LM (runs/pre-imdb-256), PRETRAIN_TEXT (raw; ptb: IMDB's text
# tokenized as SST's, the folders runs/pre-imdbptb-sg300 and -256), PRETRAINED_LMF_PICK, PRETRAINED_LMF,
# PRETRAINED_LMF2 (runs/pre-sst2-lmf-pick, -lmf, -lmf2: lstmf's fine-tuned LMs; pre-sst2-imdbptb-…
# with PRETRAIN_TEXT=ptb), PRETRAINED_LMU_PICK, PRETRAINED_LMU, PRETRAINED_LMU2
# (runs/pre-sst2-lmu-pickE, -lmu, -lmu2: lstmu's; a reused one must have the picked epochs),
# PRETRAINED_LMB (runs/pre-imdb-rev-256: lstmb's backward LM, from IMDB's texts reversed into
# runs/imdb-rev/ by reverse_text.py), WEIGHTS (each member's whole-number weight in the vote, in
# MEMBERS order; default all 1), EXTRA_TRAIN (a
# label<TAB>text file added to both stages' training data: sst2_selftrain.sh's pseudo-labels), ADV_KIM and
# ADV_LM (2 and 2: --adversarial's EPS for the a-families, akimw2345, akimw34567 and alstmm, the tenth
# round's; with SCRATCH=1, 0.25 and 0.125), THREADS (1), PRETRAIN_THREADS (2), STRATA_PEERS_PY
# (fastText's python, the peers' venv); MEMBERS (the chosen ones; FAMILY:SEED words, see below),
# STAGE1_ONLY=1 (stop after stage 1's dev figures: how other member sets were compared, with
# sst2_votes.py on their dev predictions), REUSE_STAGE1=1 (keep a stage-1 member already in OUT:
# the same flags, seed and threads give the same model), SST2_OUT (runs/sst2-best; with SCRATCH=1
# runs/sst2-best-scratch), SCRATCH=1 (the same members from random weights: each family's flags
# without --init-from and --multichannel, one trained channel of the same width, the vocabulary
# the labelled texts' own; nothing is pretrained, and the kim-cnn, lstm, lstmm and bil families
# and their a-forms are the ones it has; the from-scratch twin issue 12 point 4 asks beside the
# pretrained vote), PRETRAINED_RUN (runs/sst2-best: with SCRATCH=1, the pretrained run whose test
# predictions the table pairs with this one's, when it has them).
# Writes SST2_OUT: each step's JSON and log, steps.tsv, table.txt (printed).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
data=${STRATA_DATA:-$here/../shared/data}
runs=${STRATA_RUNS:-$here/runs}
# PRETRAIN_TEXT: raw (IMDB's reviews as they come) or ptb (the same reviews written the way SST
# writes its sentences, "does n't", "it 's", by ptb_text.py: SST-2's negation "n't" is not in a
# vocabulary learned from raw IMDB text); the pretrained folders' default names follow it
case ${PRETRAIN_TEXT:-raw} in
  raw) corpus=imdb ;;
  ptb) corpus=imdbptb ;;
  *) echo "error: PRETRAIN_TEXT='$PRETRAIN_TEXT' (hint: raw or ptb)" >&2; exit 2 ;;
esac
sg=${PRETRAINED_SG:-$runs/pre-$corpus-sg300}
lm=${PRETRAINED_LM:-$runs/pre-$corpus-256}
# the LM fine-tuned on SST-2's texts (lstmf): the epoch pick (10% of train held out), then
# train.tsv's texts (stage 1) and train + dev's (stage 2) for the picked epochs
# (named after the LM they continue: runs/pre-sst2-lmf from raw IMDB's, pre-sst2-imdbptb-lmf
# from the PTB text's)
tuned=$runs/pre-sst2$([ "$corpus" = imdb ] || echo "-$corpus")
lmf_pick=${PRETRAINED_LMF_PICK:-$tuned-lmf-pick}
lmf=${PRETRAINED_LMF:-$tuned-lmf}
lmf2=${PRETRAINED_LMF2:-$tuned-lmf2}
# lstmu's: the same fine-tuning with ULMFiT's rates (its epochs picked among 2, 4, 7 and 10 by
# held-out perplexity, one run each: a slanted schedule's epoch k of 10 is not a k-epoch run's)
lmu_pick=${PRETRAINED_LMU_PICK:-$tuned-lmu-pick}
lmu=${PRETRAINED_LMU:-$tuned-lmu}
lmu2=${PRETRAINED_LMU2:-$tuned-lmu2}
# lstmb's backward language model: the forward one's command on IMDB's texts with every text's
# words reversed (reverse_text.py into runs/imdb-rev/)
rev_texts=$runs/$corpus-rev
lmb=${PRETRAINED_LMB:-$runs/pre-$corpus-rev-256}
scratch=${SCRATCH:-0}
[[ $scratch =~ ^[01]$ ]] || { echo "error: SCRATCH='$scratch' (hint: 1 trains the members from random weights, 0 from the pretrained levels)" >&2; exit 2; }
out=${SST2_OUT:-$runs/sst2-best$([ "$scratch" = 1 ] && echo -scratch || true)}
started=$EPOCHREALTIME
py=${STRATA_PEERS_PY:-$HOME/.cache/strata-peers/venv/bin/python}
"$py" -c 'import fasttext' 2>/dev/null || { echo "error: no fastText in $py (hint: set STRATA_PEERS_PY, or run ../shared/bench/peers/setup.sh)" >&2; exit 2; }
# MEMBERS: FAMILY:SEED words, one member each, named FAMILY_sSEED (kim = kim-cnn multichannel on
# sg300; kimwN = the same with the filter widths (and dropout, _dNN) of kimcnn_wN.toml, kim-cnn's
# recipe spelt out; lstm = the LSTM-256 + max-pool on the LM; lstmm = the same with --mask-padding,
# padded steps skipped as the LM never saw them; lstmf = lstmm on the LM fine-tuned on SST-2's
# texts (`strata pretrain --init-from`, ULMFiT's second stage: train.tsv's texts for stage 1,
# train + dev for stage 2, never test's; its epochs are those of the lowest held-out perplexity
# on a seeded 10% of train.tsv's texts, at most 10, Adam 1e-3 as the pretraining's); lstmu = the
# same with ULMFiT's rates in the fine-tuning (--lr-decay-per-level 2.6 --slanted-triangular-lr,
# 2, 4, 7 or 10 epochs by held-out perplexity); lstmb = lstmm reading each sentence's words in
# reverse order, on the backward LM (its train, dev and test files reversed by reverse_text.py
# into OUT/rev/, line for line); bil = bilstm_maxpool.toml's BiLSTM-max on sg300, multichannel);
# the default is the configuration chosen on dev.tsv. Checked before anything is built or trained.
read -r -a members <<< "${MEMBERS:-akimw2345:0 akimw34567:0 alstmm:0}"
kim_recipe="--init-from $sg --multichannel --embedding-dim 300 --maxlen 60 --batch-size 50 --lr 0.0003"
declare -A flags=(
  [kim]="--model kim-cnn --init-from $sg --multichannel"
  [lstm]="--model-file $here/bench/pretrain/lstm256_maxpool.toml --init-from $lm --maxlen 60"
  [lstmm]="--model-file $here/bench/pretrain/lstm256_maxpool.toml --init-from $lm --maxlen 60 --mask-padding"
  [lstmf]="--model-file $here/bench/pretrain/lstm256_maxpool.toml --init-from $lmf --maxlen 60 --mask-padding"
  [lstmu]="--model-file $here/bench/pretrain/lstm256_maxpool.toml --init-from $lmu --maxlen 60 --mask-padding"
  [lstmb]="--model-file $here/bench/pretrain/lstm256_maxpool.toml --init-from $lmb --maxlen 60 --mask-padding"
  [bil]="--model-file $here/bench/pretrain/bilstm_maxpool.toml --init-from $sg --multichannel --maxlen 60 --lr 0.0003 --mask-padding"
)
# stage 1 only: kim-cnn's recipe already stops early (patience 2, at most 12 epochs)
declare -A stop=([kim]="" [lstm]="--early-stopping 2 --epochs 10" [lstmm]="--early-stopping 2 --epochs 10"
  [lstmf]="--early-stopping 2 --epochs 10" [lstmu]="--early-stopping 2 --epochs 10" [lstmb]="--early-stopping 2 --epochs 10"
  [bil]="--early-stopping 2 --epochs 12")
for w in 345 2345 34567 345_d03 345_d07; do
  flags[kimw$w]="--model-file $here/bench/pretrain/kimcnn_w$w.toml $kim_recipe"
  stop[kimw$w]="--early-stopping 2 --epochs 12"
done
# tenth round: aFAMILY = FAMILY trained adversarially (--adversarial EPS, Miyato et al. 2017:
# each batch also trains on its sentences with the embedding output moved EPS in L2 norm the way
# that raises the loss most), EPS = ADV_KIM for the kim-cnn families (sg300's vectors), ADV_LM
# for lstmm (the LM's embedding)
# (from scratch, SCRATCH=1: 0.25 and 0.125, chosen the same way for fresh embeddings, whose
# vectors are a sixth as long; bench/README.md, "Eleventh round")
adv_kim=2 adv_lm=2
[ "$scratch" = 1 ] && adv_kim=0.25 adv_lm=0.125
for fam in kimw2345 kimw34567 lstmm; do
  eps=${ADV_KIM:-$adv_kim}
  [ "$fam" = lstmm ] && eps=${ADV_LM:-$adv_lm}
  flags[a$fam]="${flags[$fam]} --adversarial $eps"
  stop[a$fam]=${stop[$fam]}
done
names=()
for spec in "${members[@]}"; do
  fam=${spec%%:*} seed=${spec#*:}
  [ -n "${flags[$fam]:-}" ] && [[ $seed =~ ^[0-9]+$ ]] || {
    echo "error: MEMBERS word '$spec' is not FAMILY:SEED (hint: a family of ${!flags[*]}, e.g. kim:0 lstm:0)" >&2
    exit 2
  }
  if [ "$scratch" = 1 ]; then
    # lstmf, lstmu and lstmb are defined by the language model they start from
    [[ ${fam#a} =~ ^(kim|kimw.*|lstm|lstmm|bil)$ ]] || {
      echo "error: MEMBERS word '$spec' with SCRATCH=1 (hint: lstmf, lstmu and lstmb are pretrained language models; from scratch they are lstmm)" >&2
      exit 2
    }
  fi
  names+=("${fam}_s$seed")
done
if [ "$scratch" = 1 ]; then
  # from random weights: every family's flags less the pretrained folder and its frozen copy
  for fam in "${!flags[@]}"; do
    f=" ${flags[$fam]} "
    read -r -a words <<< "$(sed -E 's/ --init-from [^ ]+ / /; s/ --multichannel / /' <<< "$f")"
    flags[$fam]=${words[*]}
  done
fi
[ "${#names[@]}" -ge 2 ] || { echo "error: MEMBERS names ${#names[@]} member(s) (hint: an ensemble needs at least two, e.g. kim:0 lstm:0)" >&2; exit 2; }
read -r -a weights <<< "${WEIGHTS:-}"
[ "${#weights[@]}" -gt 0 ] || weights=("${names[@]/*/1}")
[ "${#weights[@]}" = "${#names[@]}" ] || { echo "error: WEIGHTS has ${#weights[@]} words for ${#names[@]} members (hint: one whole number a member, in MEMBERS order)" >&2; exit 2; }
combo=()  # the vote as sst2_votes.py reads it: each name as many times as its weight
for i in "${!names[@]}"; do
  [[ ${weights[$i]} =~ ^[1-9][0-9]*$ ]] || { echo "error: WEIGHTS word '${weights[$i]}' is not a whole number ≥ 1 (hint: WEIGHTS=\"2 2 1 1\")" >&2; exit 2; }
  for ((k = 0; k < weights[i]; k++)); do combo+=("${names[$i]}"); done
done
weights_flag=()  # strata ensemble's --weights, only when WEIGHTS is given (equal weights as before)
[ -n "${WEIGHTS:-}" ] && weights_flag=(--weights "$(IFS=,; echo "${weights[*]}")")
backward=0
[[ " ${members[*]} " == *" lstmb:"* ]] && backward=1

cargo build --release --quiet --manifest-path "$here/Cargo.toml" -p strata-cli
strata=("${CARGO_TARGET_DIR:-$here/target}/release/strata" --threads "${THREADS:-1}")
pretrain=("${CARGO_TARGET_DIR:-$here/target}/release/strata" --threads "${PRETRAIN_THREADS:-2}" pretrain)
train=$data/sst2/train.tsv dev=$data/sst2/dev.tsv test=$data/sst2/test.tsv
mkdir -p "$out"
echo "$scratch" > "$out/scratch.txt"  # how the table names the members (a reused one is checked by same_member)
: > "$out/steps.tsv"

source "$here/bench/steps.sh"  # step NAME CMD...

# same_epochs DIR E: a reused fine-tuned LM folder was trained for the E epochs picked now.
same_epochs() {
  local had
  had=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["lm"]["epochs"])' "$1/model/config.json")
  [ "$had" = "$2" ] || { echo "error: $1 was fine-tuned for $had epochs, and the pick is now $2 (hint: move it aside, or point the PRETRAINED_* variable elsewhere)" >&2; exit 2; }
}

# pretrained NAME DIR CMD...: DIR is reused when present, else built by CMD.
pretrained() {
  local name=$1 dir=$2
  shift 2
  if [ -e "$dir" ]; then
    echo "== $name: reusing $dir" >&2
    printf '%s\treused\t%s\n' "$name" "$dir" >> "$out/steps.tsv"
  else
    step "$name" "$@"
  fi
}
imdb=(--data "$data/imdb_full/unsup.txt" --data "$data/imdb_full/train.tsv")
if [ "$corpus" = imdbptb ] && [ "$scratch" = 0 ]; then
  # the PTB text, when a folder built from it is missing (the backward LM reverses it)
  if [ ! -e "$sg" ] || [ ! -e "$lm" ] || { [ "$backward" = 1 ] && [ ! -e "$lmb" ]; }; then
    [ -s "$runs/imdb-ptb.txt" ] || step ptb-text python3 "$here/bench/pretrain/ptb_text.py" "$runs/imdb-ptb.txt" \
      "$data/imdb_full/unsup.txt" "$data/imdb_full/train.tsv"
  fi
  imdb=(--data "$runs/imdb-ptb.txt")
fi
# kim-cnn's pretraining is skip-gram only, 300-d, 5 epochs; the LSTM-256's one LM epoch
if [ "$scratch" = 0 ]; then
  pretrained pretrain-sg300 "$sg" "${pretrain[@]}" --model kim-cnn "${imdb[@]}" --out "$sg"
  pretrained pretrain-lm256 "$lm" "${pretrain[@]}" --units 256 --epochs 1 "${imdb[@]}" --out "$lm"
fi
cat "$train" "$dev" > "$out/train+dev.tsv"
# EXTRA_TRAIN: labelled sentences added to both stages' training data (sst2_selftrain.sh's
# pseudo-labelled IMDB sentences); the fastText rows keep SST-2's own texts
train_data=$train train_dev_data=$out/train+dev.tsv
if [ -n "${EXTRA_TRAIN:-}" ]; then
  [ -s "$EXTRA_TRAIN" ] || { echo "error: EXTRA_TRAIN=$EXTRA_TRAIN is missing or empty (hint: a label<TAB>text file)" >&2; exit 2; }
  cat "$train" "$EXTRA_TRAIN" > "$out/train+extra.tsv"
  cat "$train" "$dev" "$EXTRA_TRAIN" > "$out/train+dev+extra.tsv"
  train_data=$out/train+extra.tsv train_dev_data=$out/train+dev+extra.tsv
  echo "$EXTRA_TRAIN" > "$out/extra.txt"
else
  rm -f "$out/extra.txt"
fi
if [ "$backward" = 1 ]; then
  # the backward LM: the forward LM's command on the same texts, each text's words reversed
  # (written only when the LM is to be built)
  rev_data=()
  for i in "${!imdb[@]}"; do
    [ "${imdb[$i]}" = --data ] && continue
    f=$rev_texts/$(basename "${imdb[$i]}")
    if [ ! -e "$lmb" ] && [ ! -s "$f" ]; then
      mkdir -p "$rev_texts"
      step "reverse-$(basename "$f")" python3 "$here/bench/pretrain/reverse_text.py" "${imdb[$i]}" "$f"
    fi
    rev_data+=(--data "$f")
  done
  pretrained pretrain-lm256-rev "$lmb" "${pretrain[@]}" --units 256 --epochs 1 "${rev_data[@]}" --out "$lmb"
  # lstmb's own copies of SST-2's training and dev files, each sentence's words reversed, line
  # for line (test.tsv's copy is made in stage 2: nothing before it reads the test split)
  mkdir -p "$out/rev"
  for f in "$train_data" "$train_dev_data" "$dev"; do
    python3 "$here/bench/pretrain/reverse_text.py" "$f" "$out/rev/$(basename "$f")"
  done
fi
# member_file FAMILY FILE: the file a member of FAMILY reads for FILE (lstmb: its reversed copy)
member_file() {
  if [ "$1" = lstmb ]; then echo "$out/rev/$(basename "$2")"; else echo "$2"; fi
}

if [[ " ${members[*]} " == *" lstmf:"* ]]; then
  # ULMFiT's second stage: the epoch count is fixed by the LM's own held-out perplexity on
  # train.tsv's texts, never by a classifier's dev accuracy
  pretrained pretrain-lmf-pick "$lmf_pick" "${pretrain[@]}" --init-from "$lm" --data "$train" --epochs 10 \
    --validation-split 0.1 --out "$lmf_pick"
  lmf_epochs=$(python3 -c 'import csv, sys; r = [x for x in csv.DictReader(open(sys.argv[1])) if x["objective"] == "lm"]; print(min(r, key=lambda x: float(x["val_perplexity"]))["epoch"])' "$lmf_pick/history.csv")
  echo "$lmf_epochs" > "$out/lmf.epochs"
  pretrained pretrain-lmf "$lmf" "${pretrain[@]}" --init-from "$lm" --data "$train" --epochs "$lmf_epochs" \
    --validation-split 0 --out "$lmf"
  pretrained pretrain-lmf2 "$lmf2" "${pretrain[@]}" --init-from "$lm" --data "$out/train+dev.tsv" --epochs "$lmf_epochs" \
    --validation-split 0 --out "$lmf2"
  same_epochs "$lmf" "$lmf_epochs"; same_epochs "$lmf2" "$lmf_epochs"
fi

if [[ " ${members[*]} " == *" lstmu:"* ]]; then
  # ULMFiT's second stage as the paper runs it: discriminative rates (÷ 2.6 a level down) and
  # the slanted triangular rate; the epochs by held-out perplexity on 10% of train.tsv's texts
  ulmfit=(--lr-decay-per-level 2.6 --slanted-triangular-lr)
  best_ppl="" lmu_epochs=""
  for e in 2 4 7 10; do
    pretrained "pretrain-lmu-pick$e" "$lmu_pick$e" "${pretrain[@]}" --init-from "$lm" --data "$train" --epochs "$e" \
      --validation-split 0.1 "${ulmfit[@]}" --out "$lmu_pick$e"
    ppl=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["val_perplexity"])' "$lmu_pick$e/metrics.json")
    if [ -z "$best_ppl" ] || python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))' "$ppl" "$best_ppl"; then
      best_ppl=$ppl lmu_epochs=$e
    fi
  done
  echo "$lmu_epochs" > "$out/lmu.epochs"
  pretrained pretrain-lmu "$lmu" "${pretrain[@]}" --init-from "$lm" --data "$train" --epochs "$lmu_epochs" \
    --validation-split 0 "${ulmfit[@]}" --out "$lmu"
  pretrained pretrain-lmu2 "$lmu2" "${pretrain[@]}" --init-from "$lm" --data "$out/train+dev.tsv" --epochs "$lmu_epochs" \
    --validation-split 0 "${ulmfit[@]}" --out "$lmu2"
  same_epochs "$lmu" "$lmu_epochs"; same_epochs "$lmu2" "$lmu_epochs"
fi

printf '%s\n' "${names[@]}" > "$out/members.txt"
printf '%s\n' "${weights[@]}" > "$out/weights.txt"

# best_epoch RUN: the epoch of the lowest val_loss in RUN/history.csv (the weights early stopping kept).
best_epoch() {
  python3 -c 'import csv, sys; r = list(csv.DictReader(open(sys.argv[1]))); print(min(r, key=lambda x: float(x["val_loss"]))["epoch"])' "$1/history.csv"
}

# same_member RUN FLAGS...: RUN (a stage-1 member to reuse) was trained from the same folder
# (or from scratch), with the same --adversarial and seed as FLAGS say; else one error line.
same_member() {
  python3 - "$@" <<'PY'
import os, sys, tomllib
run, flags = sys.argv[1], sys.argv[2:]
had = tomllib.load(open(os.path.join(run, "run.toml"), "rb"))
def flag(name):
    return flags[flags.index(name) + 1] if name in flags else None
def same(a, b, norm):
    return a is None and b is None or a is not None and b is not None and norm(a) == norm(b)
checks = [("--init-from", "init_from", os.path.realpath), ("--adversarial", "adversarial", float), ("--seed", "seed", int)]
for name, key, norm in checks:
    if not same(flag(name), had.get(key), norm):
        asks = f"{name} {flag(name)}" if flag(name) is not None else f"no {name}"
        sys.exit(f"error: {run}: trained with {key} = {had.get(key, 'none')}, and this run asks {asks} (hint: REUSE_STAGE1 keeps only the same member; another SST2_OUT, or leave REUSE_STAGE1 out)")
PY
}

# Stage 1: train.tsv, validated on dev.tsv; each member's dev predictions for sst2_votes.py.
for spec in "${members[@]}"; do
  fam=${spec%%:*} seed=${spec#*:}
  read -r -a f <<< "${flags[$fam]} ${stop[$fam]} --seed $seed"
  if [ "${REUSE_STAGE1:-0}" = 1 ] && [ -e "$out/dev-${fam}_s$seed/model" ] && [ -s "$out/dev-${fam}_s$seed.json" ]; then
    same_member "$out/dev-${fam}_s$seed" "${f[@]}" || exit 2
    echo "== dev-${fam}_s$seed: reusing $out/dev-${fam}_s$seed" >&2
    printf '%s\treused\t%s\n' "dev-${fam}_s$seed" "$out/dev-${fam}_s$seed" >> "$out/steps.tsv"
  else
    step "dev-${fam}_s$seed" "${strata[@]}" train "${f[@]}" --data "$(member_file "$fam" "$train_data")" \
      --validation-data "$(member_file "$fam" "$dev")" --out "$out/dev-${fam}_s$seed" --overwrite --json
  fi
  step "${fam}_s$seed.dev-pred" "${strata[@]}" test --model "$out/dev-${fam}_s$seed" --data "$(member_file "$fam" "$dev")" \
    --json --predictions "$out/${fam}_s$seed.dev.pred.jsonl"
done
if [ "$backward" = 0 ]; then
  step dev-ensemble-build "${strata[@]}" ensemble "${names[@]/#/--member=$out/dev-}" "${weights_flag[@]}" --out "$out/dev-ensemble"
  step dev-ensemble "${strata[@]}" test --model "$out/dev-ensemble" --data "$dev" --json
  rm -rf "$out/dev-ensemble"  # a copy of the members (53 MB each); its dev figure is kept
else
  # a backward member reads other files than the rest, so strata ensemble cannot score the
  # vote: it is computed from the members' dev predictions
  step dev-ensemble python3 "$here/bench/pretrain/sst2_votes.py" --write "$out/dev-ensemble.pred.jsonl" "$out" "$(IFS=+; echo "${combo[*]}")"
fi
# the vote sst2_votes.py computes from the members' predictions is strata ensemble's (with a
# backward member dev-ensemble is sst2_votes.py's own vote, so this line repeats it, no check)
python3 "$here/bench/pretrain/sst2_votes.py" "$out" "$(IFS=+; echo "${combo[*]}")" | tee "$out/dev-votes.tsv"
if [ "${STAGE1_ONLY:-0}" = 1 ]; then
  for n in "${names[@]}"; do printf '%s\tdev %s\n' "$n" "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["accuracy"])' "$out/$n.dev-pred.json")"; done
  exit 0
fi

# Stage 2: train.tsv + dev.tsv, each member for its stage-1 best epoch (lstmf from the LM
# fine-tuned on train + dev's texts).
for spec in "${members[@]}"; do
  fam=${spec%%:*} seed=${spec#*:}
  f2=${flags[$fam]}
  [ "$fam" = lstmf ] && f2=${f2/--init-from $lmf /--init-from $lmf2 }
  [ "$fam" = lstmu ] && f2=${f2/--init-from $lmu /--init-from $lmu2 }
  read -r -a f <<< "$f2 --seed $seed"
  epochs=$(best_epoch "$out/dev-${fam}_s$seed")
  echo "$epochs" > "$out/final-${fam}_s$seed.epochs"
  step "final-${fam}_s$seed" "${strata[@]}" train "${f[@]}" --data "$(member_file "$fam" "$train_dev_data")" --validation-split 0 --early-stopping 0 \
    --epochs "$epochs" --out "$out/final-${fam}_s$seed" --overwrite --json
done

# Test, once per row: the chosen configuration, the single network (the first member, on
# train.tsv), and fastText on the same training texts.
if [ "$backward" = 0 ]; then
  step ensemble-build "${strata[@]}" ensemble "${names[@]/#/--member=$out/final-}" "${weights_flag[@]}" --out "$out/ensemble"
  step ensemble "${strata[@]}" test --model "$out/ensemble" --data "$test" --json --predictions "$out/ensemble.pred.jsonl"
else
  # each member scored on its own copy of test.tsv, the vote computed from their predictions
  python3 "$here/bench/pretrain/reverse_text.py" "$test" "$out/rev/$(basename "$test")"
  for spec in "${members[@]}"; do
    fam=${spec%%:*} seed=${spec#*:}
    step "final-${fam}_s$seed.test-pred" "${strata[@]}" test --model "$out/final-${fam}_s$seed" --data "$(member_file "$fam" "$test")" \
      --json --predictions "$out/final-${fam}_s$seed.test.pred.jsonl"
  done
  step ensemble python3 "$here/bench/pretrain/sst2_votes.py" --suffix .test.pred.jsonl --write "$out/ensemble.pred.jsonl" \
    "$out" "$(IFS=+; echo "${combo[*]/#/final-}")"
fi
step network "${strata[@]}" test --model "$out/dev-${names[0]}" --data "$(member_file "${names[0]%_s*}" "$test")" --json --predictions "$out/network.pred.jsonl"
step fasttext "$py" "$here/bench/pretrain/fasttext_folds.py" --train "$train" --test "$test" --predictions "$out/fasttext.pred.jsonl"
step fasttext-train+dev "$py" "$here/bench/pretrain/fasttext_folds.py" --train "$out/train+dev.tsv" --test "$test" \
  --predictions "$out/fasttext-train+dev.pred.jsonl"

printf 'pipeline\t%s\t%s\n' "$(awk "BEGIN {print $EPOCHREALTIME - $started}")" "bash bench/pretrain/sst2_best.sh" >> "$out/steps.tsv"
paired=()  # the from-scratch vote beside the pretrained one, on the same test rows
[ "$scratch" = 1 ] && paired=("${PRETRAINED_RUN:-$runs/sst2-best}")
python3 "$here/bench/pretrain/sst2_best_table.py" "$out" "${paired[@]}" | tee "$out/table.txt"
