#!/bin/sh
# cli_iofault.sh — failing disks: every write, fsync and rename of an indexing run and of a merge
# fails in turn, and the disk fills up at many points; each time protokoll exits 1 naming the
# operation and the file, and the index still holds the previous generation, sound.
#
# The faults come from an LD_PRELOAD shim (tests/iofault.c) rather than from a hook in the library:
# the binary under test is the one users run, every call it makes to the C library is covered
# (including the folder's fsync and the manifest's rename), and the library carries no test-only
# paths.  It needs a C compiler and a dynamically linked protokoll; without them the test skips.
. tests/lib.sh

CC=${CC:-cc}
SHIM=$TMP/iofault.so
if ! $CC -shared -fPIC -O1 -o "$SHIM" tests/iofault.c -ldl 2>"$TMP/cc.err"; then
    skip all "cannot build the LD_PRELOAD shim with $CC: $(head -n 1 "$TMP/cc.err")"
    exit 0
fi
case "$PK" in *valgrind*) skip all "not under valgrind (LD_PRELOAD would apply to valgrind itself)"; exit 0;; esac
# ASan wants to come first among preloaded libraries; the shim only wraps libc calls, so let it be
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# two meetings indexed first, then a run that deletes one and adds two more
mkdir -p "$TMP/in1" "$TMP/in2"
cp corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt "$TMP/in1/"
cat >"$TMP/in1/2022-03-14_styrelse.md" <<'EOF'
# Protokoll styrelsemöte 2022-03-14

Närvarande: Anna Lind (ordförande), Per Holm, Sara Ek

## 1. Budget 2022

Styrelsen diskuterade budgeten för vattenverket.

Beslut: styrelsen godkänner budgeten.
EOF
cat >"$TMP/in2/2022-05-02_styrelse.md" <<'EOF'
# Protokoll styrelsemöte 2022-05-02

## 1. Elektrifiering av bussdepån

Per Holm redovisade läget för elektrifieringen. Laddinfrastrukturen upphandlas under hösten.

Beslut: uppdra åt Per Holm att återkomma senast 2022-06-15.
EOF
{
    printf 'Minnesanteckningar 2022-09-01\n\n'
    i=0
    while [ $i -lt 400 ]; do
        printf 'Punkt %d: fiberutbyggnad i glesbygden och bredbandsstöd, rad %d av minnesanteckningarna.\n' $i $i
        i=$((i + 1))
    done
} >"$TMP/in2/2022-09-01_fiber.txt"

BASE=$TMP/base
"$PK" index -i "$BASE" "$TMP/in1" >/dev/null 2>&1 || { fail base "indexing the first two meetings failed"; exit 0; }
"$PK" stats -i "$BASE" --json >"$TMP/base.stats"
SHARD=$TMP/shard
"$PK" index -i "$SHARD" "$TMP/in2" >/dev/null 2>&1 || { fail shard "indexing the shard failed"; exit 0; }

IX=$TMP/target-index   # the only path the shim touches
run() {  # run OP AT SPACE CMD...: one protokoll run under the shim
    op=$1 at=$2 space=$3
    shift 3
    PK_FAULT_PATH=$IX PK_FAULT_OP=$op PK_FAULT_AT=$at PK_FAULT_SPACE=$space PK_FAULT_LOG=$TMP/log \
        LD_PRELOAD=$SHIM "$PK" "$@" >"$TMP/out" 2>"$TMP/err"
}
index_run() { run "$@" index -i "$IX" --jobs 1 --delete "$TMP/in1/2022-03-14_styrelse.md" "$TMP/in2"; }
merge_run() { run "$@" merge -i "$IX" "$SHARD"; }

# count what a clean run does
rm -rf "$IX"; cp -r "$BASE" "$IX"; rm -f "$TMP/log"
index_run none 0 ""
check clean_index_exit_0 [ $? -eq 0 ]
set -- $(cat "$TMP/log")
index_writes=$2 index_fsyncs=$4 index_renames=$6 index_bytes=$8
"$PK" stats -i "$IX" --json >"$TMP/full.stats"
full_docs=$(sed 's/^{"documents":\([0-9]*\),.*/\1/' "$TMP/full.stats")
check clean_index_docs [ "$full_docs" = 3 ]
rm -rf "$IX"; cp -r "$BASE" "$IX"; rm -f "$TMP/log"
merge_run none 0 ""
check clean_merge_exit_0 [ $? -eq 0 ]
set -- $(cat "$TMP/log")
merge_writes=$2 merge_fsyncs=$4 merge_renames=$6 merge_bytes=$8

