#!/usr/bin/env bash
# Seed corpus of every fuzz target: the fixtures and the producer corpus (fixtures/producers)
# up to 1 MB (the larger ones slow the fuzzer down and add little), plus the saved
# regressions. fuzz/corpus/ is not committed.
set -euo pipefail
cd "$(dirname "$0")"
for t in walk read load; do
    mkdir -p "corpus/$t"
    find ../fixtures ../fixtures/producers -maxdepth 1 -name '*.h5' -size -1000k -exec cp -n {} "corpus/$t/" \;
    if [ -d "regressions/$t" ]; then
        find "regressions/$t" -type f -exec cp -n {} "corpus/$t/" \;
    fi
done
