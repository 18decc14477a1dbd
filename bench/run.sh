#!/bin/sh
# run.sh — `make bench`: generate archives, measure protokoll and its peers on them, write RESULTS.md.
#
# Environment (all optional):
#   BENCH_SIZES="50 200 1000"   archive sizes in MB (10^6 bytes); `make bench BENCH_SIZES=50` is quick
#   BENCH_PEER_SIZES            sizes on which the peers run (default: those of BENCH_SIZES below 1000,
#                               which keeps `make bench` under 20 minutes on two cores)
#   BENCH_RUNS=200              measured runs per query (after 10 unmeasured)
#   BENCH_DATA=bench/data       cached archives (regenerated when missing or when gen.c changed)
#   BENCH_OUT=bench/out         indexes, databases, logs and raw figures of this run
#   BENCH_RESULTS=bench/RESULTS.md
#   BENCH_KEEP=1                keep indexes and databases after measuring
#   BENCH_SEED=1                generator seed
#
# Every figure in RESULTS.md is measured in this run.  A program or command that does not exist
# yet is skipped with a note; the run never fails because of it.
set -u
BUILD=${BUILD:-build/release}
SIZES=${BENCH_SIZES:-50 200 1000}
PEER_SIZES=${BENCH_PEER_SIZES:-$(for s in $SIZES; do [ "$s" -lt 1000 ] && printf '%s ' "$s"; done)}
[ -n "$PEER_SIZES" ] || PEER_SIZES=$(echo "$SIZES" | awk '{ print $1 }')
RUNS=${BENCH_RUNS:-200}
DATA=${BENCH_DATA:-bench/data}
OUT=${BENCH_OUT:-bench/out}
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
SEED=${BENCH_SEED:-1}
KEEP=${BENCH_KEEP:-0}
PK=${PK:-$BUILD/protokoll}
GEN=$BUILD/bench/gen
RUNSTAT=$BUILD/bench/runstat
PEERS=$BUILD/peers
PY=/usr/bin/python3
[ -x "$PY" ] || PY=

mkdir -p "$DATA" "$OUT" "$PEERS"
M=$OUT/metrics.tsv          # size <TAB> metric <TAB> value <TAB> unit
NOTES=$OUT/notes.txt
: >"$M"
: >"$NOTES"
START=$(date +%s)

say()  { echo "bench: $*" >&2; }
note() { grep -qxF -- "- $*" "$NOTES" 2>/dev/null || echo "- $*" >>"$NOTES"; say "note: $*"; }
rec()  { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$M"; }
# val SIZE METRIC: the value recorded, or empty
val()  { awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3; exit }' "$M"; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }" 2>/dev/null; }
# rows SIZE PREFIX FILE: record every "| metric | value | unit |" row of FILE (not trend rows)
rows() {
    awk -F'|' -v s="$1" -v p="$2" 'NF >= 5 && $2 !~ /^ *-+ *$/ && $2 !~ /^ *trend [0-9u]/ {
        for (i = 2; i <= 4; i++) { gsub(/^ +| +$/, "", $i) }
        printf "%s\t%s%s\t%s\t%s\n", s, p, $2, $3, $4 }' "$3" >>"$M"
}
# first MB/s row of a bench program's output
first_mbs() { awk -F'|' '$4 ~ /MB\/s/ { gsub(/ /, "", $3); print $3; exit }' "$1"; }
# stat FILE: set S_wall_s, S_p99_s, S_user_s, S_sys_s, S_maxrss_kb, S_status from runstat's line
stat_load() {
    S_wall_s=; S_p99_s=; S_user_s=; S_sys_s=; S_maxrss_kb=; S_status=
    [ -s "$1" ] || return 1
    eval "$(tr ' ' '\n' <"$1" | sed -n 's/^\([a-z0-9_]*\)=\([0-9.]*\)$/S_\1=\2/p')"
}
has_cmd() { [ -x "$PK" ] && "$PK" 2>&1 | grep -qE "^  $1( |\$)"; }
elapsed() { echo $(( $(date +%s) - START )); }

# ---- machine and versions -------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)
cores=$(nproc 2>/dev/null || echo "?")
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
kernel=$(uname -sr)
compiler=$(${CC:-cc} --version 2>/dev/null | head -n1)
pkver=$("$PK" version 2>/dev/null || echo "not built")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
pkgver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"; }
stemver=$(pkgver libstemmer0d)
sqlitever=$(pkgver libsqlite3-0)
lucenever=$(pkgver liblucene8-java)
javaver=$(java -version 2>&1 | head -n1)
[ -n "$javaver" ] || javaver="not installed"
when=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)

