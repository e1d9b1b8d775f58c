#!/usr/bin/env bash
# Seed corpus of every fuzz target: the fixtures, the producer corpus (fixtures/producers)
# and the filter corpus (fixtures/filters)
# up to 1 MB (the larger ones slow the fuzzer down and add little), plus the saved
# regressions; for `filters`, the real chunks of fuzz/corpus-seeds/filters/ (written by
# fuzz/filter_seeds.py from fixtures/filters/). fuzz/corpus/ is not committed.
set -euo pipefail
cd "$(dirname "$0")"
for t in walk read load; do
    mkdir -p "corpus/$t"
    find ../fixtures ../fixtures/producers ../fixtures/filters -maxdepth 1 -name '*.h5' -size -1000k -exec cp -n {} "corpus/$t/" \;
    if [ -d "regressions/$t" ]; then
        find "regressions/$t" -type f -exec cp -n {} "corpus/$t/" \;
    fi
done
mkdir -p corpus/filters
for d in corpus-seeds/filters regressions/filters; do
    if [ -d "$d" ]; then
        find "$d" -type f -exec cp -n {} corpus/filters/ \;
    fi
done
