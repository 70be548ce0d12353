#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (cargo-fuzz / libFuzzer). The stable toolchain here
# runs cargo-fuzz's nightly flags with RUSTC_BOOTSTRAP=1. Crashes land in fuzz/artifacts/.
# Usage: bash fuzz/run.sh SECONDS        (install once: cargo install cargo-fuzz --locked)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
export RUSTC_BOOTSTRAP=1
status=0
for target in tokenizer readers model_folder predict_request http_routes; do
  echo "== $target ($seconds s)"
  if ! cargo fuzz run "$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 | tail -n 3; then status=1; fi
done
exit $status
