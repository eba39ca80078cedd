#!/usr/bin/env bash
# Model-checks libs/dual-write/model/protocol.pml with spin: generates the verifier (spin -a), compiles it
# with gcc and runs ./pan, in a temporary directory (nothing is written to the repo).
#
#   bash libs/dual-write/model/check.sh            every mode: the full model must have 0 errors and every
#                                                  switch must give a counterexample; exit 0 iff so
#   bash libs/dual-write/model/check.sh MODE...    those modes only; exit 1 if any of them has an error
#   bash libs/dual-write/model/check.sh --list     the modes
#
# For each mode it prints one line `RESULT mode=... errors=N violated=NAME states=N depth=N seconds=S`,
# and for a counterexample the interleaving spin replays from the trail (the model's printf lines).
# Environment: KEEP=1 keeps the build directory; JOBS=N runs N modes at once (default 1).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
model="$here/protocol.pml"

# mode | spin -D flags | expected (ok = no error, cex = a counterexample) | what it shows
modes() {
  cat <<'EOF'
full|-DMAXF=1 -DFLIPS=2 -DRETRIES=1 -DCRASHES=1|ok|the protocol: 1 store fault, crash, retry, flips 2->3->2
full-2faults|-DMAXF=2 -DFLIPS=1 -DRETRIES=1 -DCRASHES=0|ok|the protocol: 2 store faults, retry, one flip
no-sync-lock|-DNO_SYNC_LOCK|cex|(a) ordering: the sync reads and writes without the per-key lock
payload-sync|-DPAYLOAD_SYNC|cex|(a) ordering: the sync writes the request's payload
no-tombstone-delete|-DNO_TOMB_DELETE|cex|(b) tombstones: a delete is not propagated to the secondary
no-fence-claim|-DNO_FENCE_CLAIM|cex|(c) fencing: the claim does not check the flag version
no-fence-wait|-DNO_FENCE_WAIT|cex|(c) fencing: the flip does not wait for old-version ops
uncond-ledger|-DUNCOND_LEDGER|cex|(d) ledger: updates are unconditional
gap-copy-gate|-DNO_COPY_GATE|cex|gap: B becomes primary before the initial copy has finished
gap-crash-frees-lock|-DCRASH_FREES_LOCK|cex|gap: a crash frees the advisory lock while its call is in flight
gap-late-landing|-DLATE_LANDING|cex|gap: the sync of a timed-out op does not wait for its primary call
gap-tomb-literal|-DTOMB_LITERAL|cex|gap: delete proof = newest op whose primary write is known to have succeeded
gap-delete-retry-404|-DDELETE_RETRY_404|cex|gap: a re-run delete that finds no row answers 404
gap-replay-unclaimed|-DREPLAY_UNCLAIMED|cex|gap: the replay job syncs without claiming the op
gap-replay-not-awaited|-DREPLAY_NOT_AWAITED|cex|gap: the flip does not wait for a primary_unavailable op being replayed
gap-replay-during-fence|-DREPLAY_DURING_FENCE|cex|gap: a primary_unavailable op is replayed while the flags are fenced
gap-retry-in-flight|-DRETRY_WHILE_IN_FLIGHT -DMAXF=2 -DFLIPS=1 -DCRASHES=0|cex|gap: a retry re-runs an op whose earlier primary call may still land
gap-orphan-no-proof|-DORPHAN_NO_PROOF|cex|gap: the row an unknown-outcome op left on the old primary is never deleted
EOF
}

if [ "${1:-}" = "--list" ]; then
  modes | awk -F'|' '{ printf "%-24s %-4s %s\n", $1, $3, $4 }'
  exit 0
fi

