/* rules.c — parse rule files (named PCRE2 patterns, macros, flags) and compile them once with JIT. */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *const kind_names[] = {
    "skip", "key", "title.skip", "item.section", "item.numbered", "heading.skip",
    "block.decision", "block.proposal", "block.other", "present", "absent",
    "signature.recorded", "signature.approved", "signature.other", "signature.section",
    "opened", "closed",
    "cell.present", "cell.absent", "cell.role", "cell.arrived", "cell.left", "cell.range",
    "cell.party", "cell.noise", "name",
    "decision", "decision.ref", "followup", "owner", "upcoming.line", "upcoming", "meeting.word",
    "election", "body.title", "body.word", "title.trailer", "outline.heading",
    "title.continues", "abbrev",
};

static const char *const group_names[] = {
    "number", "title", "text", "owners", "due", "date", "when", "time", "place", "body",
    "name", "names", "role", "at", "from", "to", "n", "ord", "all", "verb", "rest", "party",
};

/* How each kind is anchored: A = at the start of its subject (line, label, cell), W = the whole
 * subject; sentence kinds are searched anywhere.  Compiled into the pattern, so JIT applies. */
static const char kind_anchor[RK_COUNT] = {
    'A', 'A', 'A', 'A', 'A', 'W',          /* skip key title.skip item.section item.numbered heading.skip */
    'W', 'W', 'W', 'A', 'A',               /* block.* present absent */
    'A', 'A', 'A', 'W',                    /* signature.* */
    0, 0,                                  /* opened closed */
    'W', 'W', 'W', 0, 0, 0,                /* cell.present cell.absent cell.role cell.arrived cell.left cell.range */
    0, 'W', 'W',                           /* cell.party cell.noise name */
    0, 0, 0, 'W', 'A', 0, 0,               /* decision decision.ref followup owner upcoming.line upcoming meeting.word */
    0, 0, 'W', 0, 'A',                     /* election body.title body.word title.trailer outline.heading */
    0, 'W',                                /* title.continues abbrev */
};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == RK_COUNT, "one name per kind");

_Static_assert(sizeof group_names / sizeof group_names[0] == G_COUNT, "one name per group");

const char *rules_kind_name(rule_kind k) { return (unsigned)k < RK_COUNT ? kind_names[k] : "?"; }
const char *rules_group_name(rule_group g) { return (unsigned)g < G_COUNT ? group_names[g] : "?"; }

/* ---- PCRE2 allocation through the library's hook ---- */

static void *pc_malloc(size_t n, void *ud) { (void)ud; return pk_malloc(n); }
static void pc_free(void *p, void *ud) { (void)ud; pk_free(p); }

/* ---- macros ---- */

typedef struct macro { char *name; char *body; } macro;

typedef struct parse_state {
    ruleset    *rs;
    const char *file;
    pk_msg     *msg;
    macro      *macros;
    size_t      nmacros, capmacros;
    /* the rule being read: header fields and pattern text (continuations appended) */
    int         pending;        /* 0 none, 1 rule, 2 define */
    int         line;
    char        name[96];
    unsigned    flags;
    uint32_t    pcre_opts;
    pk_buf      pat;
} parse_state;

static const macro *find_macro(const parse_state *ps, const char *name, size_t n)
{
    for (size_t i = 0; i < ps->nmacros; i++)
        if (strlen(ps->macros[i].name) == n && memcmp(ps->macros[i].name, name, n) == 0) return &ps->macros[i];
    return NULL;
}

/* Expand @{name} references (macros may use earlier macros; bodies are already expanded). */
static pk_status expand(parse_state *ps, const char *p, size_t n, pk_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n) {   /* keep escapes, so \@ stays literal */
            buf_put(out, p + i, 2);
            i++;
            continue;
        }
        if (p[i] == '@' && i + 1 < n && p[i + 1] == '{') {
            size_t j = i + 2;
            while (j < n && p[j] != '}') j++;
            if (j >= n) {
                msg_set(ps->msg, "%s:%d: %s: unterminated macro reference '@{'", ps->file, ps->line, ps->name);
                return PK_ESYNTAX;
            }
            const macro *m = find_macro(ps, p + i + 2, j - i - 2);
            if (!m) {
                msg_set(ps->msg, "%s:%d: %s: unknown macro '@{%.*s}' (define it above its first use)",
                        ps->file, ps->line, ps->name, (int)(j - i - 2), p + i + 2);
                return PK_ESYNTAX;
            }
            buf_puts(out, "(?:");
            buf_puts(out, m->body);
            buf_putc(out, ')');
            i = j;
            continue;
        }
        buf_putc(out, p[i]);
    }
    return out->err ? PK_ENOMEM : PK_OK;
}

