#!/bin/sh
# cli_badinput.sh — strange files in one indexing run: empty, binary, NUL bytes, invalid UTF-8,
# Latin-1, CP1252, UTF-16 with and without BOM, CRLF and CR, 50 MB without a newline, a word of
# 100,000 characters, deep nesting and unbalanced braces in Markdown, LaTeX and Typst, symbolic
# link loops, an unreadable file, a missing path, a cut gzip stream, odd file names.  Each input is
# either indexed and then found by a word it contains, or skipped with a message naming it and the
# reason; the exit status is 1 exactly when something was skipped; verify passes afterwards.
# Every input is made here; nothing big lives in the repository.
. tests/lib.sh

D=$TMP/in
mkdir -p "$D"
rep() { yes "x$1" | head -n "$2" | cut -c2- | tr -d '\n'; }     # rep TEXT N: TEXT N times, one line
chars() { head -c "$2" /dev/zero | tr '\0' "$1"; }       # chars C N: the byte C N times
utf16() { printf '%s' "$2" | iconv -f UTF-8 -t "$1"; }   # utf16 UTF-16LE|UTF-16BE TEXT

# ---- the inputs: FOUND lines are "file|word" (indexed, found by word), SKIPPED "file|reason" ----
FOUND=$TMP/found SKIPPED=$TMP/skipped
: >"$FOUND"; : >"$SKIPPED"
found() { printf '%s|%s\n' "$1" "$2" >>"$FOUND"; }
skipped() { printf '%s|%s\n' "$1" "$2" >>"$SKIPPED"; }

: >"$D/empty.txt";                                            found "$D/empty.txt" ""
printf '\n\n   \n\t\n' >"$D/blank.txt";                       found "$D/blank.txt" ""
printf '\211PNG\r\n\032\n\0\0\0\rIHDR\0\0\0\20' >"$D/bild.txt"
chars '\001' 64 >>"$D/bild.txt";                              skipped "$D/bild.txt" "binary data"
head -c 8192 /bin/sh >"$D/program.txt";                           skipped "$D/program.txt" "binary data"
printf 'Möte om fyrtornet\0 och\0\0 hamnen.\0\n' >"$D/nul.txt"; found "$D/nul.txt" fyrtornet
printf 'Protokoll om kalkonfarmen \377\376 och \300\200 ventiler \355\240\200 slut \364\220\200\200.\n' \
    >"$D/badutf8.txt";                                        found "$D/badutf8.txt" kalkonfarmen
