#!/bin/sh
# demo.sh — `make demo`: generate a small multi-year archive with a planted rise of "elektrifiering",
# index it together with corpus/, and show the trend by year, a search with snippets and the
# decisions about it.  Commands that are not built yet are left out; what exists is shown.
set -u
BUILD=${BUILD:-build/release}
PK=$BUILD/protokoll
GEN=$BUILD/bench/gen
DEMO=${DEMO_DIR:-$BUILD/demo}
DOCS=${DEMO_DOCS:-400}

has() { "$PK" 2>&1 | grep -qE "^  $1( |\$)"; }
section() { printf '\n== %s\n\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

if [ ! -x "$PK" ] || [ ! -x "$GEN" ]; then
    echo "demo: $PK or $GEN is missing; run 'make demo'" >&2
    exit 1
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"

section "A generated archive: $DOCS meetings of municipal boards, regional groups and associations, 2000-2025"
show "$GEN" -o "$DEMO/archive" --docs "$DOCS" --seed 2021
echo
awk -F'\t' 'NR > 1 { n[$1] += $3 } END { for (y in n) printf "%s %d\n", y, n[y] }' "$DEMO/archive/truth/docs.tsv" \
    | sort | awk '{ printf "%s%s:%d", (NR > 1 ? "  " : "meetings per year: "), $1, $2 } END { print "" }'
f=$(cd "$DEMO/archive" && find minutes -name '*.txt' -path '*ledningsgrupp*' | sort | tail -n 1)
[ -n "$f" ] || f=$(cd "$DEMO/archive" && find minutes -type f | sort | tail -n 1)
echo
echo "The beginning of one of them ($f):"
echo
sed -n '1,28p' "$DEMO/archive/$f" | sed 's/^/    /'

if has analyze; then
    section "The analyzer: compounds split, Snowball stems"
    show "$PK" analyze "Elektrifieringslöftet, järnvägselektrifieringen och planeringskonferensen i Södertörn"
fi

if has extract; then
    section "Extraction of the seed minutes (corpus/seed)"
    show "$PK" extract corpus/seed/2021-08-20_sodertorn_ledningsgrupp.txt | sed -n '1,60p'
    echo "    ..."
fi

if has index; then
    section "Indexing the generated archive together with corpus/"
    show "$PK" index -i "$DEMO/idx" "$DEMO/archive/minutes" corpus
    if has stats; then echo; show "$PK" stats -i "$DEMO/idx"; fi
fi

if has index && has trend; then
    section "How often was elektrifiering discussed? (inflections and compounds included)"
    show "$PK" trend -i "$DEMO/idx" elektrifiering
    section "Side by side: a flat, a falling and a peaking topic"
    show "$PK" trend -i "$DEMO/idx" kollektivtrafik fax bredband
    if has search; then
        section "The meetings behind the peak, with the words in context"
        show "$PK" search -i "$DEMO/idx" -n 3 elektrifiering
    fi
    if has decisions; then
        section "What was decided about it"
        show "$PK" decisions -i "$DEMO/idx" elektrifiering | sed -n '1,30p'
    fi
else
    section "The planted truth: meetings that mention elektrifiering (inflections and compounds), per year"
    echo "(protokoll trend is not built yet; this is what the generator planted and what the trend must show)"
    echo
    awk -F'\t' 'FNR == 1 { next } FILENAME ~ /docs.tsv$/ { all[$1] += $3; next }
        $3 == "elektrifiering" && $4 == "topic" { d[$1] += $5; h[$1] += $6 }
        END {
            for (y in all) { r = all[y] ? d[y] / all[y] : 0; if (r > max) max = r }
            for (y = 2000; y <= 2025; y++) {
                if (!(y in all)) continue
                r = all[y] ? d[y] / all[y] : 0
                bar = ""; for (i = 0; i < (max ? int(40 * r / max + 0.5) : 0); i++) bar = bar "#"
                printf "  %d  %3d of %3d meetings  %4d mentions  %s\n", y, d[y], all[y], h[y], bar
            }
        }' "$DEMO/archive/truth/docs.tsv" "$DEMO/archive/truth/topics.tsv"
fi
echo
echo "demo: files are in $DEMO"