/* ---- compiling one rule ---- */

static int group_index(const char *name)
{
    for (int g = 0; g < G_COUNT; g++)
        if (strcmp(group_names[g], name) == 0) return g;
    return -1;
}

static pk_status compile_rule(parse_state *ps, rule_kind kind, const char *pattern, size_t plen)
{
    ruleset *rs = ps->rs;
    int errcode;
    PCRE2_SIZE erroff;
    uint32_t opts = ps->pcre_opts;
    if (kind_anchor[kind]) opts |= PCRE2_ANCHORED;
    if (kind_anchor[kind] == 'W') opts |= PCRE2_ENDANCHORED;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, plen, opts, &errcode, &erroff, rs->cctx);
    if (!code) {
        if (errcode == PCRE2_ERROR_HEAPLIMIT || errcode == PCRE2_ERROR_NOMEMORY) {
            msg_set(ps->msg, "%s:%d: %s: out of memory compiling the pattern", ps->file, ps->line, ps->name);
            return PK_ENOMEM;
        }
        PCRE2_UCHAR text[160];
        pcre2_get_error_message(errcode, text, sizeof text);
        if (errcode == PCRE2_ERROR_NOMEMORY) return PK_ENOMEM;
        msg_set(ps->msg, "%s:%d: %s: %s at offset %zu of the pattern%s", ps->file, ps->line, ps->name,
                (const char *)text, (size_t)erroff,
                memchr(ps->pat.p ? (const char *)ps->pat.p : "", '@', ps->pat.n) ? " (after macro expansion)" : "");
        return PK_ESYNTAX;
    }
    rule r;
    memset(&r, 0, sizeof r);
    for (int g = 0; g < G_COUNT; g++) r.grp[g] = -1;
    /* every named group must be one the extractor reads: a misspelt name would silently do nothing */
    uint32_t namecount = 0, entrysize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &namecount);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entrysize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < namecount; i++) {
        PCRE2_SPTR e = table + (size_t)i * entrysize;
        int num = (e[0] << 8) | e[1];
        const char *gname = (const char *)(e + 2);
        int g = group_index(gname);
        if (g < 0) {
            pcre2_code_free(code);
            msg_set(ps->msg, "%s:%d: %s: unknown group name '%s' (the extractor reads: number title text "
                    "owners due date when time place body name names role at from to n ord all verb rest party)",
                    ps->file, ps->line, ps->name, gname);
            return PK_ESYNTAX;
        }
        if (r.grp[g] < 0) r.grp[g] = (int16_t)num;   /* duplicates are resolved at match time */
    }
    r.code = code;
    r.kind = kind;
    r.flags = ps->flags;
    r.file = ps->file;
    r.line = ps->line;
    r.name = pk_strdup(ps->name);
    if (!r.name) { pcre2_code_free(code); return PK_ENOMEM; }
    int jrc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    if (jrc == PCRE2_ERROR_NOMEMORY) { pk_free(r.name); pcre2_code_free(code); return PK_ENOMEM; }
    r.jit = jrc == 0;   /* without JIT support the interpreter still gives the same answers */
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        rule *nr = pk_reallocarray(rs->rules, nc, sizeof *nr);
        if (!nr) { pk_free(r.name); pcre2_code_free(code); return PK_ENOMEM; }
        rs->rules = nr;
        rs->cap = nc;
    }
    rs->rules[rs->n++] = r;
    return PK_OK;
}

