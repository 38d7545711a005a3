#!/usr/bin/env bash
# Mutation check (not part of the default test run: it takes an hour or
# more). Applies each mutation of tests/mutations.txt one at a time to a
# scratch copy of this tree, rebuilds, runs the tests it names, reverts,
# and prints each mutant's fate and the kill rate. docs/testing.md explains
# the list and the options; scripts/mutate.py --help lists them.
#   nice -n 19 scripts/mutate.sh [--only REGEX] [--scratch DIR]
set -euo pipefail
exec python3 "$(dirname "$0")/mutate.py" "$@"
