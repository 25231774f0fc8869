#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang in build-fuzz/ (`make fuzzers`), then,
# for each target, replays its committed corpus tests/fuzz/corpus/<target>/ (every input that
# ever crashed stays fixed) and fuzzes it for SECONDS (default 30) starting from that corpus.
# Prints "PASS <target>" or "FAIL <target>: ..." per target and ends with "fuzz: N passed, N
# failed". A crashing input is kept under build-fuzz/findings/<target>/ and printed in base64;
# once the bug is fixed, add the input to the target's corpus. Needs clang and
# libclang-rt-14-dev (test-all.sh installs them).
#
#   scripts/fuzz.sh [SECONDS]
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

seconds=${1:-30}
builddir=build-fuzz
corpora=tests/fuzz/corpus
passed=0
failed=0

finish() {
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if ! configure_in "$builddir" CXX="$(cached clang++)" CXXFLAGS="-O1 -g" ||
    ! make -C "$builddir" -j"$(nproc)" fuzzers; then
    say "the fuzz targets did not build"
    failed=1
    finish
fi

# The dictionary knows XML and XMPP tokens: only the targets that parse XML get it.
dictionary_for() {
    case $1 in
    xml_stream_parser_fuzz | stored_xml_fuzz) echo "-dict=tests/fuzz/xmpp.dict" ;;
    esac
}

# Prints where each saved input is and its bytes in base64, so that a CI log alone is enough to
# add it to the corpus.
report_findings() {
    local dir=$1 input
    for input in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*; do
        [ -f "$input" ] || continue
        say "the failing input is saved as $input; once fixed, copy it into $corpora/$2/"
        say "its bytes, in base64 (decode with base64 -d):"
        base64 -w 100 "$input" | head -c 20000 >&2
        echo >&2
    done
}

fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

for corpus in "$corpora"/*/; do
    target=$(basename "$corpus")
    binary="$builddir/tests/fuzz/$target"
    findings="$builddir/findings/$target"
    if [ ! -x "$binary" ]; then
        fail "$target" "$corpus has no fuzz target $binary (see tests/fuzz/local.mk)"
        continue
    fi
    rm -rf "$findings"
    mkdir -p "$findings/new-inputs"
    # shellcheck disable=SC2046 # the dictionary option is one word or none
    options=(-timeout=10 -artifact_prefix="$findings/" $(dictionary_for "$target"))

    # Given files, libFuzzer runs each once; the one it names last before a report is the culprit.
    say "$target: replaying $(find "$corpus" -type f | wc -l) corpus inputs"
    if ! "$binary" "${options[@]}" "$corpus"* >"$findings/replay.log" 2>&1; then
        tail -n 60 "$findings/replay.log" >&2
        fail "$target" "an input of $corpus fails (the last 'Running:' line above names it)"
        continue
    fi

    # New inputs go into a scratch directory: the committed corpus is only read.
    say "$target: fuzzing for $seconds s"
    if ! "$binary" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        "$findings/new-inputs" "$corpus" >"$findings/fuzz.log" 2>&1; then
        tail -n 80 "$findings/fuzz.log" >&2
        report_findings "$findings" "$target"
        fail "$target" "fuzzing found a failing input (saved in $findings)"
        continue
    fi
    grep -E '^stat::number_of_executed_units' "$findings/fuzz.log" | sed "s/^/$target: /" >&2
    echo "PASS $target"
    passed=$((passed + 1))
done
finish