/* Finish the pending rule or definition. */
static pk_status flush_pending(parse_state *ps)
{
    if (!ps->pending) return PK_OK;
    int what = ps->pending;
    ps->pending = 0;
    pk_buf ex;
    buf_init(&ex);
    pk_status st = expand(ps, ps->pat.p ? (const char *)ps->pat.p : "", ps->pat.n, &ex);
    if (st == PK_OK && ex.n == 0) {
        msg_set(ps->msg, "%s:%d: %s: empty pattern", ps->file, ps->line, ps->name);
        st = PK_ESYNTAX;
    }
    if (st == PK_OK && what == 2) {
        if (ps->nmacros == ps->capmacros) {
            size_t nc = ps->capmacros ? ps->capmacros * 2 : 16;
            macro *nm = pk_reallocarray(ps->macros, nc, sizeof *nm);
            if (!nm) st = PK_ENOMEM;
            else { ps->macros = nm; ps->capmacros = nc; }
        }
        if (st == PK_OK) {
            char *nm = pk_strdup(ps->name), *body = buf_detach(&ex);
            if (!nm || !body) { pk_free(nm); pk_free(body); st = PK_ENOMEM; }
            else {
                ps->macros[ps->nmacros].name = nm;
                ps->macros[ps->nmacros].body = body;
                ps->nmacros++;
            }
        }
    } else if (st == PK_OK) {
        /* the kind is the longest known kind name that the rule name starts with (then '.' or end) */
        int kind = -1;
        size_t best = 0;
        for (int k = 0; k < RK_COUNT; k++) {
            size_t kl = strlen(kind_names[k]);
            if (strncmp(ps->name, kind_names[k], kl) == 0 && (ps->name[kl] == 0 || ps->name[kl] == '.') && kl > best) {
                kind = k;
                best = kl;
            }
        }
        if (kind < 0) {
            msg_set(ps->msg, "%s:%d: unknown rule kind '%s' (docs/RULES.md lists the kinds)", ps->file, ps->line, ps->name);
            st = PK_ESYNTAX;
        } else {
            st = compile_rule(ps, (rule_kind)kind, (const char *)ex.p, ex.n);
        }
    }
    buf_free(&ex);
    ps->pat.n = 0;
    if (st == PK_ENOMEM && !ps->msg->text[0]) msg_set(ps->msg, "%s:%d: out of memory", ps->file, ps->line);
    return st;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Parse "[flags]" at p; returns PK_OK and sets flags/options. */
static pk_status parse_flags(parse_state *ps, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == ',' || p[i] == '\t')) i++;
        size_t s = i;
        while (i < n && p[i] != ' ' && p[i] != ',' && p[i] != '\t') i++;
        size_t l = i - s;
        if (!l) continue;
        if (l == 1 && p[s] == 'i') ps->pcre_opts |= PCRE2_CASELESS;
        else if (l == 1 && p[s] == 'x') ps->pcre_opts |= PCRE2_EXTENDED;
        else if (l == 1 && p[s] == 's') ps->pcre_opts |= PCRE2_DOTALL;
        else if (l == 8 && memcmp(p + s, "anywhere", 8) == 0) ps->flags |= RF_ANYWHERE;
        else {
            msg_set(ps->msg, "%s:%d: %s: unknown flag '%.*s' (flags: i x s anywhere)", ps->file, ps->line,
                    ps->name, (int)l, p + s);
            return PK_ESYNTAX;
        }
    }
    return PK_OK;
}

static pk_status parse_line(parse_state *ps, const char *p, size_t n, int lineno)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i == n || p[i] == '#') return PK_OK;          /* blank or comment */
    if (i > 0) {                                        /* continuation of the pending pattern */
        if (!ps->pending) {
            msg_set(ps->msg, "%s:%d: indented line continues no rule", ps->file, lineno);
            return PK_ESYNTAX;
        }
        size_t e = n;
        while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r')) e--;
        buf_put(&ps->pat, p + i, e - i);
        return ps->pat.err ? PK_ENOMEM : PK_OK;
    }
    pk_status st = flush_pending(ps);
    if (st) return st;
    ps->line = lineno;
    ps->flags = 0;
    ps->pcre_opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DUPNAMES;
    int is_define = 0;
    if (n > 7 && memcmp(p, "define", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
        is_define = 1;
        i = 6;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    }
    size_t ns = i;
    while (i < n && is_name_char(p[i])) i++;
    size_t nl = i - ns;
    if (nl == 0 || nl >= sizeof ps->name) {
        msg_set(ps->msg, "%s:%d: expected 'kind[.label] [flags] = pattern' or 'define name = pattern'", ps->file, lineno);
        return PK_ESYNTAX;
    }
    memcpy(ps->name, p + ns, nl);
    ps->name[nl] = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i < n && p[i] == '[') {
        size_t fs = ++i;
        while (i < n && p[i] != ']') i++;
        if (i >= n) {
            msg_set(ps->msg, "%s:%d: %s: missing ']' after the flags", ps->file, lineno, ps->name);
            return PK_ESYNTAX;
        }
        if (is_define) {
            msg_set(ps->msg, "%s:%d: %s: a definition takes no flags", ps->file, lineno, ps->name);
            return PK_ESYNTAX;
        }
        st = parse_flags(ps, p + fs, i - fs);
        if (st) return st;
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    }
    if (i >= n || p[i] != '=') {
        msg_set(ps->msg, "%s:%d: %s: expected '=' after the rule name", ps->file, lineno, ps->name);
        return PK_ESYNTAX;
    }
    i++;
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    size_t e = n;
    while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t' || p[e - 1] == '\r')) e--;
    ps->pat.n = 0;
    buf_put(&ps->pat, p + i, e - i);
    if (ps->pat.err) return PK_ENOMEM;
    ps->pending = is_define ? 2 : 1;
    return PK_OK;
}