printf 'Sammantr\344de om f\344rjel\344get vid \345n.\n' >"$D/latin1.txt"
found "$D/latin1.txt" färjeläget
printf 'Beslut om \223pelikanen\224 \226 kostar 5 \200 per m\345nad.\n' >"$D/cp1252.txt"
found "$D/cp1252.txt" pelikanen
{ printf '\377\376'; utf16 UTF-16LE 'Protokoll om gurkodlingen i växthuset.
'; } >"$D/utf16le_bom.txt";                                    found "$D/utf16le_bom.txt" gurkodlingen
{ printf '\376\377'; utf16 UTF-16BE 'Protokoll om hammarsmedjan vid ån.
'; } >"$D/utf16be_bom.txt";                                    found "$D/utf16be_bom.txt" hammarsmedjan
utf16 UTF-16LE 'Möte om sjöfarten i hamnen, mötet hölls i Norrtälje.
' >"$D/utf16le.txt";                                           found "$D/utf16le.txt" sjöfarten
utf16 UTF-16BE 'Möte om lokstallet vid bangården, mötet hölls i Hallsberg.
' >"$D/utf16be.txt";                                           found "$D/utf16be.txt" lokstallet
printf 'Rad ett om tranb\303\244rsmyren\r\nRad tv\303\245\r\n\r\n' >"$D/crlf.txt"
found "$D/crlf.txt" tranbärsmyren
printf 'Rad ett om lingonriset\rRad tv\303\245\r' >"$D/cr.txt";    found "$D/cr.txt" lingonriset

# 50 MB on one line (PK_TEST_BIG_MB makes it smaller under slow checkers such as valgrind)
mb=${PK_TEST_BIG_MB:-50}
rep 'elefantmöte budget ' 55189 | head -c 1048576 >"$TMP/mb"
{
    printf 'Inledning om zebrafisken. '
    i=0
    while [ $i -lt "$mb" ]; do cat "$TMP/mb"; i=$((i + 1)); done
    printf ' sjölejonet'
} >"$D/big.txt"
found "$D/big.txt" zebrafisken; found "$D/big.txt" sjölejonet
{ printf 'Ett ord: '; chars a 100000; printf ' och sedan lodjuret.\n'; } >"$D/longword.txt"
found "$D/longword.txt" lodjuret

# deep nesting: what lies deeper than the readers follow is dropped (docs/READER.md), the rest stays
{
    printf '# Möte\n\nOm krokodilen.\n\n'
    rep '> ' 100000; printf 'djupt citat\n\n'
    i=0; while [ $i -lt 300 ]; do chars ' ' $((i * 2)); printf -- '- nivå %d\n' $i; i=$((i + 1)); done
    printf '\n'; chars '[' 100000; printf 'länk'; chars ']' 100000; chars '(' 100000; printf '\n\n'
    chars '*' 100000; printf 'fet\n\n'; chars '`' 100000; printf '\n\n'
    rep '![a' 100000; printf '\n\n'; rep '<a ' 100000; printf '\n'   # each once took time squared
} >"$D/deep.md";                                              found "$D/deep.md" krokodilen
{
    printf '\\section{Möte}\nOm koalan.\n\n'
    rep '\begin{itemize}\item ' 5000; printf 'djupt'; rep '\end{itemize}' 5000; printf '\n\n'
    chars '{' 100000; printf 'klammer'; chars '}' 100000; printf '\n\n'
    rep '\textbf{' 100000; printf 'fet'; chars '}' 100000; printf '\n\n'
    rep '\newcommand{\a}{\a}' 10; printf '\\a\n\n'
    chars '{' 200000; printf '\n\n'; rep '\section[' 20000; printf '\n\n'; rep '\verb|' 20000; printf '\n'
} >"$D/deep.tex";                                             found "$D/deep.tex" koalan
{
    printf '= Möte\nOm tapiren.\n\n'
    rep '#[' 100000; printf 'djupt'; chars ']' 100000; printf '\n\n'
    rep '#f(' 100000; chars ')' 100000; printf '\n\n'
    rep '#strong[' 20000; printf 'x'; chars ']' 20000; printf '\n\n'
    rep '- ' 100000; printf 'lista\n'
} >"$D/deep.typ";                                             found "$D/deep.typ" tapiren
printf '\\section{Möte om myrsloken\n{{{ \\textbf{ text \\begin{itemize} \\item a \\end{enumerate} }}}}} \\end{document}\n' \
    >"$D/unbalanced.tex";                                     found "$D/unbalanced.tex" myrsloken
printf '= Möte\nOm vesslan #[ [[ #strong[ text ) ] ]]] #let x = ( #{ slut\n' >"$D/unbalanced.typ"
found "$D/unbalanced.typ" vesslan
printf '# Möte\nOm grävlingen [länk(utan slut **fet _kursiv `kod\n```\nett block utan slut\n' >"$D/unbalanced.md"
found "$D/unbalanced.md" grävlingen

# symbolic link loops: two links to each other, and a folder whose links lead back up
ln -s loop2 "$D/loop1"; ln -s loop1 "$D/loop2";               skipped "$D/loop1" "symbolic link loop"
mkdir -p "$D/tree/sub"
printf 'Om björnspåret i skogen.\n' >"$D/tree/sub/spår.txt";     found "$D/tree/sub/spår.txt" björnspåret
ln -s .. "$D/tree/sub/upp";                                   skipped "$D/tree/sub/upp" "symbolic link loop"
ln -s ../sub "$D/tree/sub/själv";                             skipped "$D/tree/sub/själv" "symbolic link loop"

# odd file names: a byte that is not UTF-8, a line break, quotes and a backslash
printf 'Om hermelinen.\n' >"$D/$(printf 'm\366te.txt')";        found "$D/$(printf 'm\366te.txt')" hermelinen
NL="$D/rad
bryt.txt"    # a line break in the name: kept out of the line-based lists, checked on its own
printf 'Om iglerna.\n' >"$NL"
printf 'Om tjädern.\n' >"$D/\"citat\\.txt";                     found "$D/\"citat\\.txt" tjädern

# gzip: a good one, and one cut short
printf 'Om rådjuret vid gärdet.\n' | gzip -c >"$D/komprimerad.txt.gz"; found "$D/komprimerad.txt.gz" rådjuret
printf 'Om ekorren i parken, en lång rad text som komprimeras.\n' | gzip -c | head -c 25 >"$D/avkortad.txt.gz"
skipped "$D/avkortad.txt.gz" "truncated gzip"

# unreadable: as root chmod does not stop reading, and the file is simply indexed
printf 'Om mården.\n' >"$D/oläsbar.txt"
chmod 000 "$D/oläsbar.txt"
if cat "$D/oläsbar.txt" >/dev/null 2>&1; then
    skip unreadable_refused "running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reading"
    found "$D/oläsbar.txt" mården
else
    skipped "$D/oläsbar.txt" "Permission denied"
fi
skipped "$D/saknas.txt" "No such file or directory"

# ---- one run over all of them ----
IX=$TMP/idx
set --
while read -r f; do set -- "$@" "$f"; done <<EOF
$(cut -d'|' -f1 "$FOUND" "$SKIPPED" | grep -av "^$D/tree/" | sort -u)
EOF
set -- "$@" "$NL" "$D/tree"
inputs=$#
"$PK" index -i "$IX" --jobs 2 "$@" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "all_exit_1_because_of_skips ($rc)" [ "$rc" -eq 1 ]
if grep -aq 'AddressSanitizer\|runtime error\|Segmentation' "$TMP/err"; then fail sanitizers "$(head -c 400 "$TMP/err")"; fi
nfound=$(( $(cut -d'|' -f1 "$FOUND" | sort -u | wc -l) + 1 ))
nskipped=$(wc -l <"$SKIPPED")
if grep -q ": $nfound added, 0 replaced, 0 unchanged, $nskipped skipped" "$TMP/out"; then
    pass summary_counts
else
    fail summary_counts "want $nfound added, $nskipped skipped: $(cat "$TMP/out")"
fi

# each skip is named with its reason
while IFS='|' read -r f why; do
    n=$(basename "$f")
    grep -aF "protokoll: error: skipped $f: " "$TMP/err" | grep -qaF "$why"
    check "skipped_${n}_named ($why)" [ $? -eq 0 ]
done <"$SKIPPED"
nerr=$(grep -ac '^protokoll: error: skipped ' "$TMP/err")
check "no_other_skips ($nerr)" [ "$nerr" -eq "$nskipped" ]

# each readable input is found by its word (or, without words, by its path)
while IFS='|' read -r f w; do
    n=$(basename "$f")
    if [ -z "$w" ]; then
        "$PK" show -i "$IX" --json "$f" >"$TMP/show" 2>"$TMP/serr"
        check "indexed_${n}_shown" [ $? -eq 0 ]
        continue
    fi
    "$PK" search -i "$IX" --json "$w" >"$TMP/hit" 2>"$TMP/serr"
    src=$(printf '%s' "$n" | sed 's/\\/\\\\/g; s/"/\\"/g')   # as JSON writes it
    case "$n" in m*te.txt) src=te.txt ;; esac   # a byte that is not UTF-8 comes back as U+FFFD
    grep -q '"total":1,' "$TMP/hit" && grep -qaF "$src\"," "$TMP/hit"
    check "found_${n}_by_${w}" [ $? -eq 0 ]
done <"$FOUND"
"$PK" search -i "$IX" --json iglerna >"$TMP/hit" 2>&1
grep -q '"total":1,' "$TMP/hit" && grep -qF 'rad\nbryt.txt",' "$TMP/hit"
check found_name_with_line_break [ $? -eq 0 ]

"$PK" verify -i "$IX" >/dev/null 2>"$TMP/verr"
check "verify_passes $(head -c 200 "$TMP/verr")" [ $? -eq 0 ]

# the same run again: the readable ones are unchanged, the skips are skipped again, exit 1
"$PK" index -i "$IX" --jobs 1 "$@" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "again_exit_1 ($rc)" [ "$rc" -eq 1 ]
check again_nothing_added grep -q ": 0 added, 0 replaced, $nfound unchanged, $nskipped skipped" "$TMP/out"

# only readable inputs: exit 0, nothing on stderr
set --
while read -r f; do set -- "$@" "$f"; done <<EOF
$(cut -d'|' -f1 "$FOUND" | sort -u)
EOF
"$PK" index -i "$TMP/good.idx" "$@" "$NL" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "only_readable_exit_0 ($rc)" [ "$rc" -eq 0 ]
check only_readable_silent [ ! -s "$TMP/err" ]
echo "badinput: $inputs inputs given, $nfound indexed and found, $nskipped skipped with a reason" >&2
