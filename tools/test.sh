#!/usr/bin/env bash
# The README's test command (`make test`) ends here: host unit tests (cmocka
# under ASan/UBSan), the host tools' tests, then every QEMU configuration of
# the given arches (configurations, benchmark determinism and the regression
# guard against tests/bench/baseline-<arch>.json, shell sessions, shell
# fuzzer). Each stage's counts are added up into the last line,
# "N passed, N failed".
#   tools/test.sh [--host-only] [arm64] [riscv64] [arm]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
host_only=0; arches=()
for a in "$@"; do
  case $a in --host-only) host_only=1 ;; arm64|riscv64|arm) arches+=("$a") ;;
    *) echo "test.sh: unknown argument '$a' (expected --host-only, arm64, riscv64, arm)"; exit 2 ;; esac
done
passed=0; failed=0; skipped=0; problems=()
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }
mkdir -p build/logs
# Both host cores: builds with make -j, QEMU configurations two at a time
# (tools/runner.py --jobs; a multi-threaded TCG one runs alone).
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$JOBS" -gt 4 ] 2>/dev/null && JOBS=4      # (each QEMU takes 256 MiB and a core)

echo "== host unit tests (cmocka, ASan+UBSan)"
if ! make --no-print-directory -s -j"$JOBS" host-build > build/logs/host-build.log 2>&1; then
  cat build/logs/host-build.log; echo "host tests: build failed"; add 0 1; problems+=("host build")