static pk_status ensure_contexts(ruleset *rs)
{
    if (rs->gctx) return PK_OK;
    rs->gctx = pcre2_general_context_create(pc_malloc, pc_free, NULL);
    if (!rs->gctx) return PK_ENOMEM;
    rs->cctx = pcre2_compile_context_create(rs->gctx);
    rs->mctx = pcre2_match_context_create(rs->gctx);
    if (!rs->cctx || !rs->mctx) return PK_ENOMEM;
    /* a careless rule must not hang on a hostile document */
    pcre2_set_match_limit(rs->mctx, 2000000);
    pcre2_set_depth_limit(rs->mctx, 10000);
    return PK_OK;
}

pk_status rules_load_text(ruleset *rs, const char *name, const char *text, size_t n, pk_msg *msg)
{
    msg_clear(msg);
    pk_status st = ensure_contexts(rs);
    if (st) { msg_set(msg, "%s: out of memory", name); return st; }
    /* the rule set keeps the file names that rules point at */
    char **nf = pk_reallocarray(rs->files, rs->nfiles + 1, sizeof *nf);
    if (!nf) { msg_set(msg, "%s: out of memory", name); return PK_ENOMEM; }
    rs->files = nf;
    char *fname = pk_strdup(name);
    if (!fname) { msg_set(msg, "%s: out of memory", name); return PK_ENOMEM; }
    rs->files[rs->nfiles++] = fname;

    parse_state ps;
    memset(&ps, 0, sizeof ps);
    ps.rs = rs;
    ps.file = fname;
    ps.msg = msg;
    buf_init(&ps.pat);
    size_t i = 0;
    int lineno = 0;
    while (st == PK_OK && i < n) {
        const char *nl = memchr(text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - text) : n;
        lineno++;
        if (memchr(text + i, 0, e - i)) {
            msg_set(msg, "%s:%d: NUL byte in the rule file", name, lineno);
            st = PK_ESYNTAX;
            break;
        }
        st = parse_line(&ps, text + i, e - i, lineno);
        i = e + 1;
    }
    if (st == PK_OK) st = flush_pending(&ps);
    if (st == PK_ENOMEM && !msg->text[0]) msg_set(msg, "%s: out of memory", name);
    for (size_t k = 0; k < ps.nmacros; k++) { pk_free(ps.macros[k].name); pk_free(ps.macros[k].body); }
    pk_free(ps.macros);
    buf_free(&ps.pat);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static pk_status load_path(ruleset *rs, const char *path, pk_msg *msg)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        msg_set(msg, "%s: %s", path, strerror(e));
        return e == ENOENT ? PK_ENOENT : PK_EIO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        uint8_t *data;
        size_t n;
        char *err = NULL;
        pk_status st = util_read_file(path, &data, &n, &err);
        if (st) {
            msg_set(msg, "%s", err ? err : path);
            pk_free(err);
            return st;
        }
        st = rules_load_text(rs, path, (const char *)data, n, msg);
        pk_free(data);
        return st;
    }
    DIR *d = opendir(path);
    if (!d) {
        int e = errno;
        msg_set(msg, "%s: %s", path, strerror(e));
        return PK_EIO;
    }
    char **names = NULL;
    size_t nn = 0;
    pk_status st = PK_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0) continue;
        char **nv = pk_reallocarray(names, nn + 1, sizeof *nv);
        if (!nv) { st = PK_ENOMEM; break; }
        names = nv;
        names[nn] = pk_sprintf("%s/%s", path, de->d_name);
        if (!names[nn]) { st = PK_ENOMEM; break; }
        nn++;
    }
    closedir(d);
    if (st == PK_OK && nn == 0) {
        msg_set(msg, "%s: no .rules files in the folder", path);
        st = PK_ENOENT;
    }
    if (st == PK_OK) qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; st == PK_OK && i < nn; i++) st = load_path(rs, names[i], msg);
    for (size_t i = 0; i < nn; i++) pk_free(names[i]);
    pk_free(names);
    if (st == PK_ENOMEM && !msg->text[0]) msg_set(msg, "%s: out of memory", path);
    return st;
}

