#!/bin/sh
# embed.sh — write src/rules_sv.c, the built-in copy of rules/sv.rules as a C array.
# Run it after editing rules/sv.rules (tests/cli_rules.sh fails while the two differ):
#   sh rules/embed.sh [IN [OUT]]
set -eu
in=${1:-rules/sv.rules}
out=${2:-src/rules_sv.c}
{
    echo "/* rules_sv.c — the built-in default rules: rules/sv.rules as bytes, written by rules/embed.sh. */"
    echo '#include "rules.h"'
    echo ""
    echo "const char rules_sv_text[] = {"
    od -An -v -tx1 "$in" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g; s/^/   /'
    echo "    0x00};"
    echo "const size_t rules_sv_len = sizeof rules_sv_text - 1;"
} >"$out.tmp"
mv "$out.tmp" "$out"
