#!/usr/bin/env bash
# Times `trialstats regress` on the DataFusion engine over a directory of Parquet files made by
# bench/make_scale_data.py: wall time and peak resident memory of each of REPS runs (after one
# warm-up), on THREADS threads, with and without clustering.
#
#   bench/scale_ours.sh DIR COLS [THREADS] [REPS]
set -euo pipefail
dir=$1; cols=$2; threads=${3:-2}; reps=${4:-3}
bin=${TRIALSTATS:-target/release/trialstats}
rhs=$(seq -s ' + ' -f 'x%g' 1 "$cols")
for se in "--cluster g" "--vcov iid"; do
  "$bin" --threads "$threads" regress --data "$dir" --formula "y ~ $rhs" $se > /dev/null
  for r in $(seq "$reps"); do
    /usr/bin/time -f "%e s, %M KB peak" "$bin" --threads "$threads" regress --data "$dir" \
      --formula "y ~ $rhs" $se 2>&1 >/dev/null | sed "s/^/$cols columns, $se, $threads threads: /"
  done
done
