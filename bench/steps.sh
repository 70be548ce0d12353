# Sourced by the accuracy scripts under bench/ (pretrain/accuracy.sh, pretrain/ensemble.sh,
# nbsvm/run.sh): one way to run a recorded step. The script sets $out (its output folder, with
# an emptied steps.tsv) and $here (the repository root) before sourcing this file.

# step NAME CMD...: runs CMD with stdout in $out/NAME.json and stderr in $out/NAME.log, and
# records its wall time and command line (repository paths shortened) in $out/steps.tsv.
step() {
  local name=$1 t0=$EPOCHREALTIME
  shift
  echo "== $name" >&2
  if ! "$@" > "$out/$name.json" 2> "$out/$name.log"; then
    tail -n 3 "$out/$name.log" >&2
    echo "error: step '$name' failed (hint: its log is $out/$name.log)" >&2
    exit 1
  fi
  local cmd="$*"
  printf '%s\t%s\t%s\n' "$name" "$(awk "BEGIN {print $EPOCHREALTIME - $t0}")" "${cmd//$here\//}" >> "$out/steps.tsv"
}