else
  # JOBS binaries at a time (test_fdt alone spawns thousands of fdtget
  # processes), each one's output kept and judged in order below.
  running=0
  rm -f build/logs/host-test_*.out build/logs/host-test_*.rc
  for t in build/host/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    ( "$t" > "build/logs/host-$name.out" 2>&1; echo $? > "build/logs/host-$name.rc" ) &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
  done
  wait
  for t in build/host/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out=$(cat "build/logs/host-$name.out"); rc=$(cat "build/logs/host-$name.rc" 2>/dev/null || echo 1)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END{print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END{print s+0}')
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END{print s+0}')
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed (ASan/UBSan abort) before its summary
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # ran nothing
    [ "$f" -ne 0 ] && { echo "$out" | tail -40; problems+=("$name"); }
    echo "  $name: $p passed, $f failed"
    add "$p" "$f" "$s"
  done
fi

echo "== host tools tests (python unittest)"
out=$($PY -m unittest discover -s tests/tools -t . 2>&1); rc=$?
ran=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1); ran=${ran:-0}
bad=$(sed -n 's/^FAILED (\(.*\))/\1/p' <<<"$out" | tr ',' '\n' | sed -n 's/.*\(failures\|errors\)=\([0-9]*\).*/\2/p' | awk '{s+=$1} END{print s+0}')
sk=$(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' <<<"$out" | tail -1); sk=${sk:-0}
if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
[ "$bad" -ne 0 ] && { echo "$out" | tail -40; problems+=("tools tests"); }
echo "  tools: $((ran - bad - sk)) passed, $bad failed, $sk skipped"
add $((ran - bad - sk)) "$bad" "$sk"

if [ $host_only -eq 0 ]; then
  for arch in "${arches[@]}"; do
    echo "== QEMU $arch"
    # arm: the Raspberry Pi 2 image too (configuration arm-rpi2 boots it on -M raspi2b)
    if ! { make --no-print-directory -s -j"$JOBS" ARCH=$arch kernel &&
           { [ "$arch" != arm ] || make --no-print-directory -s -j"$JOBS" ARCH=arm BOARD=rpi2 kernel; }; } > build/logs/kernel-$arch.log 2>&1; then
      cat build/logs/kernel-$arch.log; echo "kernel $arch: build failed"; add 0 1; problems+=("$arch build"); continue
    fi
    # The board builds of this arch that have a QEMU board model in tests/qemu.conf.
    boards=(); [ "$arch" = arm64 ] && boards=(rpi4)
    for b in "${boards[@]}"; do
      if ! make --no-print-directory -s -j"$JOBS" BOARD=$b kernel > build/logs/kernel-$b.log 2>&1; then
        cat build/logs/kernel-$b.log; echo "kernel BOARD=$b: build failed"; add 0 1; problems+=("$b build")
      fi
    done
    $PY tools/runner.py --arch $arch --jobs "$JOBS" --keep-logs build/logs | tee build/logs/runner-$arch.txt
    last=$(tail -1 build/logs/runner-$arch.txt)
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$last")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$last")
    s=$(sed -n 's/^skipped: \([0-9]*\)/\1/p' build/logs/runner-$arch.txt | tail -1)
    if [ -z "$p" ]; then p=0; f=1; problems+=("$arch runner gave no result line"); fi
    [ "$f" -ne 0 ] && problems+=("QEMU $arch")
    add "$p" "$f" "${s:-0}"
    if [ "$arch" = arm64 ]; then
      # The LAVA jobs' monitors over real console logs of this run: every KTAP
      # case and the TESTBED status become LAVA test cases.
      echo "== LAVA monitors on the console logs (tools/lava_check.py)"
      for pair in qemu-arm64:arm64-el1 rpi4:rpi4-raspi4b; do
        if out=$($PY tools/lava_check.py monitors tools/lava/${pair%%:*}.yaml build/logs/${pair#*:}.log 2>&1); then
          echo "  $out"; add 1 0
        else
          echo "$out" | sed 's/^/  /'; add 0 1; problems+=("lava monitors ${pair#*:}")
        fi
      done
    fi
    echo "== benchmark determinism $arch (bench=default twice under -icount: identical results)"
    rdir=build/bench-repeat/$arch; rm -rf "$rdir"
    if $PY tools/benchread.py qemu --arch $arch --config $arch-numa --bench default -o "$rdir/1" > build/logs/bench-$arch-1.txt 2>&1 &&
       $PY tools/benchread.py qemu --arch $arch --config $arch-numa --bench default -o "$rdir/2" > build/logs/bench-$arch-2.txt 2>&1 &&
       [ -s "$rdir/1/results.jsonl" ] && cmp -s "$rdir/1/results.jsonl" "$rdir/2/results.jsonl"; then
      echo "  ok: $(wc -l < "$rdir/1/results.jsonl") results, identical in both runs"
      add 1 0
    else
      echo "  not ok: the two runs differ or failed (build/logs/bench-$arch-*.txt)"
      diff "$rdir/1/results.jsonl" "$rdir/2/results.jsonl" 2>&1 | head -5
      add 0 1; problems+=("bench determinism $arch")
    fi
    # The same run judged against the committed baseline: a median
    # instruction count grown by more than 2%, or a result gone, fails
    # (make bench-baseline regenerates it deliberately).
    echo "== benchmark regression guard $arch (median instructions vs tests/bench/baseline-$arch.json, +2% fails)"
    if $PY tools/bench_guard.py check --baseline tests/bench/baseline-$arch.json "$rdir/1/results.jsonl" > build/logs/bench-guard-$arch.txt 2>&1; then
      echo "  ok: $(tail -1 build/logs/bench-guard-$arch.txt)"
      add 1 0
    else
      sed 's/^/  /' build/logs/bench-guard-$arch.txt | head -40
      add 0 1; problems+=("bench guard $arch")
    fi
    echo "== serial shell sessions $arch"
    $PY tools/shell_session.py --arch $arch | tee build/logs/shell-$arch.txt
    last=$(tail -1 build/logs/shell-$arch.txt)
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$last")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$last")
    if [ -z "$p" ]; then p=0; f=1; fi
    [ "$f" -ne 0 ] && problems+=("shell $arch")
    add "$p" "$f"
    # A fixed seed by default (the same commands every run, like mm_random's
    # default seed); SHELL_FUZZ_SEED=random (or a number) explores others.
    echo "== serial shell fuzzer $arch (seed ${SHELL_FUZZ_SEED:-1})"
    $PY tools/shell_fuzz.py --arch $arch --seed "${SHELL_FUZZ_SEED:-1}" | tee build/logs/shell-fuzz-$arch.txt
    last=$(tail -1 build/logs/shell-fuzz-$arch.txt)
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' <<<"$last")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' <<<"$last")
    if [ -z "$p" ]; then p=0; f=1; fi
    [ "$f" -ne 0 ] && problems+=("shell fuzzer $arch")
    add "$p" "$f"
  done
fi

# (on a full run: every arch, the boards' arm64 and riscv64 among them)
if [ $host_only -eq 0 ] && [[ " ${arches[*]} " == *" arm64 "* ]] && [[ " ${arches[*]} " == *" riscv64 "* ]]; then
  # make sdcard for both boards: the card's file list (mtools) and config.txt /
  # boot script checked (tools/sdcard.py check).
  for b in rpi4 visionfive2; do
    echo "== SD card image $b"
    if make --no-print-directory -s BOARD=$b BOOTARGS='test=boot' kernel > build/logs/kernel-$b.log 2>&1 &&
       $PY tools/sdcard.py build --board $b --bootargs 'test=boot' -o build/$b/sdcard.img > build/logs/sdcard-$b.txt 2>&1 &&
       $PY tools/sdcard.py check build/$b/sdcard.img --board $b --build-dir build --bootargs 'test=boot' >> build/logs/sdcard-$b.txt 2>&1; then
      echo "  $(tail -1 build/logs/sdcard-$b.txt)"; add 1 0
    else
      sed 's/^/  /' build/logs/kernel-$b.log build/logs/sdcard-$b.txt | tail -15
      add 0 1; problems+=("sdcard $b")
    fi
  done
fi

echo
[ ${#problems[@]} -gt 0 ] && echo "failures in: ${problems[*]}"
echo "skipped: $skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