# ---- tools ------------------------------------------------------------------------------------------
if [ ! -x "$GEN" ] || [ ! -x "$RUNSTAT" ]; then
    say "error: $GEN or $RUNSTAT is missing; run through 'make bench'"
    exit 1
fi
WFLAGS="-std=c11 -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla"

have_fts5=0
if [ -f /usr/include/sqlite3.h ] && [ -f /usr/include/libstemmer.h ]; then
    if ${CC:-cc} $WFLAGS -shared -fPIC -o "$PEERS/fts5_swedish.so" bench/peers/fts5_swedish.c -lstemmer -lutf8proc \
        && ${CC:-cc} $WFLAGS -o "$PEERS/fts5_bench" bench/peers/fts5_bench.c -lsqlite3; then
        have_fts5=1
    else
        note "SQLite FTS5: the tokenizer extension or the harness did not build; FTS5 skipped"
    fi
else
    note "SQLite FTS5: libsqlite3-dev is not installed (make bench-peers); FTS5 skipped"
fi

have_lucene=0
LUCENE_CP=
lc=$(ls /usr/share/java/lucene-core-[0-9]*.jar 2>/dev/null | head -n1)
la=$(ls /usr/share/java/lucene-analyzers-common-[0-9]*.jar 2>/dev/null | head -n1)
if [ -n "$lc" ] && [ -n "$la" ] && command -v javac >/dev/null 2>&1; then
    LUCENE_CP="$lc:$la"
    mkdir -p "$PEERS/java"
    if javac -nowarn -cp "$LUCENE_CP" -d "$PEERS/java" bench/peers/LuceneBench.java; then
        have_lucene=1
    else
        note "Lucene: the harness did not compile; Lucene skipped"
    fi
else
    note "Lucene: liblucene8-java or a JDK (default-jdk-headless) is not installed (make bench-peers); Lucene skipped"
fi

# the in-process query latency program, when the library has query functions
have_bq=0
LIB=$BUILD/libprotokoll.a
if [ -f "$LIB" ] && nm "$LIB" 2>/dev/null | grep -q ' T pk_index_open$'; then
    qflags=
    for f in trend search decisions followups; do
        if nm "$LIB" | grep -q " T pk_${f}_json\$"; then
            F=$(echo "$f" | tr a-z A-Z)
            qflags="$qflags -DPK_HAVE_$F=1"
        fi
    done
    if [ -n "$qflags" ]; then
        libs=$(pkg-config --libs libpcre2-8 jansson zlib libutf8proc libdeflate 2>/dev/null)
        if ${CC:-cc} $WFLAGS $qflags -D_GNU_SOURCE -Iinclude -o "$PEERS/bench_query" bench/query/bench_query.c \
            "$LIB" $libs -lstemmer -lpthread -lm; then
            have_bq=1
        else
            note "bench/query/bench_query.c did not build; query latency comes from CLI runs instead"
        fi
    fi
fi

# ---- helpers for the truth ---------------------------------------------------------------------
# truth_years DIR TOPIC CLASS: "year docs hits" per year, summed over bodies
truth_years() {
    awk -F'\t' -v t="$2" -v c="$3" 'NR > 1 && $3 == t && $4 == c { d[$1] += $5; h[$1] += $6 }
        END { for (y in d) print y, d[y], h[y] }' "$1/truth/topics.tsv" | sort
}
# trend_rows FILE: "year docs hits" from "| trend YEAR | docs | hits |" rows
trend_rows() {
    awk -F'|' '$2 ~ /^ *trend [0-9]/ { split($2, a, " "); gsub(/ /, "", $3); gsub(/ /, "", $4);
        if ($3 + 0 > 0) print a[2], $3 + 0, $4 + 0 }' "$1" | sort
}
# agree A B WHAT: "yes" when the two "year docs hits" lists agree on the columns WHAT (docs|both)
agree() {
    if [ "$3" = docs ]; then
        a=$(echo "$1" | awk '{ print $1, $2 }'); b=$(echo "$2" | awk '{ print $1, $2 }')
    else
        a=$1; b=$2
    fi
    if [ "$a" = "$b" ]; then echo yes; else
        d=$(printf '%s\n' "$a" >"$OUT/.a"; printf '%s\n' "$b" >"$OUT/.b"; diff "$OUT/.a" "$OUT/.b" | grep '^[<>]' | head -n 4 | tr '\n' ' ')
        echo "no: $d"
    fi
}