for tool in spin gcc; do
  command -v "$tool" >/dev/null || { echo "check.sh: $tool not found (apt-get install -y spin gcc)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dw-model.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; else echo "build directory: $work"; fi

# run_mode NAME FLAGS EXPECT: prints the report into $work/NAME.report; returns 0 iff pan found no error
run_mode() {
  local name=$1 flags=$2 expect=$3 dir="$work/$1" start end errors violated states depth vector secs
  mkdir -p "$dir" && cp "$model" "$dir/" && cd "$dir" || return 2
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  if ! spin -a $flags protocol.pml > spin.out 2>&1; then cat spin.out; echo "RESULT mode=$name errors=-1 (spin -a failed)"; return 2; fi
  # exhaustive runs: optimised verifier and a 2^27-slot hash table; counterexample hunts stop early: small ones
  local opt=-O1 hash=-w23
  if [ "$expect" = ok ]; then opt=-O2; hash=-w27; fi
  if ! gcc $opt -w -DSAFETY -DNOFAIR -DNOBOUNDCHECK -DMEMLIM=16000 -o pan pan.c > gcc.out 2>&1; then
    cat gcc.out; echo "RESULT mode=$name errors=-1 (gcc failed)"; return 2
  fi
  # -m: search depth bound (never reached: the model is finite); -c1: stop at the first error
  ./pan -m400000 $hash -c1 > pan.out 2>&1
  end=$(date +%s.%N)
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | tail -n 1)
  violated=$(sed -n 's/^pan:1: \(.*\) (at depth.*/\1/p' pan.out | sed 's/assertion violated //; s/ /_/g' | head -n 1)
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' pan.out | head -n 1)
  depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.out | head -n 1)
  vector=$(sed -n 's/^State-vector \([0-9]*\) byte.*/\1/p' pan.out | head -n 1)
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  if ! grep -q "errors:" pan.out; then
    cat pan.out; echo "RESULT mode=$name errors=-1 (pan did not finish)"; return 2
  fi
  if grep -q "Search not completed" pan.out && [ "${errors:-0}" = 0 ]; then
    cat pan.out; echo "RESULT mode=$name errors=-1 (search not completed)"; return 2
  fi
  {
    echo "== $name: spin $flags"
    if [ "${errors:-0}" != 0 ]; then
      echo "counterexample ($violated), replayed from the trail:"
      # shellcheck disable=SC2086
      spin -t $flags protocol.pml 2>&1 | grep -vE '^[[:space:]]*$|^		|proc +[0-9]+ \(|processes created|^spin: trail|^#processes' |
        sed -E 's/^ +/  /; s/^spin: protocol.pml:[0-9]+, Error: /  => /; s/^spin: text of failed assertion: /     /'
    fi
    grep -E 'State-vector|states, stored|elapsed' pan.out | sed 's/^ */  /'
    echo "RESULT mode=$name errors=${errors:-?} violated=${violated:-none} states=${states:-?} depth=${depth:-?} vector=${vector:-?} seconds=$secs"
  } > "$work/$name.report"
  [ "${errors:-1}" = 0 ]
}

selected=()
if [ $# -gt 0 ]; then
  for m in "$@"; do
    line=$(modes | awk -F'|' -v m="$m" '$1 == m')
    [ -n "$line" ] || { echo "check.sh: unknown mode '$m' (see --list)" >&2; exit 2; }
    selected+=("$line")
  done
else
  while IFS= read -r line; do selected+=("$line"); done < <(modes)
fi

jobs=${JOBS:-1}
pids=()
for line in "${selected[@]}"; do
  IFS='|' read -r name flags _expect _what <<< "$line"
  ( run_mode "$name" "$flags" "$_expect"; echo $? > "$work/$name.rc" ) &
  pids+=($!)
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait

status=0
for line in "${selected[@]}"; do
  IFS='|' read -r name _flags expect what <<< "$line"
  [ -f "$work/$name.report" ] && cat "$work/$name.report"
  rc=$(cat "$work/$name.rc" 2>/dev/null || echo 2)
  if [ $# -gt 0 ]; then
    [ "$rc" = 0 ] || status=1
  else
    if [ "$rc" = 2 ]; then status=1; echo "  !! $name: the check did not run to the end"
    elif [ "$expect" = ok ] && [ "$rc" != 0 ]; then status=1; echo "  !! $name: expected no error ($what)"
    elif [ "$expect" = cex ] && [ "$rc" = 0 ]; then status=1; echo "  !! $name: expected a counterexample ($what)"
    fi
  fi
done
exit $status