pk_status rules_finish(ruleset *rs, pk_msg *msg)
{
    /* stable counting sort by kind, so that rules of one kind keep their file order */
    rule *sorted = rs->n ? pk_reallocarray(NULL, rs->n, sizeof *sorted) : NULL;
    if (rs->n && !sorted) { msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    uint32_t count[RK_COUNT] = {0};
    for (size_t i = 0; i < rs->n; i++) count[rs->rules[i].kind]++;
    uint32_t pos = 0;
    for (int k = 0; k < RK_COUNT; k++) { rs->kind_start[k] = pos; pos += count[k]; }
    rs->kind_start[RK_COUNT] = pos;
    uint32_t fill[RK_COUNT];
    memcpy(fill, rs->kind_start, sizeof fill);
    for (size_t i = 0; i < rs->n; i++) sorted[fill[rs->rules[i].kind]++] = rs->rules[i];
    if (rs->n) memcpy(rs->rules, sorted, rs->n * sizeof *sorted);
    pk_free(sorted);
    uint32_t maxcap = 1;
    for (size_t i = 0; i < rs->n; i++) {
        uint32_t c = 0;
        pcre2_pattern_info(rs->rules[i].code, PCRE2_INFO_CAPTURECOUNT, &c);
        if (c + 1 > maxcap) maxcap = c + 1;
    }
    if (rs->md) pcre2_match_data_free(rs->md);
    if (!rs->gctx && ensure_contexts(rs)) { msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    rs->md = pcre2_match_data_create(maxcap, rs->gctx);
    if (!rs->md) { msg_set(msg, "rules: out of memory"); return PK_ENOMEM; }
    return PK_OK;
}

pk_status rules_load(ruleset *rs, const char *path, pk_msg *msg)
{
    memset(rs, 0, sizeof *rs);
    msg_clear(msg);
    pk_status st = path ? load_path(rs, path, msg)
                        : rules_load_text(rs, "rules/sv.rules (built-in)", rules_sv_text, rules_sv_len, msg);
    if (st == PK_OK) st = rules_finish(rs, msg);
    if (st) rules_free(rs);
    return st;
}

void rules_free(ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        pcre2_code_free(rs->rules[i].code);
        pk_free(rs->rules[i].name);
    }
    pk_free(rs->rules);
    for (size_t i = 0; i < rs->nfiles; i++) pk_free(rs->files[i]);
    pk_free(rs->files);
    if (rs->md) pcre2_match_data_free(rs->md);
    if (rs->mctx) pcre2_match_context_free(rs->mctx);
    if (rs->cctx) pcre2_compile_context_free(rs->cctx);
    if (rs->gctx) pcre2_general_context_free(rs->gctx);
    memset(rs, 0, sizeof *rs);
}

int rules_match(ruleset *rs, const rule *r, const char *subj, size_t len, size_t start, uint32_t opts)
{
    int rc = pcre2_match(r->code, (PCRE2_SPTR)subj, len, start, opts | PCRE2_NO_UTF_CHECK, rs->md, rs->mctx);
    if (rc > 0) return 1;
    if (rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL) rs->limit_hits++;
    return 0;
}

int rules_group(const ruleset *rs, const rule *r, rule_group g, size_t *s, size_t *e)
{
    int num = r->grp[g];
    if (num < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
    uint32_t pairs = pcre2_get_ovector_count(rs->md);
    if ((uint32_t)num < pairs && ov[2 * num] != PCRE2_UNSET) {
        *s = ov[2 * num];
        *e = ov[2 * num + 1];
        return 1;
    }
    /* a duplicated name: the first of its groups that is set */
    PCRE2_SPTR first, last;
    int esz = pcre2_substring_nametable_scan(r->code, (PCRE2_SPTR)group_names[g], &first, &last);
    if (esz <= 0) return 0;
    for (PCRE2_SPTR p = first; p <= last; p += esz) {
        int n2 = (p[0] << 8) | p[1];
        if ((uint32_t)n2 < pairs && ov[2 * n2] != PCRE2_UNSET) {
            *s = ov[2 * n2];
            *e = ov[2 * n2 + 1];
            return 1;
        }
    }
    return 0;
}

void rules_span(const ruleset *rs, size_t *s, size_t *e)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rs->md);
    *s = ov[0];
    *e = ov[1];
}

const rule *rules_first(ruleset *rs, rule_kind k, const char *subj, size_t len, int whole)
{
    size_t n;
    const rule *r = rules_of(rs, k, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rules_match(rs, &r[i], subj, len, 0, 0)) continue;
        if (whole) {
            size_t s, e;
            rules_span(rs, &s, &e);
            if (e != len) continue;
        }
        return &r[i];
    }
    return NULL;
}