# ---- per size ---------------------------------------------------------------------------------------
gen_stamp=$(cksum <bench/gen.c | awk '{ print $1 }')
largest=
for S in $SIZES; do
    A=$DATA/gen-${S}mb-s$SEED
    say "== $S MB archive ($(elapsed) s elapsed)"
    if [ ! -s "$A/truth/summary.json" ] || [ "$(cat "$A/.stamp" 2>/dev/null)" != "$gen_stamp" ]; then
        rm -rf "$A"
        "$RUNSTAT" -o "$OUT/stat" "$GEN" -o "$A" --mb "$S" --seed "$SEED" >"$OUT/gen-$S.txt" || { say "error: gen failed"; exit 1; }
        echo "$gen_stamp" >"$A/.stamp"
        rows "$S" "" "$OUT/gen-$S.txt"
    else
        rec "$S" "gen throughput" "cached" ""
    fi
    bytes=$(sed -n 's/^  "bytes": \([0-9]*\),$/\1/p' "$A/truth/summary.json")
    ndocs=$(sed -n 's/^  "documents": \([0-9]*\),$/\1/p' "$A/truth/summary.json")
    rec "$S" "archive bytes" "$bytes" bytes
    rec "$S" "archive documents" "$ndocs" docs
    mb=$(calc "$bytes / 1e6" 3)
    largest=$S

    # analyzer and extraction alone
    for b in analyzer extract; do
        if [ -x "$BUILD/bench/bench_$b" ]; then
            if "$BUILD/bench/bench_$b" "$A/minutes" >"$OUT/$b-$S.txt" 2>"$OUT/$b-$S.err"; then
                rows "$S" "$b: " "$OUT/$b-$S.txt"
                # the analyzer's own figure is its warm pass (the first rows time its parts)
                if [ "$b" = analyzer ]; then
                    mbs=$(awk -F'|' '$2 ~ /warm form cache \(/ { gsub(/ /, "", $3); print $3; exit }' "$OUT/$b-$S.txt")
                else
                    mbs=$(first_mbs "$OUT/$b-$S.txt")
                fi
                rec "$S" "$b throughput" "$mbs" MB/s
            else
                note "bench_$b failed on the $S MB archive: $(tail -n 1 "$OUT/$b-$S.err")"
            fi
        else
            note "the $b alone: not yet available (bench/bench_$b.c is not on this branch)"
        fi
    done

    # indexing end to end
    IX=$OUT/idx-$S
    if has_cmd index; then
        for j in 1 2; do
            rm -rf "$IX-j$j"
            "$RUNSTAT" -o "$OUT/stat" "$PK" index -i "$IX-j$j" --jobs "$j" "$A/minutes" >"$OUT/index-$S-j$j.log" 2>&1
            stat_load "$OUT/stat"
            if [ "${S_status:-1}" = 0 ]; then
                rec "$S" "index jobs $j seconds" "$S_wall_s" s
                rec "$S" "index jobs $j throughput" "$(calc "$bytes / 1e6 / $S_wall_s")" MB/s
                rec "$S" "index jobs $j docs/s" "$(calc "$ndocs / $S_wall_s" 0)" docs/s
                rec "$S" "index jobs $j peak memory" "$(calc "$S_maxrss_kb / 1024" 1)" MB
                rec "$S" "index jobs $j cpu" "$(calc "$S_user_s + $S_sys_s")" s
            else
                note "protokoll index --jobs $j failed on the $S MB archive: $(tail -n 1 "$OUT/index-$S-j$j.log")"
            fi
        done
        rm -rf "$IX-m64"
        "$RUNSTAT" -o "$OUT/stat" "$PK" index -i "$IX-m64" --mem 64 "$A/minutes" >"$OUT/index-$S-m64.log" 2>&1
        stat_load "$OUT/stat"
        if [ "${S_status:-1}" = 0 ]; then
            rec "$S" "index --mem 64 peak memory" "$(calc "$S_maxrss_kb / 1024" 1)" MB
            rec "$S" "index --mem 64 throughput" "$(calc "$bytes / 1e6 / $S_wall_s")" MB/s
        else
            note "protokoll index --mem 64 failed on the $S MB archive: $(tail -n 1 "$OUT/index-$S-m64.log")"
        fi
        rm -rf "$IX-m64"
        j1=$(val "$S" "index jobs 1 throughput"); j2=$(val "$S" "index jobs 2 throughput")
        [ -n "$j1" ] && [ -n "$j2" ] && rec "$S" "index speed-up, 2 jobs / 1 job" "$(calc "$j2 / $j1")" x
    else
        note "protokoll index: not yet available (the index command is not on this branch)"
    fi

    # merge: two shards (alternate body folders) folded into one index
    if has_cmd index && has_cmd merge; then
        rm -rf "$IX-sa" "$IX-sb" "$IX-merged"
        set -- ; set_b=
        i=0
        for d in "$A"/minutes/*/; do
            if [ $((i % 2)) = 0 ]; then set -- "$@" "$d"; else set_b="$set_b $d"; fi
            i=$((i + 1))
        done
        "$PK" index -i "$IX-sa" "$@" >"$OUT/merge-$S.log" 2>&1
        # shellcheck disable=SC2086
        "$PK" index -i "$IX-sb" $set_b >>"$OUT/merge-$S.log" 2>&1
        "$RUNSTAT" -o "$OUT/stat" "$PK" merge -i "$IX-merged" "$IX-sa" "$IX-sb" >>"$OUT/merge-$S.log" 2>&1
        stat_load "$OUT/stat"
        if [ "${S_status:-1}" = 0 ]; then
            rec "$S" "merge seconds" "$S_wall_s" s
            rec "$S" "merge throughput" "$(calc "$bytes / 1e6 / $S_wall_s")" MB/s
            rec "$S" "merge peak memory" "$(calc "$S_maxrss_kb / 1024" 1)" MB
        else
            note "protokoll merge failed on the $S MB archive: $(tail -n 1 "$OUT/merge-$S.log")"
        fi
        rm -rf "$IX-sa" "$IX-sb" "$IX-merged"
    elif has_cmd index; then
        note "protokoll merge: not yet available"
    fi

    # sizes by component
    if [ -d "$IX-j1" ] && has_cmd stats; then
        if "$PK" stats -i "$IX-j1" --json >"$OUT/stats-$S.json" 2>"$OUT/stats-$S.err" && [ -n "$PY" ]; then
            "$PY" - "$OUT/stats-$S.json" "$bytes" >"$OUT/stats-$S.rows" <<'PYEOF'
import json, sys
st = json.load(open(sys.argv[1])); raw = int(sys.argv[2]); b = st.get("bytes", {})
def row(m, v, u): print("| %s | %s | %s |" % (m, v, u))
for k in ("dictionary", "postings", "positions", "documents", "stored", "total"):
    if k in b:
        row("index %s bytes" % k, b[k], "bytes")
        row("index %s / raw text" % k, "%.4f" % (b[k] / raw), "ratio")
core = sum(b.get(k, 0) for k in ("dictionary", "postings", "positions", "documents"))
if all(k in b for k in ("dictionary", "postings", "positions", "documents")):
    row("index dictionary + postings + positions + documents / raw text", "%.4f" % (core / raw), "ratio")
for k in ("documents", "terms", "segments", "text_bytes"):
    if k in st: row("index %s" % k, st[k], "count")
def find(o, path=""):
    if isinstance(o, dict):
        for k, v in o.items():
            if "bits" in k and isinstance(v, (int, float)): row("index %s%s" % (path, k), "%.2f" % v, "bits")
            else: find(v, path + k + ".")
find(st)
PYEOF
            rows "$S" "" "$OUT/stats-$S.rows"
        else
            note "protokoll stats --json failed or Debian's python3 is missing: sizes by component not measured"
        fi
    fi

    # queries
    if [ -d "$IX-j1" ] && has_cmd trend; then
        if [ "$have_bq" = 1 ]; then
            "$PEERS/bench_query" -i "$IX-j1" -n "$RUNS" -d "$OUT" "trend topic elektrifiering:trend:elektrifiering" \
                "trend prefix elektrifier*:trend:elektrifier*" "trend phrase:trend:\"ordet lämnas fritt\"" \
                "search elektrifiering kollektivtrafik:search:elektrifiering kollektivtrafik" \
                "decisions budget:decisions:budget" >"$OUT/query-$S.txt" 2>&1
            rows "$S" "query: " "$OUT/query-$S.txt"
            grep -q 'failed' "$OUT/query-$S.txt" && note "some queries failed on the $S MB archive (see $OUT/query-$S.txt)"
        else
            for q in "elektrifiering" "elektrifier*"; do
                "$RUNSTAT" -o "$OUT/stat" -n 20 "$PK" trend -i "$IX-j1" "$q" >/dev/null 2>&1
                stat_load "$OUT/stat"
                rec "$S" "query: trend $q (CLI process) median" "$(calc "$S_wall_s * 1000" 3)" ms
                rec "$S" "query: trend $q (CLI process) p99" "$(calc "$S_p99_s * 1000" 3)" ms
            done
            note "query latency from CLI runs (process start-up included): the library has no query functions to time in-process"
        fi
        "$RUNSTAT" -o "$OUT/stat" "$PK" trend -i "$IX-j1" elektrifiering >/dev/null 2>&1
        stat_load "$OUT/stat" && rec "$S" "query peak memory (trend elektrifiering)" "$(calc "$S_maxrss_kb / 1024" 1)" MB
        # the planted truth
        if "$PK" trend -i "$IX-j1" --json "elektrifier*" elektrifiering "=elektrifiering" >"$OUT/trend-$S.json" 2>/dev/null && [ -n "$PY" ]; then
            "$PY" - "$OUT/trend-$S.json" >"$OUT/trend-$S.rows" <<'PYEOF'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
for r in res:
    for p in r["series"]:
        print("%s\t%s\t%d\t%d" % (r["query"], p["period"], p["docs"], p["hits"]))
PYEOF
            for pair in "elektrifier*:prefix:docs" "elektrifiering:topic:docs" "=elektrifiering:exact:both"; do
                q=${pair%%:*}; rest=${pair#*:}; cls=${rest%%:*}; what=${rest#*:}
                ours=$(awk -F'\t' -v q="$q" '$1 == q && $3 > 0 { print $2, $3, $4 }' "$OUT/trend-$S.rows" | sort)
                want=$(truth_years "$A" elektrifiering "$cls")
                rec "$S" "truth: trend $q per-year $what = planted $cls" "$(agree "$want" "$ours" "$what")" ""
            done
        else
            note "trend --json failed on the $S MB archive or python3 is missing: the planted truth was not checked"
        fi
    elif has_cmd index; then
        note "query latency: not yet available (protokoll trend, search and decisions are not on this branch)"
    fi
    [ "$KEEP" = 1 ] || rm -rf "$IX-j2"

    # peers
    case " $PEER_SIZES " in *" $S "*) run_peers=1 ;; *) run_peers=0 ;; esac
    if [ "$run_peers" = 1 ] && [ "$have_fts5" = 1 ]; then
        say "SQLite FTS5 on $S MB ($(elapsed) s elapsed)"
        if "$PEERS/fts5_bench" --ext "$PEERS/fts5_swedish.so" --db "$OUT/fts5-$S.db" --runs "$RUNS" \
            "$A/minutes" >"$OUT/fts5-$S.txt" 2>&1; then
            rows "$S" "" "$OUT/fts5-$S.txt"
            rec "$S" "truth: fts5 trend elektrifier* = planted prefix" \
                "$(agree "$(truth_years "$A" elektrifiering prefix)" "$(trend_rows "$OUT/fts5-$S.txt")" both)" ""
        else
            note "SQLite FTS5 failed on the $S MB archive: $(tail -n 1 "$OUT/fts5-$S.txt")"
        fi
        [ "$KEEP" = 1 ] || rm -f "$OUT/fts5-$S.db"
    fi
    if [ "$run_peers" = 1 ] && [ "$have_lucene" = 1 ]; then
        say "Lucene on $S MB ($(elapsed) s elapsed)"
        rm -rf "$OUT/lucene-$S"
        if java -Xmx2g -cp "$LUCENE_CP:$PEERS/java" LuceneBench "$OUT/lucene-$S" elektrifier "$RUNS" \
            "$A/minutes" >"$OUT/lucene-$S.txt" 2>&1; then
            rows "$S" "" "$OUT/lucene-$S.txt"
            rec "$S" "truth: lucene trend elektrifier* = planted prefix" \
                "$(agree "$(truth_years "$A" elektrifiering prefix)" "$(trend_rows "$OUT/lucene-$S.txt")" both)" ""
        else
            note "Lucene failed on the $S MB archive: $(tail -n 1 "$OUT/lucene-$S.txt")"
        fi
        [ "$KEEP" = 1 ] || rm -rf "$OUT/lucene-$S"
    fi
    [ "$KEEP" = 1 ] || rm -rf "$IX-j1"
done

# extraction on real minutes (../shared/corpus/real, or $PK_SHARED/corpus/real, when it is there):
# recorded under the size "real"
SHARED=${PK_SHARED:-../shared}
REAL=$SHARED/corpus/real
if [ -d "$REAL" ] && [ -x "$BUILD/bench/bench_extract" ]; then
    say "extraction on the real corpus ($REAL)"
    if "$BUILD/bench/bench_extract" -n 20 "$REAL" >"$OUT/extract-real.txt" 2>"$OUT/extract-real.err"; then
        rows real "extract: " "$OUT/extract-real.txt"
        rec real "extract throughput" "$(first_mbs "$OUT/extract-real.txt")" MB/s
    else
        note "bench_extract failed on the real corpus: $(tail -n 1 "$OUT/extract-real.err")"
    fi
else
    note "extraction on real minutes: not measured ($REAL is not there)"
fi

# a profile of indexing when the throughput target is missed
T=50
case " $SIZES " in *" 50 "*) ;; *) T=$(echo "$SIZES" | awk '{ print $1 }') ;; esac
j1=$(val "$T" "index jobs 1 throughput"); fts=$(val "$T" "fts5 indexing throughput"); luc=$(val "$T" "lucene indexing throughput")
PROFILE=
if [ -n "$j1" ] && command -v perf >/dev/null 2>&1; then
    miss=0
    [ -n "$fts" ] && [ "$(calc "$j1 < 3 * $fts" 0)" = 1 ] && miss=1
    [ -n "$luc" ] && [ "$(calc "$j1 < 5 * $luc" 0)" = 1 ] && miss=1
    if [ "$miss" = 1 ]; then
        say "profiling protokoll index --jobs 1 on $T MB"
        rm -rf "$OUT/idx-prof"
        if perf record -g -o "$OUT/perf.data" -- "$PK" index -i "$OUT/idx-prof" --jobs 1 "$DATA/gen-${T}mb-s$SEED/minutes" >/dev/null 2>&1; then
            PROFILE=$(perf report -i "$OUT/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null \
                | grep -E '^ +[0-9.]+%' | head -n 20)
        fi
        rm -rf "$OUT/idx-prof"
    fi
fi

# ---- RESULTS.md -----------------------------------------------------------------------------------
v() { x=$(val "$1" "$2"); [ -n "$x" ] && echo "$x" || echo "${3:-n/a}"; }
R=$OUT/RESULTS.md.tmp
{
echo "# Benchmark results"
echo
echo "Written by \`make bench\` (bench/run.sh) on $when. Every figure below was measured in this run"
echo "on this machine; nothing is typed in. Archives are generated by bench/gen (seed $SEED; 1 MB = 10^6 bytes)."
echo "Raw figures: $OUT/metrics.tsv (not kept in git). Sizes measured: $SIZES MB; peers on: $PEER_SIZES MB."
echo
echo "## Machine and versions"
echo
echo "| | |"
echo "|---|---|"
echo "| CPU | $cpu |"
echo "| cores | $cores |"
echo "| RAM | $ram |"
echo "| OS | $os, $kernel |"
echo "| compiler | $compiler |"
echo "| protokoll | $pkver, commit $commit |"
echo "| libstemmer (Snowball) | $stemver |"
echo "| SQLite | $sqlitever |"
echo "| Lucene | $lucenever ($javaver) |"
echo "| load average (1, 5, 15 min) at start and end | $load0; $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) |"
echo
echo "## Targets of issue 6 (on the $T MB archive unless said otherwise)"
echo
echo "| target | measured | verdict |"
echo "|---|---|---|"
verdict() { # COND(awk) -> meets / MISSES
    if [ -z "$1" ]; then echo "not yet available"; elif [ "$(calc "$1" 0)" = 1 ]; then echo "meets"; else echo "**MISSES**"; fi
}
if [ -n "$j1" ] && [ -n "$fts" ]; then
    echo "| index --jobs 1 ≥ 3× SQLite FTS5 indexing | $j1 vs $fts MB/s = $(calc "$j1 / $fts")× | $(verdict "$j1 >= 3 * $fts") |"
else
    echo "| index --jobs 1 ≥ 3× SQLite FTS5 indexing | protokoll ${j1:-n/a} MB/s, FTS5 ${fts:-n/a} MB/s | not yet available |"
fi
if [ -n "$j1" ] && [ -n "$luc" ]; then
    echo "| index --jobs 1 ≥ 5× Lucene indexing | $j1 vs $luc MB/s = $(calc "$j1 / $luc")× | $(verdict "$j1 >= 5 * $luc") |"
else
    echo "| index --jobs 1 ≥ 5× Lucene indexing | protokoll ${j1:-n/a} MB/s, Lucene ${luc:-n/a} MB/s | not yet available |"
fi
sp=$(val "$T" "index speed-up, 2 jobs / 1 job")
echo "| index --jobs 2 ≥ 1.7× --jobs 1 | ${sp:-n/a}× | $(verdict "${sp:+$sp >= 1.7}") |"
core=$(val "$T" "index dictionary + postings + positions + documents / raw text")
lcore=$(val "$T" "lucene dictionary + postings + positions + norms + doc values / text")
echo "| dictionary + postings + positions + document table ≤ 18% of raw text (Lucene: ${lcore:-n/a}) | ${core:-n/a} | $(verdict "${core:+$core <= 0.18}") |"
stored=$(val "$T" "index stored / raw text")
echo "| stored text and records ≤ 35% of raw text | ${stored:-n/a} | $(verdict "${stored:+$stored <= 0.35}") |"
tt=$(val "$T" "query: trend topic elektrifiering median")
echo "| trend of a topic with compounds, all years: median < 1 ms warm | ${tt:-n/a} ms | $(verdict "${tt:+$tt < 1}") |"
ts=$(val "$T" "query: search elektrifiering kollektivtrafik median")
echo "| ranked search, top 10 with snippets: median < 10 ms | ${ts:-n/a} ms | $(verdict "${ts:+$ts < 10}") |"
big=
for S in $SIZES; do [ "$S" -ge 500 ] && { big=$S; break; }; done
if [ -n "$big" ]; then
    pm=$(val "$big" "index --mem 64 peak memory")
    echo "| peak memory indexing ≥ 500 MB with --mem 64 < 150 MB (measured on $big MB) | ${pm:-n/a} MB | $(verdict "${pm:+$pm < 150}") |"
else
    pm=$(val "$largest" "index --mem 64 peak memory")
    echo "| peak memory indexing 500 MB with --mem 64 < 150 MB | ${pm:-n/a} MB on $largest MB only | not measured (no archive ≥ 500 MB in BENCH_SIZES) |"
fi
tr=$(val "$T" "truth: trend elektrifier* per-year docs = planted prefix")
case "$tr" in yes) trv=meets ;; "") trv="not yet available" ;; *) trv="**MISSES**" ;; esac
echo "| per-year documents of trend 'elektrifier*' = the planted truth | ${tr:-n/a} | $trv |"
echo
echo "## Targets of issue 3 (extraction, one thread)"
echo
echo "| target | measured | verdict |"
echo "|---|---|---|"
xg=$(val "$T" "extract throughput"); xr=$(val real "extract throughput")
echo "| extraction ≥ 100 MB/s on the generated archive ($T MB) | ${xg:-n/a} MB/s | $(verdict "${xg:+$xg >= 100}") |"
echo "| extraction ≥ 100 MB/s on the real corpus (../shared/corpus/real, $(v real "extract: extract input") MB, $(v real "extract: extract documents read") documents) | ${xr:-n/a} MB/s | $(verdict "${xr:+$xr >= 100}") |"
echo
if [ -n "$PROFILE" ]; then
    echo "Indexing misses a throughput target; where \`protokoll index --jobs 1\` spends its time on $T MB (perf, self time):"
    echo
    echo '```'
    echo "$PROFILE"
    echo '```'
    echo
fi

echo "## Archives"
echo
echo "| size | documents | bytes | generation |"
echo "|---|---|---|---|"
for S in $SIZES; do
    g=$(val "$S" "gen throughput"); [ "$g" = cached ] && g="cached (generated earlier with the same gen.c)" || g="$g MB/s"
    echo "| $S MB | $(v "$S" "archive documents") | $(v "$S" "archive bytes") | $g |"
done
echo

echo "## Throughput (MB/s of raw text; documents/s where measured)"
echo
printf '| stage |'; for S in $SIZES; do printf ' %s MB |' "$S"; done; echo
printf '|---|'; for S in $SIZES; do printf -- '---|'; done; echo
for m in "analyzer throughput" "extract throughput" "index jobs 1 throughput" "index jobs 1 docs/s" \
         "index jobs 2 throughput" "index jobs 2 docs/s" "index speed-up, 2 jobs / 1 job" "index --mem 64 throughput" \
         "merge throughput" "fts5 indexing throughput" "lucene indexing throughput"; do
    printf '| %s |' "$m"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
echo

echo "## Index size by component (relative to the raw text)"
echo
printf '| component |'; for S in $SIZES; do printf ' %s MB |' "$S"; done; echo
printf '|---|'; for S in $SIZES; do printf -- '---|'; done; echo
for m in "index dictionary / raw text" "index postings / raw text" "index positions / raw text" \
         "index documents / raw text" "index dictionary + postings + positions + documents / raw text" \
         "index stored / raw text" "index total / raw text"; do
    printf '| %s |' "${m#index }"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
awk -F'\t' '$2 ~ /^index .*bits/ { print $2 }' "$M" | sort -u | while read -r m; do
    printf '| %s |' "${m#index }"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
echo

echo "## Query latency, warm (ms; median and p99 over $RUNS runs)"
echo
printf '| query |'; for S in $SIZES; do printf ' %s MB |' "$S"; done; echo
printf '|---|'; for S in $SIZES; do printf -- '---|'; done; echo
awk -F'\t' '$2 ~ /^query: .* (median|p99)$/ { print $2 }' "$M" | awk '!seen[$0]++' | while read -r m; do
    printf '| %s |' "${m#query: }"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
for m in "fts5 trend latency median" "fts5 trend latency p99" "lucene trend latency median" "lucene trend latency p99"; do
    printf '| %s |' "$m"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
echo

echo "## Peak memory (MB, maximum resident set)"
echo
printf '| run |'; for S in $SIZES; do printf ' %s MB |' "$S"; done; echo
printf '|---|'; for S in $SIZES; do printf -- '---|'; done; echo
for m in "index jobs 1 peak memory" "index jobs 2 peak memory" "index --mem 64 peak memory" "merge peak memory" \
         "query peak memory (trend elektrifiering)"; do
    printf '| %s |' "$m"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
echo

echo "## Peers (same files, same Snowball Swedish stemming, one indexing thread each)"
echo
echo "The trend query is the prefix 'elektrifier*' over stems, per year: the peers do not split compounds,"
echo "so their prefix query is the like-for-like comparison (protokoll's topic query also finds järnvägselektrifiering)."
echo
echo "| size | system | indexing MB/s | index size / text (all) | without stored text | trend median ms | trend p99 ms | trend = planted truth | protokoll ÷ peer, indexing | protokoll ÷ peer, trend latency |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for S in $PEER_SIZES; do
    case " $SIZES " in *" $S "*) ;; *) continue ;; esac
    oj=$(val "$S" "index jobs 1 throughput"); ot=$(val "$S" "query: trend prefix elektrifier* median")
    ototal=$(val "$S" "index total / raw text"); ocore=$(val "$S" "index dictionary + postings + positions + documents / raw text")
    echo "| $S MB | protokoll | ${oj:-n/a} | ${ototal:-n/a} | ${ocore:-n/a} | ${ot:-n/a} | $(v "$S" "query: trend prefix elektrifier* p99") | $(v "$S" "truth: trend elektrifier* per-year docs = planted prefix") | | |"
    for p in fts5 lucene; do
        pi=$(val "$S" "$p indexing throughput"); [ -n "$pi" ] || continue
        if [ "$p" = fts5 ]; then
            all=$(val "$S" "fts5 database size / text"); core2=$(val "$S" "fts5 index (docs_data + docs_idx) / text"); name="SQLite FTS5"
        else
            all=$(val "$S" "lucene index size / text"); core2=$(val "$S" "lucene dictionary + postings + positions + norms + doc values / text"); name="Lucene"
        fi
        pt=$(val "$S" "$p trend latency median")
        ri=n/a; rt=n/a
        [ -n "$oj" ] && ri="$(calc "$oj / $pi")×"
        [ -n "$ot" ] && [ -n "$pt" ] && rt="$(calc "$pt / $ot")× faster"
        echo "| $S MB | $name | $pi | $all | $core2 | $pt | $(v "$S" "$p trend latency p99") | $(v "$S" "truth: $p trend elektrifier* = planted prefix") | $ri | $rt |"
    done
done
echo

echo "## Growth"
echo
printf '| figure |'; for S in $SIZES; do printf ' %s MB |' "$S"; done; echo
printf '|---|'; for S in $SIZES; do printf -- '---|'; done; echo
for m in "archive documents" "index jobs 1 seconds" "index jobs 1 throughput" "index total bytes" "index terms" \
         "query: trend topic elektrifiering median" "query: search elektrifiering kollektivtrafik median" \
         "index --mem 64 peak memory" "fts5 indexing throughput" "fts5 database size" "fts5 trend latency median" \
         "lucene indexing throughput" "lucene index size" "lucene trend latency median"; do
    printf '| %s |' "$m"; for S in $SIZES; do printf ' %s |' "$(v "$S" "$m")"; done; echo
done
echo

echo "## Notes"
echo
l0=${load0%% *}
if [ -n "$l0" ] && [ "$(calc "$l0 > $cores" 0)" = 1 ]; then
    echo "- Other processes were running when the run started (load average $l0 on $cores cores): throughput"
    echo "  and latency figures are lower bounds; rerun on an idle machine for stable numbers."
fi
if [ -s "$NOTES" ]; then cat "$NOTES"; else echo "- nothing was skipped"; fi
echo "- The whole run took $(elapsed) s."
echo
echo "## Every measured figure"
echo
echo "| size | metric | value | unit |"
echo "|---|---|---|---|"
awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$M"
} >"$R"
mv "$R" "$RESULTS"
say "wrote $RESULTS ($(elapsed) s)"