tried=0 kept=0
# after a failed run: exit 1, "protokoll: error: ... <op> failed ... <file in the index>", and the
# index is the previous generation (same manifest, same statistics), sound; or, when only the
# folder's fsync after the manifest switch failed, the complete new generation, and the message
# says so.
judge() {  # judge NAME OP-WORDS
    name=$1 words=$2
    tried=$((tried + 1))
    rc=$(cat "$TMP/rc")
    if [ "$rc" != 1 ]; then fail "$name" "exit $rc, want 1: $(head -c 300 "$TMP/err")"; return; fi
    if ! grep -Eq "^protokoll: error: .*$IX[^ ]*: .*($words)" "$TMP/err"; then
        fail "$name" "message does not name the operation ($words) and a file: $(head -c 300 "$TMP/err")"
        return
    fi
    if ! "$PK" verify -i "$IX" >/dev/null 2>"$TMP/verr"; then
        fail "$name" "verify after the fault: $(head -c 300 "$TMP/verr")"
        return
    fi
    "$PK" stats -i "$IX" --json >"$TMP/now.stats" 2>&1
    if cmp -s "$IX/MANIFEST" "$BASE/MANIFEST" && cmp -s "$TMP/now.stats" "$TMP/base.stats"; then
        kept=$((kept + 1))
        pass "$name"
    elif grep -q "fsync of the folder failed.*is in place" "$TMP/err"; then
        docs=$(sed 's/^{"documents":\([0-9]*\),.*/\1/' "$TMP/now.stats")
        check "$name" [ "$docs" = "$want" ]
    else
        fail "$name" "the index changed although the run failed: $(head -c 300 "$TMP/err")"
    fi
}

for what in index merge; do
    want=3; [ $what = merge ] && want=4   # merge deletes nothing
    eval "nw=\$${what}_writes nf=\$${what}_fsyncs nr=\$${what}_renames nb=\$${what}_bytes"
    for op in write fsync rename; do
        case $op in write) total=$nw;; fsync) total=$nf;; rename) total=$nr;; esac
        k=1
        while [ "$k" -le "$total" ]; do
            rm -rf "$IX"; cp -r "$BASE" "$IX"
            ${what}_run "$op" "$k" ""; echo $? >"$TMP/rc"
            judge "${what}_${op}_${k}_of_${total}" "$op( of the folder)? failed"
            # and the next run, without faults, completes the work
            "$PK" "$what" -i "$IX" $( [ $what = index ] && echo "--delete $TMP/in1/2022-03-14_styrelse.md $TMP/in2" || echo "$SHARD") \
                >/dev/null 2>"$TMP/err2"
            rc=$?
            [ $rc -eq 1 ] && [ $what = index ] && grep -q "not in the index" "$TMP/err2" && rc=0   # deleted already
            docs=$("$PK" stats -i "$IX" --json | sed 's/^{"documents":\([0-9]*\),.*/\1/')
            check "${what}_${op}_${k}_then_completes" [ "$rc" -eq 0 -a "$docs" = "$want" ]
            k=$((k + 1))
        done
    done
    # a full disk: the index files may take N bytes, for N from 0 to all a clean run writes
    for frac in 0 1 3 10 25 40 55 70 85 95 99; do
        space=$((nb * frac / 100))
        rm -rf "$IX"; cp -r "$BASE" "$IX"
        ${what}_run none 0 "$space"; echo $? >"$TMP/rc"
        judge "${what}_disk_full_after_${space}_of_${nb}_bytes" "write failed: No space left on device"
    done
    rm -rf "$IX"; cp -r "$BASE" "$IX"
    ${what}_run none 0 "$nb"
    check "${what}_disk_just_large_enough" [ $? -eq 0 ]
done
echo "iofault: $tried faults injected, previous generation kept after $kept" >&2
check faults_tried [ "$tried" -gt 20 ]
