#!/usr/bin/env bash
# Builds the fuzz targets (stable toolchain, libFuzzer; see README.md) and runs each one.
#
#   bash fuzz/run.sh                        # every target, 5 seconds each (the CI smoke run)
#   bash fuzz/run.sh --time 900 --runs 1000000 flagd lock   # a long run of two targets
#
# Each target starts from its committed seeds (corpus/<target>/, never written to) and grows a
# working corpus in the target directory (`$CARGO_TARGET_DIR/fuzz/`, else fuzz/target/), so a
# second run resumes from what the first found. A crash, hang or oversized allocation stops the
# run with the input saved under `<target directory>/artifacts/`; the script then fails.
# At the end, one line per target: inputs run, seconds, corpus size, coverage.
set -euo pipefail
cd "$(dirname "$0")"

time_s=5
runs=-1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time_s="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls corpus)
fi

# The coverage instrumentation libFuzzer reads (what `cargo fuzz` passes, without the
# sanitizer, which needs nightly), and `--cfg fuzzing` for flags-runtime's `fuzzing` module.
# `--target` keeps these flags off build scripts and proc macros, which run on the host.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --locked --target "$host" --bins
bin="$CARGO_TARGET_DIR/$host/release"
artifacts="$CARGO_TARGET_DIR/artifacts"
mkdir -p "$artifacts"

summary=()
failed=0
for target in "${targets[@]}"; do
  work="$CARGO_TARGET_DIR/corpus/$target"
  mkdir -p "$work"
  log="$CARGO_TARGET_DIR/$target.log"
  echo "== $target"
  # -timeout: seconds per input (a hang; wall-clock, so generous: on a loaded machine a
  # stalled process must not read as a hang); -rss_limit_mb: the process's memory; single
  # allocations are bounded by the targets' own allocator (src/lib.rs, MAX_ALLOCATION).
  if "$bin/$target" "$work" "corpus/$target" \
      -max_total_time="$time_s" -runs="$runs" -max_len=8192 -timeout=30 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -5 || true
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1)
  summary+=("$target: $status, ${execs:-?} inputs in ${secs:-?} s; $cov")
done
printf '%s\n' "${summary[@]}"
exit "$failed"
