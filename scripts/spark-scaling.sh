#!/usr/bin/env bash
# Spark scaling benchmark (issue 13; a benchmark, not a test): batch inference (predict) over 100,000 MNIST samples
# (the 10,000 test images repeated 10 times) on 1 and 2 executor cores (local[1], local[2]), beside the
# single-machine `evaluate --parallel 2` on the same samples, and Spark's fixed start-up cost (the same predict over
# 32 samples). Every number is the wall time of one launcher command, measured side by side in one run; on a shared
# machine repeat it and compare ratios, not absolute numbers.
#
#   scripts/spark-scaling.sh [WORKDIR]     (default: a temporary folder, removed at the end)
#
# Needs the fixtures (QUANTA_FIXTURES or ../shared/fixtures). The launcher builds quanta.jar and quanta-spark first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="${QUANTA_FIXTURES:-$root/../shared/fixtures}"
work="${1:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
model="$fixtures/mnist/keras_mlp/mnist.h5"
images="$work/mnist100k-images-idx3-ubyte"
labels="$work/mnist100k-labels-idx1-ubyte"
repeat=10
n=$((10000 * repeat))
# IDX headers for 100,000 samples (big-endian counts), then the test set's bytes 10 times
printf '\x00\x00\x08\x03\x00\x01\x86\xa0\x00\x00\x00\x1c\x00\x00\x00\x1c' >"$images"
printf '\x00\x00\x08\x01\x00\x01\x86\xa0' >"$labels"
for _ in $(seq "$repeat"); do
  gzip -dc "$fixtures/mnist/t10k-images-idx3-ubyte.gz" | tail -c +17 >>"$images"
  gzip -dc "$fixtures/mnist/t10k-labels-idx1-ubyte.gz" | tail -c +9 >>"$labels"
done

now() { date +%s.%N; }
# runs the launcher, prints its wall seconds; its stdout goes to $work/$1.out
timed() {
  local name="$1"
  shift
  local t0 t1
  t0="$(now)"
  "$root/quanta" "$@" >"$work/$name.out"
  t1="$(now)"
  echo "$t1 - $t0" | bc -l
}

"$root/quanta" --version >/dev/null 2>&1 || true
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores (shared with other jobs: compare ratios)"
echo "JDK: $("${JAVA_HOME:-/usr}/bin/java" -version 2>&1 | head -1)"
echo "Samples: $n (MNIST test set x $repeat), model mnist/keras_mlp/mnist.h5 (Dense 784-128-10)"
# warm-up: builds the jars, fills the page cache
"$root/quanta" predict "$model" --data "$images" --scale 1/255 --limit 32 --out "$work/warm.parquet" \
  --spark 'local[1]' >/dev/null

single_small=$(timed single_small evaluate "$model" --data "$images" --labels "$labels" --scale 1/255 --limit 32 \
  --parallel 2)
single=$(timed single evaluate "$model" --data "$images" --labels "$labels" --scale 1/255 --parallel 2)
fixed=$(timed fixed predict "$model" --data "$images" --scale 1/255 --limit 32 --out "$work/fixed.parquet" \
  --spark 'local[2]')
one=$(timed local1 predict "$model" --data "$images" --scale 1/255 --out "$work/p1.parquet" --spark 'local[1]')
two=$(timed local2 predict "$model" --data "$images" --scale 1/255 --out "$work/p2.parquet" --spark 'local[2]')

rate() { echo "$n / ($1 - $2)" | bc -l; }
printf '%-44s %8s %14s\n' "run" "wall s" "samples/s*"
printf '%-44s %8.1f %14s\n' "evaluate --parallel 2, 32 samples (JVM start)" "$single_small" "-"
printf '%-44s %8.1f %14.0f\n' "evaluate --parallel 2, $n samples" "$single" "$(rate "$single" "$single_small")"
printf '%-44s %8.1f %14s\n' "predict --spark local[2], 32 samples (fixed)" "$fixed" "-"
printf '%-44s %8.1f %14.0f\n' "predict --spark local[1], $n samples" "$one" "$(rate "$one" "$fixed")"
printf '%-44s %8.1f %14.0f\n' "predict --spark local[2], $n samples" "$two" "$(rate "$two" "$fixed")"
echo "* samples/s after the fixed cost: N / (wall - wall of the 32-sample run of the same kind)"
spark_fixed=$(echo "$fixed - $single_small" | bc -l)
printf 'Spark fixed start-up cost over a plain JVM start: %.1f s\n' "$spark_fixed"
r1=$(rate "$single" "$single_small")
r2=$(rate "$two" "$fixed")
# break-even: N / r1 = fixed + N / (k r2)  =>  N = fixed / (1/r1 - 1/(k r2)), when k r2 > r1
for k in 1 2 4 8; do
  if [ "$(echo "$k * $r2 > $r1" | bc -l)" = 1 ]; then
    printf 'Spark on %d such machines pays off from about %.0f samples\n' "$k" \
      "$(echo "$spark_fixed / (1 / $r1 - 1 / ($k * $r2))" | bc -l)"
  else
    printf 'Spark on %d such machine(s) does not pay off at any size (%.0f vs %.0f samples/s)\n' "$k" \
      "$(echo "$k * $r2" | bc -l)" "$r1"
  fi
done
