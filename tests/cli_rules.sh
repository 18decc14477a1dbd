#!/bin/sh
# cli_rules.sh — rule files: the built-in copy agrees with rules/sv.rules, bad rules are reported
# with file, line and PCRE2's message, --rules takes a file or a folder.
. tests/lib.sh

# the compiled-in rules are rules/sv.rules, byte for byte
sh rules/embed.sh rules/sv.rules "$TMP/rules_sv.c"
check builtin_in_sync cmp -s "$TMP/rules_sv.c" src/rules_sv.c

printf 'Protokoll\n\n1. Öppnande\n\nBeslut\n\nMötet beslutar att öppna.\n\n2. Avslutning\n' > "$TMP/doc.txt"

# a bad pattern: file, line, rule and PCRE2's message with its offset; exit 1
printf '# comment\nblock.decision = Beslut\nskip.page = (unclosed\n' > "$TMP/bad.rules"
"$PK" extract --rules "$TMP/bad.rules" "$TMP/doc.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
check bad_rule_exit_1 [ "$rc" -eq 1 ]
check bad_rule_message grep -q "^protokoll: error: loading rules: $TMP/bad.rules:3: skip.page: missing closing parenthesis at offset 9 of the pattern" "$TMP/err"
check bad_rule_no_output [ ! -s "$TMP/out" ]

# an unknown kind and an unknown group name are errors, not silently ignored rules
printf 'decsion = Beslut\n' > "$TMP/kind.rules"
"$PK" extract --rules "$TMP/kind.rules" "$TMP/doc.txt" >/dev/null 2>"$TMP/err"
check unknown_kind grep -q "kind.rules:1: unknown rule kind 'decsion'" "$TMP/err"
printf 'followup = (?<ownr>[A-Z]\\w+) ska\n' > "$TMP/group.rules"
"$PK" extract --rules "$TMP/group.rules" "$TMP/doc.txt" >/dev/null 2>"$TMP/err"
check unknown_group grep -q "group.rules:1: followup: unknown group name 'ownr'" "$TMP/err"

# a folder of rule files: each file's rules, in name order
mkdir -p "$TMP/rules"
printf 'item.numbered = (?<number>[0-9]+)\\.\\s+(?<title>.+)\n' > "$TMP/rules/a.rules"
printf 'block.decision = Beslut\ndecision.x = Mötet\\s+(?<key>beslutar)\n' > "$TMP/rules/b.rules"
"$PK" extract --jsonl --rules "$TMP/rules" "$TMP/doc.txt" >"$TMP/out" 2>"$TMP/err"
rc=$?
check folder_exit_0 [ "$rc" -eq 0 ]
check folder_agenda grep -q '"agenda":\[{"number":"1","title":"Öppnande"' "$TMP/out"
check folder_decision grep -q '"decisions":\[{"item":"1","text":"Mötet beslutar att öppna."' "$TMP/out"

# a missing rule file
"$PK" extract --rules "$TMP/nothing.rules" "$TMP/doc.txt" >/dev/null 2>"$TMP/err"
rc=$?
check missing_rules_exit_1 [ "$rc" -eq 1 ]
check missing_rules_message grep -q "nothing.rules: No such file or directory" "$TMP/err"
