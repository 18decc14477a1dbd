/* latex.c — LaTeX reduced to canonical text: sections, lists, tables, metadata, macros, accents. */
#include "markup.h"

#include "decode.h"

#include <ctype.h>

#define TEX_MAX_DEPTH   96        /* nesting of groups, arguments and macro expansions */
#define TEX_MAX_ENVS    64
#define TEX_MAX_META    8
#define TEX_MAX_MACROS  4096

typedef struct tex_macro {
    char  *name;       /* without the backslash */
    size_t nl;
    int    nargs;
    char  *opt;        /* default of an optional first argument, or NULL */
    char  *body;
} tex_macro;

enum { ENV_PLAIN = 0, ENV_LIST, ENV_GENERIC };
enum { LIST_BULLET = 0, LIST_NUMBER, LIST_DESC };

typedef struct tex_env {
    char name[48];
    int  kind;         /* ENV_* */
    int  list;         /* LIST_* for lists and generic environments */
    int  count;        /* items so far */
    int  math;         /* a math environment */
} tex_env;

typedef struct tex {
    emitter   *e;
    tex_macro *macros;
    size_t     nmacros, capmacros;
    tex_env    envs[TEX_MAX_ENVS];
    int        nenvs;
    int        depth;
    size_t     budget;         /* bytes that macro expansion may still produce */
    size_t     scan_left;      /* bytes that look-aheads may still scan (tex_scan) */
    int        stop;           /* \end{document} */
    int        math;
    int        has_chapter;
    int        counters[8];    /* by LaTeX level: 0 chapter, 1 section ... 5 subparagraph */
    int        secnumdepth;
    unsigned   hidden;         /* levels whose numbers \titleformat hides */
    struct { char key[12]; char *val; } meta[TEX_MAX_META];
    int        nmeta;
    int       *needs_nfc;
    int        err;
} tex;

static void tex_run(tex *T, const char *p, size_t n);

/* ---- scanning helpers ---- */

/* Every look-ahead for a closing brace, bracket or \end is charged to T->scan_left, so that hostile
 * input ("{{{{..." over megabytes, each brace scanning to the end) costs time linear in its size:
 * a document may scan 32 times its length, far more than real ones need; after that closings are
 * no longer looked for and the rest reads as plain text. */
static int tex_scan(tex *T)
{
    if (T->scan_left == 0) return 0;
    T->scan_left--;
    return 1;
}

static int is_letter_byte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }

/* Index just past the end of the line (the '\n'), for a '%' comment at i. */
static size_t skip_comment(const char *p, size_t n, size_t i)
{
    const char *nl = memchr(p + i, '\n', n - i);
    return nl ? (size_t)(nl - p) : n;
}

/* For the '{' at p[i]: index of the matching '}', or n when unbalanced.  Escapes and comments
 * are respected unless verbatim. */
static size_t group_end(tex *T, const char *p, size_t n, size_t i, int verbatim)
{
    int d = 0;
    for (size_t k = i; k < n; k++) {
        if (!tex_scan(T)) return n;
        char c = p[k];
        if (c == '\\' && !verbatim) { k++; continue; }
        if (c == '%' && !verbatim) { k = skip_comment(p, n, k); continue; }
        if (c == '{') d++;
        else if (c == '}' && --d == 0) return k;
    }
    return n;
}

/* For the '[' at p[i]: index of the matching ']' at brace depth 0, or n. */
static size_t bracket_end(tex *T, const char *p, size_t n, size_t i)
{
    int d = 0;
    for (size_t k = i + 1; k < n; k++) {
        if (!tex_scan(T)) return n;
        char c = p[k];
        if (c == '\\') { k++; continue; }
        if (c == '%') { k = skip_comment(p, n, k); continue; }
        if (c == '{') d++;
        else if (c == '}') { if (d == 0) return n; d--; }
        else if (c == ']' && d == 0) return k;
        else if (c == '\n' && k + 1 < n && p[k + 1] == '\n') return n;   /* not across paragraphs */
    }
    return n;
}

/* Skip blanks, at most one newline, and comments (what TeX skips before an argument). */
static size_t skip_arg_space(const char *p, size_t n, size_t i)
{
    int nl = 0;
    while (i < n) {
        if (p[i] == ' ' || p[i] == '\t') i++;
        else if (p[i] == '\n' && !nl) { nl = 1; i++; }
        else if (p[i] == '%') { i = skip_comment(p, n, i); if (i < n) i++; nl = 0; }
        else break;
    }
    return i;
}

typedef struct targ { const char *p; size_t n; int present; } targ;

/* Read one mandatory argument at i: a group, a control sequence or one character. */
static size_t read_marg(tex *T, const char *p, size_t n, size_t i, targ *a, int verbatim)
{
    size_t j = skip_arg_space(p, n, i);
    a->present = 0;
    a->p = p + j;
    a->n = 0;
    if (j >= n || p[j] == '}' || p[j] == ']') return i;
    if (p[j] == '{') {
        size_t e = group_end(T, p, n, j, verbatim);
        if (e >= n) { a->p = p + j + 1; a->n = n - j - 1; a->present = 1; return n; }
        a->p = p + j + 1;
        a->n = e - j - 1;
        a->present = 1;
        return e + 1;
    }
    if (p[j] == '\\' && j + 1 < n) {
        size_t k = j + 1;
        if (is_letter_byte((unsigned char)p[k])) while (k < n && is_letter_byte((unsigned char)p[k])) k++;
        else k++;
        a->n = k - j;
        a->present = 1;
        return k;
    }
    a->n = markup_utf8_len(p + j, n - j);
    a->present = 1;
    return j + a->n;
}

/* Read arguments by spec: 's' star, 'o' optional [..], 'm' mandatory. */
static size_t read_args(tex *T, const char *p, size_t n, size_t i, const char *spec, targ *args)
{
    int k = 0;
    for (const char *s = spec; *s; s++, k++) {
        targ *a = &args[k];
        a->present = 0;
        a->p = p + i;
        a->n = 0;
        if (*s == 's') {
            if (i < n && p[i] == '*') { a->present = 1; i++; }
        } else if (*s == 'o') {
            size_t j = i;
            while (j < n && (p[j] == ' ' || p[j] == '\t')) j++;
            if (j < n && p[j] == '[') {
                size_t e = bracket_end(T, p, n, j);
                if (e < n) { a->p = p + j + 1; a->n = e - j - 1; a->present = 1; i = e + 1; }
            }
        } else {
            i = read_marg(T, p, n, i, a, *s == 'v');
        }
    }
    return i;
}

/* ---- output helpers ---- */

static void put_cp(emitter *e, uint32_t cp)
{
    uint8_t t[4];
    em_text(e, (const char *)t, decode_encode_cp(t, cp));
}

/* Render p[0..n) on one line into dst (trimmed). */
static void tex_flat(tex *T, const char *p, size_t n, pk_buf *dst)
{
    if (T->depth >= TEX_MAX_DEPTH) return;
    emitter sub;
    em_init(&sub, dst);
    sub.flat = 1;
    emitter *save = T->e;
    int save_math = T->math;
    T->e = &sub;
    T->depth++;
    tex_run(T, p, n);
    T->depth--;
    T->e = save;
    T->math = save_math;
    if (sub.prefix.err) dst->err = 1;
    em_free(&sub);
    while (dst->n && (dst->p[dst->n - 1] == ' ')) dst->n--;
    if (dst->p) dst->p[dst->n] = 0;
}

static char *tex_flat_str(tex *T, const char *p, size_t n)
{
    pk_buf b;
    buf_init(&b);
    tex_flat(T, p, n, &b);
    char *s = buf_detach(&b);
    if (!s) T->err = 1;
    return s;
}

/* ---- metadata ---- */

static const char *meta_get(tex *T, const char *key)
{
    for (int i = 0; i < T->nmeta; i++)
        if (strcmp(T->meta[i].key, key) == 0) return T->meta[i].val;
    return NULL;
}

static void meta_set(tex *T, const char *key, const char *p, size_t n)
{
    char *v = tex_flat_str(T, p, n);
    if (!v) return;
    for (int i = 0; i < T->nmeta; i++) {
        if (strcmp(T->meta[i].key, key) == 0) {
            pk_free(T->meta[i].val);
            T->meta[i].val = v;
            goto emit;
        }
    }
    if (T->nmeta == TEX_MAX_META) { pk_free(v); return; }
    snprintf(T->meta[T->nmeta].key, sizeof T->meta[0].key, "%s", key);
    T->meta[T->nmeta++].val = v;
emit:
    em_key(T->e, key, v, strlen(v));
}

/* ---- user macros ---- */

static tex_macro *macro_find(tex *T, const char *name, size_t n)
{
    for (size_t i = T->nmacros; i-- > 0;)
        if (T->macros[i].nl == n && memcmp(T->macros[i].name, name, n) == 0) return &T->macros[i];
    return NULL;
}

static void macro_define(tex *T, const char *name, size_t nl, int nargs, const targ *opt, const char *body, size_t bl)
{
    tex_macro *m = macro_find(T, name, nl);
    if (!m) {
        if (T->nmacros >= TEX_MAX_MACROS) return;
        if (T->nmacros == T->capmacros) {
            size_t nc = T->capmacros ? T->capmacros * 2 : 16;
            tex_macro *nm = pk_reallocarray(T->macros, nc, sizeof *nm);
            if (!nm) { T->err = 1; return; }
            T->macros = nm;
            T->capmacros = nc;
        }
        m = &T->macros[T->nmacros++];
        memset(m, 0, sizeof *m);
        m->name = pk_strndup(name, nl);
        m->nl = nl;
        if (!m->name) { T->nmacros--; T->err = 1; return; }
    } else {
        pk_free(m->body);
        pk_free(m->opt);
        m->body = m->opt = NULL;
    }
    m->nargs = nargs < 0 ? 0 : nargs > 9 ? 9 : nargs;
    m->body = pk_strndup(body, bl);
    if (opt && opt->present) m->opt = pk_strndup(opt->p, opt->n);
    if (!m->body || (opt && opt->present && !m->opt)) T->err = 1;
}

/* The control sequence named by an argument like "\foo" or "{\foo}". */
static int cs_of_arg(const targ *a, const char **name, size_t *nl)
{
    const char *p = a->p;
    size_t n = a->n;
    while (n && (*p == ' ' || *p == '\t' || *p == '\n')) { p++; n--; }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n')) n--;
    if (n < 2 || p[0] != '\\') return 0;
    *name = p + 1;
    *nl = n - 1;
    return 1;
}

/* Expand a user macro whose name ended at i; returns the index after its arguments. */
static size_t macro_expand(tex *T, tex_macro *m, const char *p, size_t n, size_t i)
{
    targ args[10];
    int k = 0;
    if (m->opt && m->nargs > 0) {
        targ o[1];
        i = read_args(T, p, n, i, "o", o);
        if (o[0].present) args[k++] = o[0];
        else { args[k].p = m->opt; args[k].n = strlen(m->opt); args[k].present = 1; k++; }
    }
    while (k < m->nargs) {
        i = read_marg(T, p, n, i, &args[k], 0);
        k++;
    }
    if (T->depth >= TEX_MAX_DEPTH) return i;
    pk_buf x;
    buf_init(&x);
    const char *b = m->body;
    for (size_t j = 0; b[j]; j++) {
        if (b[j] == '#' && b[j + 1] >= '1' && b[j + 1] <= '9') {
            int a = b[j + 1] - '1';
            if (a < k && args[a].present) buf_put(&x, args[a].p, args[a].n);
            j++;
        } else if (b[j] == '#' && b[j + 1] == '#') {
            buf_putc(&x, '#');
            j++;
        } else {
            buf_putc(&x, b[j]);
        }
        if (x.n > T->budget) break;
    }
    if (x.err) T->err = 1;
    else if (x.n <= T->budget) {
        T->budget -= x.n;
        T->depth++;
        tex_run(T, (const char *)x.p, x.n);
        T->depth--;
    }
    buf_free(&x);
    return i;
}

/* ---- built-in control sequences ---- */

enum {
    A_DROP, A_TEXT, A_HEAD, A_META, A_CHAR, A_ACCENT, A_BREAK, A_PAR, A_ITEM, A_BEGIN, A_END,
    A_DEF, A_NEWCMD, A_LET, A_NEWENV, A_VERB, A_CSNAME, A_TITLEFORMAT, A_SETCOUNTER, A_FOOTNOTE,
    A_QUOTE, A_SPACE, A_BLOCK, A_URL, A_PROVIDE
};

typedef struct tex_builtin {
    const char *name;
    uint8_t     action;
    const char *spec;      /* arguments */
    int         arg;       /* A_TEXT: which argument (1-based); A_HEAD: LaTeX level; A_ACCENT: mark */
    const char *str;       /* A_CHAR: the text; A_META: the key */
} tex_builtin;

static const tex_builtin builtins[] = {
    /* sectioning */
    {"part", A_HEAD, "som", -1, NULL}, {"chapter", A_HEAD, "som", 0, NULL}, {"section", A_HEAD, "som", 1, NULL},
    {"subsection", A_HEAD, "som", 2, NULL}, {"subsubsection", A_HEAD, "som", 3, NULL},
    {"paragraph", A_HEAD, "som", 4, NULL}, {"subparagraph", A_HEAD, "som", 5, NULL},
    {"addsec", A_HEAD, "som", 101, NULL}, {"minisec", A_HEAD, "m", 104, NULL},
    /* metadata */
    {"title", A_META, "om", 0, "title"}, {"subtitle", A_META, "m", 0, "subtitle"}, {"author", A_META, "om", 0, "author"},
    {"date", A_META, "m", 0, "date"}, {"subject", A_META, "m", 0, "subject"}, {"publishers", A_META, "m", 0, "publishers"},
    {"institute", A_META, "om", 0, "institute"},
    /* text-carrying commands */
    {"textbf", A_TEXT, "m", 1, NULL}, {"textit", A_TEXT, "m", 1, NULL}, {"emph", A_TEXT, "m", 1, NULL},
    {"texttt", A_TEXT, "m", 1, NULL}, {"textsc", A_TEXT, "m", 1, NULL}, {"textsf", A_TEXT, "m", 1, NULL},
    {"textrm", A_TEXT, "m", 1, NULL}, {"textup", A_TEXT, "m", 1, NULL}, {"textmd", A_TEXT, "m", 1, NULL},
    {"textsl", A_TEXT, "m", 1, NULL}, {"textnormal", A_TEXT, "m", 1, NULL}, {"underline", A_TEXT, "m", 1, NULL},
    {"uline", A_TEXT, "m", 1, NULL}, {"sout", A_TEXT, "m", 1, NULL}, {"mbox", A_TEXT, "m", 1, NULL},
    {"fbox", A_TEXT, "m", 1, NULL}, {"text", A_TEXT, "m", 1, NULL}, {"textsuperscript", A_TEXT, "m", 1, NULL},
    {"textsubscript", A_TEXT, "m", 1, NULL}, {"href", A_TEXT, "vm", 2, NULL}, {"hyperref", A_TEXT, "om", 2, NULL},
    {"hypertarget", A_TEXT, "mm", 2, NULL}, {"hyperlink", A_TEXT, "mm", 2, NULL}, {"textcolor", A_TEXT, "omm", 3, NULL},
    {"colorbox", A_TEXT, "omm", 3, NULL}, {"centerline", A_TEXT, "m", 1, NULL}, {"makebox", A_TEXT, "oom", 3, NULL},
    {"framebox", A_TEXT, "oom", 3, NULL}, {"parbox", A_TEXT, "oomm", 4, NULL}, {"raisebox", A_TEXT, "moom", 4, NULL},
    {"scalebox", A_TEXT, "mom", 3, NULL}, {"resizebox", A_TEXT, "smmm", 4, NULL}, {"foreignlanguage", A_TEXT, "om", 2, NULL},
    {"hbox", A_TEXT, "m", 1, NULL}, {"textls", A_TEXT, "om", 2, NULL}, {"multicolumn", A_TEXT, "mmm", 3, NULL},
    {"multirow", A_TEXT, "omomom", 6, NULL}, {"caption", A_BLOCK, "om", 2, NULL}, {"blockquote", A_BLOCK, "oom", 3, NULL},
    {"marginpar", A_FOOTNOTE, "om", 2, NULL}, {"footnote", A_FOOTNOTE, "om", 2, NULL}, {"footnotetext", A_FOOTNOTE, "om", 2, NULL},
    {"thanks", A_DROP, "m", 0, NULL}, {"enquote", A_QUOTE, "sm", 2, NULL}, {"textquote", A_QUOTE, "oom", 3, NULL},
    {"url", A_URL, "v", 1, NULL}, {"nolinkurl", A_URL, "v", 1, NULL}, {"path", A_URL, "v", 1, NULL},
    {"verb", A_VERB, "", 0, NULL}, {"csname", A_CSNAME, "", 0, NULL},
    /* lists, environments, structure */
    {"item", A_ITEM, "o", 0, NULL}, {"begin", A_BEGIN, "m", 0, NULL}, {"end", A_END, "m", 0, NULL},
    {"\\", A_BREAK, "so", 0, NULL}, {"newline", A_BREAK, "", 0, NULL}, {"linebreak", A_BREAK, "o", 0, NULL},
    {"tabularnewline", A_BREAK, "", 0, NULL}, {"par", A_PAR, "", 0, NULL}, {"newpage", A_PAR, "", 0, NULL},
    {"clearpage", A_PAR, "", 0, NULL}, {"cleardoublepage", A_PAR, "", 0, NULL}, {"pagebreak", A_PAR, "o", 0, NULL},
    {"bigskip", A_PAR, "", 0, NULL}, {"medskip", A_PAR, "", 0, NULL}, {"smallskip", A_PAR, "", 0, NULL},
    {"maketitle", A_PAR, "", 0, NULL}, {"tableofcontents", A_PAR, "", 0, NULL},
    /* definitions */
    {"def", A_DEF, "", 0, NULL}, {"gdef", A_DEF, "", 0, NULL}, {"edef", A_DEF, "", 0, NULL}, {"xdef", A_DEF, "", 0, NULL},
    {"newcommand", A_NEWCMD, "", 0, NULL}, {"renewcommand", A_NEWCMD, "", 0, NULL},
    {"providecommand", A_PROVIDE, "", 0, NULL}, {"DeclareRobustCommand", A_NEWCMD, "", 0, NULL},
    {"let", A_LET, "", 0, NULL}, {"newenvironment", A_NEWENV, "", 0, NULL}, {"renewenvironment", A_NEWENV, "", 0, NULL},
    {"NewDocumentCommand", A_DROP, "mmm", 0, NULL}, {"RenewDocumentCommand", A_DROP, "mmm", 0, NULL},
    {"titleformat", A_TITLEFORMAT, "", 0, NULL}, {"setcounter", A_SETCOUNTER, "mm", 0, NULL},
    /* dropped with their arguments */
    {"documentclass", A_DROP, "om", 0, NULL}, {"usepackage", A_DROP, "om", 0, NULL}, {"RequirePackage", A_DROP, "om", 0, NULL},
    {"label", A_DROP, "m", 0, NULL}, {"ref", A_DROP, "m", 0, NULL}, {"pageref", A_DROP, "m", 0, NULL},
    {"eqref", A_DROP, "m", 0, NULL}, {"autoref", A_DROP, "m", 0, NULL}, {"cref", A_DROP, "m", 0, NULL},
    {"Cref", A_DROP, "m", 0, NULL}, {"cite", A_DROP, "om", 0, NULL}, {"nocite", A_DROP, "m", 0, NULL},
    {"vspace", A_DROP, "sm", 0, NULL}, {"hspace", A_SPACE, "sm", 0, NULL}, {"addvspace", A_DROP, "m", 0, NULL},
    {"includegraphics", A_DROP, "som", 0, NULL}, {"includepdf", A_DROP, "om", 0, NULL}, {"input", A_DROP, "m", 0, NULL},
    {"include", A_DROP, "m", 0, NULL}, {"emoji", A_DROP, "m", 0, NULL}, {"KOMAoptions", A_DROP, "m", 0, NULL},
    {"KOMAoption", A_DROP, "mm", 0, NULL}, {"setkomafont", A_DROP, "mm", 0, NULL}, {"addtokomafont", A_DROP, "mm", 0, NULL},
    {"geometry", A_DROP, "m", 0, NULL}, {"hypersetup", A_DROP, "m", 0, NULL}, {"pagestyle", A_DROP, "m", 0, NULL},
    {"thispagestyle", A_DROP, "m", 0, NULL}, {"pagenumbering", A_DROP, "m", 0, NULL}, {"color", A_DROP, "om", 0, NULL},
    {"definecolor", A_DROP, "mmm", 0, NULL}, {"setlength", A_DROP, "mm", 0, NULL}, {"addtolength", A_DROP, "mm", 0, NULL},
    {"addtocounter", A_DROP, "mm", 0, NULL}, {"stepcounter", A_DROP, "m", 0, NULL}, {"refstepcounter", A_DROP, "m", 0, NULL},
    {"newcounter", A_DROP, "mo", 0, NULL}, {"newlength", A_DROP, "m", 0, NULL}, {"graphicspath", A_DROP, "m", 0, NULL},
    {"bibliography", A_DROP, "m", 0, NULL}, {"bibliographystyle", A_DROP, "m", 0, NULL}, {"index", A_DROP, "m", 0, NULL},
    {"phantom", A_DROP, "m", 0, NULL}, {"hphantom", A_DROP, "m", 0, NULL}, {"vphantom", A_DROP, "m", 0, NULL},
    {"rule", A_DROP, "omm", 0, NULL}, {"linespread", A_DROP, "m", 0, NULL}, {"selectlanguage", A_DROP, "m", 0, NULL},
    {"titlespacing", A_DROP, "smmmmo", 0, NULL}, {"titlelabel", A_DROP, "m", 0, NULL}, {"cline", A_DROP, "m", 0, NULL},
    {"cmidrule", A_DROP, "om", 0, NULL}, {"fancyhead", A_DROP, "om", 0, NULL}, {"fancyfoot", A_DROP, "om", 0, NULL},
    {"lhead", A_DROP, "m", 0, NULL}, {"chead", A_DROP, "m", 0, NULL}, {"rhead", A_DROP, "m", 0, NULL},
    {"lfoot", A_DROP, "m", 0, NULL}, {"cfoot", A_DROP, "m", 0, NULL}, {"rfoot", A_DROP, "m", 0, NULL},
    {"newgeometry", A_DROP, "m", 0, NULL}, {"setmainfont", A_DROP, "om", 0, NULL}, {"setsansfont", A_DROP, "om", 0, NULL},
    {"fontsize", A_DROP, "mm", 0, NULL}, {"usetheme", A_DROP, "om", 0, NULL}, {"usecolortheme", A_DROP, "om", 0, NULL},
    {"renewcommand*", A_NEWCMD, "", 0, NULL}, {"pdfbookmark", A_DROP, "omm", 0, NULL}, {"phantomsection", A_DROP, "", 0, NULL},
    {"nopagebreak", A_DROP, "o", 0, NULL}, {"enlargethispage", A_DROP, "sm", 0, NULL}, {"today", A_DROP, "", 0, NULL},
    {"hfill", A_SPACE, "", 0, NULL}, {"quad", A_SPACE, "", 0, NULL}, {"qquad", A_SPACE, "", 0, NULL},
    {"enspace", A_SPACE, "", 0, NULL}, {"thinspace", A_SPACE, "", 0, NULL}, {"space", A_SPACE, "", 0, NULL},
    {"dotfill", A_SPACE, "", 0, NULL}, {"hrulefill", A_SPACE, "", 0, NULL}, {"and", A_CHAR, "", 0, ", "},
    /* characters */
    {"S", A_CHAR, "", 0, "\xc2\xa7"}, {"P", A_CHAR, "", 0, "\xc2\xb6"}, {"ldots", A_CHAR, "", 0, "\xe2\x80\xa6"},
    {"dots", A_CHAR, "", 0, "\xe2\x80\xa6"}, {"textellipsis", A_CHAR, "", 0, "\xe2\x80\xa6"}, {"cdots", A_CHAR, "", 0, "\xe2\x8b\xaf"},
    {"textasciitilde", A_CHAR, "", 0, "~"}, {"textasciicircum", A_CHAR, "", 0, "^"}, {"textbackslash", A_CHAR, "", 0, "\\"},
    {"textbar", A_CHAR, "", 0, "|"}, {"textless", A_CHAR, "", 0, "<"}, {"textgreater", A_CHAR, "", 0, ">"},
    {"textendash", A_CHAR, "", 0, "\xe2\x80\x93"}, {"textemdash", A_CHAR, "", 0, "\xe2\x80\x94"},
    {"textquoteleft", A_CHAR, "", 0, "'"}, {"textquoteright", A_CHAR, "", 0, "'"}, {"textquotedblleft", A_CHAR, "", 0, "\""},
    {"textquotedblright", A_CHAR, "", 0, "\""}, {"glqq", A_CHAR, "", 0, "\""}, {"grqq", A_CHAR, "", 0, "\""},
    {"textquotedbl", A_CHAR, "", 0, "\""}, {"textbullet", A_CHAR, "", 0, "\xe2\x80\xa2"}, {"textperiodcentered", A_CHAR, "", 0, "\xc2\xb7"},
    {"copyright", A_CHAR, "", 0, "\xc2\xa9"}, {"textcopyright", A_CHAR, "", 0, "\xc2\xa9"}, {"textregistered", A_CHAR, "", 0, "\xc2\xae"},
    {"texttrademark", A_CHAR, "", 0, "\xe2\x84\xa2"}, {"euro", A_CHAR, "", 0, "\xe2\x82\xac"}, {"texteuro", A_CHAR, "", 0, "\xe2\x82\xac"},
    {"EUR", A_CHAR, "", 0, "\xe2\x82\xac"}, {"pounds", A_CHAR, "", 0, "\xc2\xa3"}, {"textsterling", A_CHAR, "", 0, "\xc2\xa3"},
    {"textdollar", A_CHAR, "", 0, "$"}, {"textdegree", A_CHAR, "", 0, "\xc2\xb0"}, {"degree", A_CHAR, "", 0, "\xc2\xb0"},
    {"textunderscore", A_CHAR, "", 0, "_"}, {"textsection", A_CHAR, "", 0, "\xc2\xa7"}, {"textparagraph", A_CHAR, "", 0, "\xc2\xb6"},
    {"LaTeX", A_CHAR, "", 0, "LaTeX"}, {"TeX", A_CHAR, "", 0, "TeX"}, {"LaTeXe", A_CHAR, "", 0, "LaTeX2e"},
    {"aa", A_CHAR, "", 0, "\xc3\xa5"}, {"AA", A_CHAR, "", 0, "\xc3\x85"}, {"o", A_CHAR, "", 0, "\xc3\xb8"},
    {"O", A_CHAR, "", 0, "\xc3\x98"}, {"ae", A_CHAR, "", 0, "\xc3\xa6"}, {"AE", A_CHAR, "", 0, "\xc3\x86"},
    {"oe", A_CHAR, "", 0, "\xc5\x93"}, {"OE", A_CHAR, "", 0, "\xc5\x92"}, {"ss", A_CHAR, "", 0, "\xc3\x9f"},
    {"l", A_CHAR, "", 0, "\xc5\x82"}, {"L", A_CHAR, "", 0, "\xc5\x81"}, {"i", A_CHAR, "", 0, "i"}, {"j", A_CHAR, "", 0, "j"},
    {"lor", A_CHAR, "", 0, "\xe2\x88\xa8"}, {"land", A_CHAR, "", 0, "\xe2\x88\xa7"}, {"lnot", A_CHAR, "", 0, "\xc2\xac"},
    {"neg", A_CHAR, "", 0, "\xc2\xac"}, {"times", A_CHAR, "", 0, "\xc3\x97"}, {"cdot", A_CHAR, "", 0, "\xc2\xb7"},
    {"leq", A_CHAR, "", 0, "\xe2\x89\xa4"}, {"le", A_CHAR, "", 0, "\xe2\x89\xa4"}, {"geq", A_CHAR, "", 0, "\xe2\x89\xa5"},
    {"ge", A_CHAR, "", 0, "\xe2\x89\xa5"}, {"neq", A_CHAR, "", 0, "\xe2\x89\xa0"}, {"ne", A_CHAR, "", 0, "\xe2\x89\xa0"},
    {"pm", A_CHAR, "", 0, "\xc2\xb1"}, {"to", A_CHAR, "", 0, "\xe2\x86\x92"}, {"rightarrow", A_CHAR, "", 0, "\xe2\x86\x92"},
    {"Rightarrow", A_CHAR, "", 0, "\xe2\x87\x92"}, {"leftarrow", A_CHAR, "", 0, "\xe2\x86\x90"}, {"infty", A_CHAR, "", 0, "\xe2\x88\x9e"},
    {"approx", A_CHAR, "", 0, "\xe2\x89\x88"}, {"sim", A_CHAR, "", 0, "~"}, {"in", A_CHAR, "", 0, "\xe2\x88\x88"},
    {"percent", A_CHAR, "", 0, "%"}, {"textpercent", A_CHAR, "", 0, "%"}, {"checkmark", A_CHAR, "", 0, "\xe2\x9c\x93"},
    /* accents taking an argument (letters) */
    {"c", A_ACCENT, "m", 0x327, NULL}, {"r", A_ACCENT, "m", 0x30A, NULL}, {"v", A_ACCENT, "m", 0x30C, NULL},
    {"u", A_ACCENT, "m", 0x306, NULL}, {"H", A_ACCENT, "m", 0x30B, NULL}, {"k", A_ACCENT, "m", 0x328, NULL},
    {"d", A_ACCENT, "m", 0x323, NULL}, {"b", A_ACCENT, "m", 0x331, NULL}, {"t", A_ACCENT, "m", 0, NULL},
};

static const tex_builtin *builtin_find(const char *name, size_t n)
{
    if (!n) return NULL;
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        const char *b = builtins[i].name;
        if (b[0] == name[0] && strncmp(b, name, n) == 0 && b[n] == 0) return &builtins[i];
    }
    return NULL;
}

/* ---- environments ---- */

typedef struct tex_envdef {
    const char *name;
    uint8_t     kind;       /* 0 plain, 1 list, 2 table, 3 verbatim, 4 dropped, 5 math */
    uint8_t     list;
    const char *spec;       /* arguments after \begin{name} */
} tex_envdef;

static const tex_envdef envdefs[] = {
    {"itemize", 1, LIST_BULLET, "o"}, {"enumerate", 1, LIST_NUMBER, "o"}, {"description", 1, LIST_DESC, "o"},
    {"compactitem", 1, LIST_BULLET, "o"}, {"compactenum", 1, LIST_NUMBER, "o"}, {"compactdesc", 1, LIST_DESC, "o"},
    {"asparaitem", 1, LIST_BULLET, "o"}, {"asparaenum", 1, LIST_NUMBER, "o"}, {"inparaenum", 1, LIST_NUMBER, "o"},
    {"itemize*", 1, LIST_BULLET, "o"}, {"enumerate*", 1, LIST_NUMBER, "o"}, {"description*", 1, LIST_DESC, "o"},
    {"list", 1, LIST_BULLET, "mm"}, {"trivlist", 1, LIST_BULLET, ""},
    {"tabular", 2, 0, "om"}, {"tabular*", 2, 0, "mom"}, {"tabularx", 2, 0, "mom"}, {"tabulary", 2, 0, "mom"},
    {"longtable", 2, 0, "om"}, {"array", 2, 0, "om"}, {"supertabular", 2, 0, "m"}, {"xtabular", 2, 0, "m"},
    {"tblr", 2, 0, "om"}, {"longtblr", 2, 0, "oom"},
    {"verbatim", 3, 0, ""}, {"verbatim*", 3, 0, ""}, {"Verbatim", 3, 0, "o"}, {"lstlisting", 3, 0, "o"},
    {"minted", 3, 0, "om"}, {"alltt", 3, 0, ""},
    {"comment", 4, 0, ""}, {"tikzpicture", 4, 0, "o"}, {"pgfpicture", 4, 0, ""}, {"picture", 4, 0, ""},
    {"filecontents", 4, 0, "om"}, {"filecontents*", 4, 0, "om"},
    {"equation", 5, 0, ""}, {"equation*", 5, 0, ""}, {"align", 5, 0, ""}, {"align*", 5, 0, ""},
    {"gather", 5, 0, ""}, {"gather*", 5, 0, ""}, {"multline", 5, 0, ""}, {"multline*", 5, 0, ""},
    {"eqnarray", 5, 0, ""}, {"eqnarray*", 5, 0, ""}, {"displaymath", 5, 0, ""}, {"math", 5, 0, ""},
    {"document", 0, 0, ""}, {"center", 0, 0, ""}, {"flushleft", 0, 0, ""}, {"flushright", 0, 0, ""},
    {"quote", 0, 0, ""}, {"quotation", 0, 0, ""}, {"displayquote", 0, 0, "oo"}, {"verse", 0, 0, ""},
    {"minipage", 0, 0, "ooom"}, {"multicols", 0, 0, "mo"}, {"multicols*", 0, 0, "mo"}, {"abstract", 0, 0, ""},
    {"titlepage", 0, 0, ""}, {"table", 0, 0, "o"}, {"table*", 0, 0, "o"}, {"figure", 0, 0, "o"},
    {"figure*", 0, 0, "o"}, {"landscape", 0, 0, ""}, {"adjustwidth", 0, 0, "mm"}, {"spacing", 0, 0, "m"},
    {"singlespace", 0, 0, ""}, {"onehalfspace", 0, 0, ""}, {"doublespace", 0, 0, ""}, {"tcolorbox", 0, 0, "o"},
    {"mdframed", 0, 0, "o"}, {"framed", 0, 0, ""}, {"samepage", 0, 0, ""}, {"otherlanguage", 0, 0, "m"},
    {"otherlanguage*", 0, 0, "m"}, {"small", 0, 0, ""}, {"footnotesize", 0, 0, ""}, {"scriptsize", 0, 0, ""},
    {"tiny", 0, 0, ""}, {"large", 0, 0, ""}, {"Large", 0, 0, ""}, {"LARGE", 0, 0, ""}, {"huge", 0, 0, ""},
    {"Huge", 0, 0, ""}, {"normalsize", 0, 0, ""}, {"raggedright", 0, 0, ""}, {"raggedleft", 0, 0, ""},
    {"wrapfigure", 0, 0, "omom"}, {"subfigure", 0, 0, "om"}, {"frame", 0, 0, "om"}, {"block", 0, 0, "m"},
    {"columns", 0, 0, "o"}, {"column", 0, 0, "om"}, {"letter", 0, 0, "m"}, {"sloppypar", 0, 0, ""},
    {"english", 0, 0, ""}, {"swedish", 0, 0, ""}, {"nolinebreak", 0, 0, ""}, {"bfseries", 0, 0, ""},
};

static const tex_envdef *envdef_find(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof envdefs / sizeof envdefs[0]; i++)
        if (strlen(envdefs[i].name) == n && memcmp(envdefs[i].name, name, n) == 0) return &envdefs[i];
    return NULL;
}

/* Index of "\end{name}" matching a \begin{name} whose content starts at i (nesting counted);
 * *after gets the index after it.  n when missing. */
static size_t find_end(tex *T, const char *p, size_t n, size_t i, const char *name, size_t nl, size_t *after,
                       int verbatim)
{
    int d = 0;
    for (size_t k = i; k < n; k++) {
        if (!tex_scan(T)) break;
        if (p[k] == '%' && !verbatim) { k = skip_comment(p, n, k); continue; }
        if (p[k] != '\\') continue;
        if (k + 6 + nl <= n && memcmp(p + k, "\\end{", 5) == 0 && memcmp(p + k + 5, name, nl) == 0 && p[k + 5 + nl] == '}') {
            if (d == 0) { *after = k + 6 + nl; return k; }
            d--;
        } else if (k + 8 + nl <= n && memcmp(p + k, "\\begin{", 7) == 0 && memcmp(p + k + 7, name, nl) == 0 &&
                   p[k + 7 + nl] == '}') {
            d++;
        } else if (!verbatim) {
            k++;
        }
    }
    *after = n;
    return n;
}

static int list_depth_below(tex *T, int top)
{
    int d = 0;
    for (int i = 0; i < top; i++)
        if (T->envs[i].kind == ENV_LIST || (T->envs[i].kind == ENV_GENERIC && T->envs[i].count > 0)) d++;
    return d;
}

static int innermost_list(tex *T)
{
    for (int i = T->nenvs; i-- > 0;)
        if (T->envs[i].kind == ENV_LIST || T->envs[i].kind == ENV_GENERIC) return i;
    return -1;
}

/* Is an item open around the current position (a list, or a generic environment with items)? */
static int in_items(tex *T) { return list_depth_below(T, T->nenvs) > 0; }

/* A table: rows end at \\ or \tabularnewline, cells at & (brace depth 0). */
static void do_table(tex *T, const char *p, size_t n)
{
    em_par(T->e);
    size_t i = 0, cell = 0;
    int d = 0;
    int first = 1;
    em_begin(T->e, EM_ROW, NULL, 0);
    while (i <= n) {
        int row_end = 0, cell_end = 0;
        size_t next = i + 1;
        if (i == n) row_end = 1;
        else if (p[i] == '%') { i = skip_comment(p, n, i); continue; }
        else if (p[i] == '{') d++;
        else if (p[i] == '}') { if (d) d--; }
        else if (p[i] == '\\' && i + 1 < n) {
            if (d == 0 && p[i + 1] == '\\') {
                row_end = 1;
                next = i + 2;
                if (next < n && p[next] == '*') next++;
                size_t j = next;
                while (j < n && (p[j] == ' ' || p[j] == '\t')) j++;
                if (j < n && p[j] == '[') {
                    size_t e = bracket_end(T, p, n, j);
                    if (e < n) next = e + 1;
                }
            } else if (d == 0 && n - i >= 15 && memcmp(p + i, "\\tabularnewline", 15) == 0) {
                row_end = 1;
                next = i + 15;
            } else if (n - i >= 6 && memcmp(p + i, "\\begin", 6) == 0) {
                /* a nested environment: skip over it whole */
                targ a;
                size_t j = read_marg(T, p, n, i + 6, &a, 0);
                if (a.present) {
                    size_t after;
                    find_end(T, p, n, j, a.p, a.n, &after, 0);
                    i = after;
                    continue;
                }
                next = i + 2;
            } else {
                next = i + 2;
            }
        } else if (p[i] == '&' && d == 0) {
            cell_end = 1;
        }
        if (row_end || cell_end) {
            pk_buf c;
            buf_init(&c);
            tex_flat(T, p + cell, i - cell, &c);
            if (!first) em_cell(T->e);
            first = 0;
            if (c.n) em_text(T->e, (const char *)c.p, c.n);
            if (c.err) T->err = 1;
            buf_free(&c);
            cell = next;
            if (row_end) {
                em_end(T->e);
                em_begin(T->e, EM_ROW, NULL, 0);
                first = 1;
            }
            if (i == n) break;
        }
        i = next;
    }
    em_end(T->e);
    em_par(T->e);
}

static void do_verbatim(tex *T, const char *p, size_t n)
{
    em_par(T->e);
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) : n;
        em_verb(T->e, p + i, e - i);
        i = e + 1;
    }
    em_par(T->e);
}

static void begin_env(tex *T, const char *p, size_t n, size_t *ip, const char *name, size_t nl)
{
    size_t i = *ip;
    const tex_envdef *d = envdef_find(name, nl);
    if (nl == 8 && memcmp(name, "document", 8) == 0) {
        T->e->mute = 0;
        for (int k = 0; k < T->nmeta; k++)
            em_key(T->e, T->meta[k].key, T->meta[k].val, strlen(T->meta[k].val));
        return;
    }
    targ args[8];
    if (d && d->spec[0]) i = read_args(T, p, n, i, d->spec, args);
    if (d && (d->kind == 2 || d->kind == 3 || d->kind == 4)) {
        size_t after;
        size_t e = find_end(T, p, n, i, name, nl, &after, d->kind == 3);
        if (d->kind == 2) do_table(T, p + i, e - i);
        else if (d->kind == 3) {
            if (i < n && p[i] == '\n') i++;
            do_verbatim(T, p + i, e > i ? e - i : 0);
        }
        *ip = after;
        return;
    }
    if (!d) {
        /* an environment we do not know: skip its options, keep its content under a label */
        while (i < n && p[i] == '[') {
            size_t e = bracket_end(T, p, n, i);
            if (e >= n) break;
            i = e + 1;
        }
    }
    if (T->nenvs < TEX_MAX_ENVS) {
        tex_env *v = &T->envs[T->nenvs++];
        memset(v, 0, sizeof *v);
        size_t cl = nl < sizeof v->name - 1 ? nl : sizeof v->name - 1;
        memcpy(v->name, name, cl);
        v->kind = !d ? ENV_GENERIC : d->kind == 1 ? ENV_LIST : ENV_PLAIN;
        v->list = d ? d->list : LIST_BULLET;
        v->math = d && d->kind == 5;
    }
    if (d && d->kind == 1 && list_depth_below(T, T->nenvs - 1) > 0) em_end(T->e);
    else em_par(T->e);
    if (!d) em_label(T->e, name, nl);
    if (d && d->kind == 5) T->math = 1;
    *ip = i;
}

static void end_env(tex *T, const char *name, size_t nl)
{
    if (nl == 8 && memcmp(name, "document", 8) == 0) { T->stop = 1; return; }
    int k = T->nenvs;
    while (k-- > 0)
        if (strlen(T->envs[k].name) == nl && memcmp(T->envs[k].name, name, nl) == 0) break;
    if (k < 0) { em_par(T->e); return; }   /* an \end without its \begin */
    int was_list = T->envs[k].kind == ENV_LIST;
    if (T->envs[k].math) T->math = 0;
    T->nenvs = k;
    if (was_list && in_items(T)) em_end(T->e);
    else em_par(T->e);
}

static void do_item(tex *T, const targ *label)
{
    int li = innermost_list(T);
    int depth = li < 0 ? 0 : list_depth_below(T, li);
    int kind = li < 0 ? LIST_BULLET : T->envs[li].list;
    char pre[64];
    size_t pl = 0;
    for (int d = 0; d < depth && pl + 2 < 40; d++) { pre[pl++] = ' '; pre[pl++] = ' '; }
    if (li >= 0) T->envs[li].count++;
    if (kind == LIST_NUMBER && !label->present)
        pl += (size_t)snprintf(pre + pl, sizeof pre - pl, "%d. ", li >= 0 ? T->envs[li].count : 1);
    else { pre[pl++] = '-'; pre[pl++] = ' '; }
    em_begin(T->e, EM_ITEM, pre, pl);
    if (label->present) {
        pk_buf b;
        buf_init(&b);
        tex_flat(T, label->p, label->n, &b);
        if (b.n) {
            em_text(T->e, (const char *)b.p, b.n);
            if (kind == LIST_DESC) em_cell(T->e);
            else em_space(T->e);
        }
        if (b.err) T->err = 1;
        buf_free(&b);
    }
}

static void do_heading(tex *T, int level, const targ *star, const targ *title)
{
    int koma = level >= 100;       /* \addsec, \minisec: never numbered */
    if (koma) level -= 100;
    int out = level < 0 ? 1 : T->has_chapter ? level + 1 : level;
    if (out < 1) out = 1;
    if (out > 6) out = 6;
    char pre[96];
    size_t pl = 0;
    for (int k = 0; k < out; k++) pre[pl++] = '#';
    pre[pl++] = ' ';
    if (!koma && level >= 0 && level <= 5 && !star->present) {
        T->counters[level]++;
        for (int k = level + 1; k < 8; k++) T->counters[k] = 0;
        int top = T->has_chapter ? 0 : 1;
        if (level <= T->secnumdepth && level >= top && !(T->hidden & (1u << level))) {
            for (int k = top; k <= level && pl + 12 < sizeof pre; k++)
                pl += (size_t)snprintf(pre + pl, sizeof pre - pl, k == level ? "%d " : "%d.", T->counters[k]);
        }
    }
    pk_buf b;
    buf_init(&b);
    tex_flat(T, title->p, title->n, &b);
    em_par(T->e);
    em_begin(T->e, EM_HEAD, pre, pl);
    if (b.n) em_text(T->e, (const char *)b.p, b.n);
    em_par(T->e);
    if (b.err) T->err = 1;
    buf_free(&b);
}

/* \def\name#1#2{body} */
static size_t do_def(tex *T, const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i >= n || p[i] != '\\' || i + 1 >= n) return i;
    size_t ns = i + 1, ne = ns;
    if (is_letter_byte((unsigned char)p[ne])) while (ne < n && is_letter_byte((unsigned char)p[ne])) ne++;
    else ne++;
    size_t j = ne;
    int nargs = 0;
    while (j < n && p[j] != '{') {
        if (p[j] == '#' && j + 1 < n && p[j + 1] >= '1' && p[j + 1] <= '9') nargs = p[j + 1] - '0';
        if (p[j] == '\n' && j + 1 < n && p[j + 1] == '\n') return j;
        j++;
    }
    if (j >= n) return n;
    size_t e = group_end(T, p, n, j, 0);
    if (e >= n) return n;
    macro_define(T, p + ns, ne - ns, nargs, NULL, p + j + 1, e - j - 1);
    return e + 1;
}

/* \newcommand*{\name}[n][default]{body} */
static size_t do_newcommand(tex *T, const char *p, size_t n, size_t i, int provide)
{
    targ a[5];
    i = read_args(T, p, n, i, "smoom", a);
    const char *name;
    size_t nl;
    if (!a[4].present || !cs_of_arg(&a[1], &name, &nl)) return i;
    int nargs = 0;
    if (a[2].present) {
        for (size_t k = 0; k < a[2].n; k++)
            if (isdigit((unsigned char)a[2].p[k])) nargs = nargs * 10 + (a[2].p[k] - '0');
    }
    if (provide && (macro_find(T, name, nl) || builtin_find(name, nl))) return i;
    macro_define(T, name, nl, nargs, &a[3], a[4].p, a[4].n);
    return i;
}

static size_t do_let(tex *T, const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
    if (i + 1 >= n || p[i] != '\\') return i;
    size_t ns = i + 1, ne = ns;
    if (is_letter_byte((unsigned char)p[ne])) while (ne < n && is_letter_byte((unsigned char)p[ne])) ne++;
    else ne++;
    size_t j = ne;
    while (j < n && (p[j] == ' ' || p[j] == '=')) j++;
    if (j >= n) return n;
    size_t ts = j, te = j + 1;
    if (p[j] == '\\' && j + 1 < n) {
        te = j + 1;
        if (is_letter_byte((unsigned char)p[te])) while (te < n && is_letter_byte((unsigned char)p[te])) te++;
        else te++;
        tex_macro *src = macro_find(T, p + j + 1, te - j - 1);
        if (src) {
            char *body = pk_strdup(src->body);
            if (!body) { T->err = 1; return te; }
            targ o = {src->opt, src->opt ? strlen(src->opt) : 0, src->opt != NULL};
            macro_define(T, p + ns, ne - ns, src->nargs, &o, body, strlen(body));
            pk_free(body);
            return te;
        }
    } else {
        te = j + markup_utf8_len(p + j, n - j);
    }
    macro_define(T, p + ns, ne - ns, 0, NULL, p + ts, te - ts);
    return te;
}

/* \titleformat{\section}[shape]{format}{label}{sep}{before}[after]: an empty label hides numbers. */
static size_t do_titleformat(tex *T, const char *p, size_t n, size_t i)
{
    targ a[8];
    if (i < n && p[i] == '*') {
        return read_args(T, p, n, i + 1, "mm", a);
    }
    i = read_args(T, p, n, i, "mommmmo", a);
    const char *name;
    size_t nl;
    if (!cs_of_arg(&a[0], &name, &nl) || !a[3].present) return i;
    static const char *levels[] = {"chapter", "section", "subsection", "subsubsection", "paragraph", "subparagraph"};
    for (int k = 0; k < 6; k++) {
        if (strlen(levels[k]) == nl && memcmp(levels[k], name, nl) == 0) {
            if (!memmem(a[3].p, a[3].n, "\\the", 4)) T->hidden |= 1u << k;
            else T->hidden &= ~(1u << k);
        }
    }
    return i;
}

/* ---- the main loop ---- */

/* A control sequence at p[i] == '\\'. Returns the index after it and its arguments. */
static size_t do_control(tex *T, const char *p, size_t n, size_t i)
{
    emitter *e = T->e;
    size_t ns = i + 1;
    if (ns >= n) return n;
    size_t ne = ns;
    int word = is_letter_byte((unsigned char)p[ns]);
    if (word) while (ne < n && is_letter_byte((unsigned char)p[ne])) ne++;
    else ne += markup_utf8_len(p + ns, n - ns);
    const char *name = p + ns;
    size_t nl = ne - ns;
    size_t j = ne;
    int spaced = 0;
    if (word) {
        while (j < n && (p[j] == ' ' || p[j] == '\t')) { j++; spaced = 1; }
    } else {
        /* control symbols */
        char c = p[ns];
        switch (c) {
        case '%': case '&': case '$': case '#': case '_': case '{': case '}':
            em_text(e, p + ns, 1);
            return ne;
        case ' ': case '\n': case '\t': case ',': case ';': case ':': case '>':
            em_space(e);
            return ne;
        case '@': case '/': case '-': case '!': case '+':
            return ne;
        case '(': case ')': case '[': case ']':
            T->math = c == '(' || c == '[';
            if (c == '[' || c == ']') em_space(e);
            return ne;
        case '|':
            em_text(e, "\xe2\x80\x96", 3);
            return ne;
        case '"': case '\'': case '`': case '^': case '~': case '=': case '.': {
            static const char acc[] = "\"'`^~=.";
            static const uint32_t marks[] = {0x308, 0x301, 0x300, 0x302, 0x303, 0x304, 0x307};
            const char *ap = strchr(acc, c);
            uint32_t mark = ap ? marks[ap - acc] : 0;
            targ a;
            size_t k = read_marg(T, p, n, ne, &a, 0);
            if (a.present) {
                pk_buf b;
                buf_init(&b);
                tex_flat(T, a.p, a.n, &b);
                if (b.n) {
                    em_text(e, (const char *)b.p, b.n);
                    if (mark) { put_cp(e, mark); if (T->needs_nfc) *T->needs_nfc = 1; }
                }
                if (b.err) T->err = 1;
                buf_free(&b);
            }
            return k;
        }
        default:
            break;
        }
    }
    tex_macro *m = macro_find(T, name, nl);
    if (m) {
        size_t before = e->out->n;
        size_t k = macro_expand(T, m, p, n, j);
        if (spaced && m->nargs == 0 && e->out->n != before) em_space(e);
        return k;
    }
    const tex_builtin *b = builtin_find(name, nl);
    targ a[8];
    if (b) {
        size_t k = j;
        if (b->action != A_DEF && b->action != A_NEWCMD && b->action != A_PROVIDE && b->action != A_LET &&
            b->action != A_NEWENV && b->action != A_VERB && b->action != A_CSNAME && b->action != A_TITLEFORMAT)
            k = read_args(T, p, n, word ? j : ne, b->spec, a);
        switch (b->action) {
        case A_DROP:
            return k;
        case A_SPACE:
            em_space(e);
            return k;
        case A_TEXT:
        case A_URL: {
            const targ *t = &a[b->arg - 1];
            if (t->present && T->depth < TEX_MAX_DEPTH) {
                if (b->action == A_URL) em_text(e, t->p, t->n);
                else { T->depth++; tex_run(T, t->p, t->n); T->depth--; }
            }
            return k;
        }
        case A_BLOCK:
        case A_FOOTNOTE: {
            const targ *t = &a[b->arg - 1];
            if (!t->present || T->depth >= TEX_MAX_DEPTH) return k;
            if (b->action == A_BLOCK) em_par(e);
            else { em_space(e); em_text(e, "(", 1); }
            T->depth++;
            tex_run(T, t->p, t->n);
            T->depth--;
            if (b->action == A_BLOCK) em_par(e);
            else em_text(e, ")", 1);
            return k;
        }
        case A_QUOTE: {
            const targ *t = &a[b->arg - 1];
            if (!t->present || T->depth >= TEX_MAX_DEPTH) return k;
            em_text(e, "\"", 1);
            T->depth++;
            tex_run(T, t->p, t->n);
            T->depth--;
            em_text(e, "\"", 1);
            return k;
        }
        case A_HEAD:
            if (b->spec[0] == 's') {
                if (a[2].present) do_heading(T, b->arg, &a[0], &a[2]);
            } else if (a[0].present) {
                targ nostar = {NULL, 0, 0};
                do_heading(T, b->arg, &nostar, &a[0]);
            }
            return k;
        case A_META: {
            const targ *t = &a[b->spec[0] == 'o' ? 1 : 0];
            if (t->present) meta_set(T, b->str, t->p, t->n);
            return k;
        }
        case A_CHAR: {
            em_text(e, b->str, strlen(b->str));
            if (k < n && p[k] == '{' && k + 1 < n && p[k + 1] == '}') k += 2;
            else if (spaced) em_space(e);
            return k;
        }
        case A_ACCENT: {
            if (!a[0].present) return k;
            pk_buf t;
            buf_init(&t);
            tex_flat(T, a[0].p, a[0].n, &t);
            if (t.n) {
                em_text(e, (const char *)t.p, t.n);
                if (b->arg) { put_cp(e, (uint32_t)b->arg); if (T->needs_nfc) *T->needs_nfc = 1; }
            }
            if (t.err) T->err = 1;
            buf_free(&t);
            return k;
        }
        case A_BREAK:
            em_break(e);
            return k;
        case A_PAR:
            em_par(e);
            return k;
        case A_ITEM:
            do_item(T, &a[0]);
            return k;
        case A_BEGIN:
            if (a[0].present) {
                size_t pos = k;
                begin_env(T, p, n, &pos, a[0].p, a[0].n);
                return pos;
            }
            return k;
        case A_END:
            if (a[0].present) end_env(T, a[0].p, a[0].n);
            return k;
        case A_DEF:
            return do_def(T, p, n, j);
        case A_NEWCMD:
            return do_newcommand(T, p, n, j, 0);
        case A_PROVIDE:
            return do_newcommand(T, p, n, j, 1);
        case A_LET:
            return do_let(T, p, n, j);
        case A_NEWENV:
            return read_args(T, p, n, j, "smoomm", a);
        case A_TITLEFORMAT:
            return do_titleformat(T, p, n, ne);
        case A_SETCOUNTER:
            if (a[0].present && a[1].present && a[0].n == 11 && memcmp(a[0].p, "secnumdepth", 11) == 0) {
                int v = 0, neg = 0;
                for (size_t q = 0; q < a[1].n; q++) {
                    if (a[1].p[q] == '-') neg = 1;
                    else if (isdigit((unsigned char)a[1].p[q])) v = v * 10 + (a[1].p[q] - '0');
                    if (v > 10) break;
                }
                T->secnumdepth = neg ? -1 : v;
            }
            return k;
        case A_VERB: {
            size_t q = ne;
            if (q < n && p[q] == '*') q++;
            if (q >= n) return n;
            char delim = p[q];
            const char *end = memchr(p + q + 1, delim, n - q - 1);
            if (!end || memchr(p + q + 1, '\n', (size_t)(end - (p + q + 1)))) return q + 1;
            em_text(e, p + q + 1, (size_t)(end - (p + q + 1)));
            return (size_t)(end - p) + 1;
        }
        case A_CSNAME: {
            const char *end = memmem(p + ne, n - ne, "\\endcsname", 10);
            if (!end) return ne;
            const char *s = p + ne;
            size_t sl = (size_t)(end - s);
            while (sl && (*s == ' ')) { s++; sl--; }
            while (sl && s[sl - 1] == ' ') sl--;
            size_t after = (size_t)(end - p) + 10;
            if (sl > 1 && s[0] == '@') {
                char key[16];
                if (sl - 1 < sizeof key) {
                    memcpy(key, s + 1, sl - 1);
                    key[sl - 1] = 0;
                    const char *v = meta_get(T, key);
                    if (v) em_text(e, v, strlen(v));
                }
            } else {
                tex_macro *mm = macro_find(T, s, sl);
                if (mm) return macro_expand(T, mm, p, n, after);
            }
            return after;
        }
        default:
            return k;
        }
    }
    if (!word) return ne;
    /* A macro we do not know: keep the text of its arguments.  One that fills a line of its
     * own (\förtroendevald{Ordförande}{Samuel Otterhäll}{Ja}) becomes a row of cells. */
    targ args[9];
    int na = 0;
    size_t k = j;
    while (na < 9 && k < n) {
        size_t q = k;
        while (q < n && (p[q] == ' ' || p[q] == '\t')) q++;
        if (q < n && p[q] == '[') {
            size_t be = bracket_end(T, p, n, q);
            if (be >= n) break;
            args[na].p = p + q + 1; args[na].n = be - q - 1; args[na].present = 2;
            na++;
            k = be + 1;
        } else if (q < n && p[q] == '{') {
            size_t ge = group_end(T, p, n, q, 0);
            if (ge >= n) break;
            args[na].p = p + q + 1; args[na].n = ge - q - 1; args[na].present = 1;
            na++;
            k = ge + 1;
        } else {
            break;
        }
    }
    if (na == 0) return j;
    size_t ls = i;
    while (ls > 0 && (p[ls - 1] == ' ' || p[ls - 1] == '\t')) ls--;
    int at_start = ls == 0 || p[ls - 1] == '\n';
    size_t q = k;
    while (q < n && (p[q] == ' ' || p[q] == '\t')) q++;
    int at_end = q >= n || p[q] == '\n' || p[q] == '%';
    if (at_start && at_end && !e->flat) {
        em_begin(e, EM_ROW, NULL, 0);
        for (int t = 0; t < na; t++) {
            if (t) em_cell(e);
            pk_buf c;
            buf_init(&c);
            tex_flat(T, args[t].p, args[t].n, &c);
            if (c.n) em_text(e, (const char *)c.p, c.n);
            if (c.err) T->err = 1;
            buf_free(&c);
        }
        em_end(e);
        return k;
    }
    for (int t = 0; t < na; t++) {
        if (args[t].present != 1 || T->depth >= TEX_MAX_DEPTH) continue;
        if (t) em_space(e);
        T->depth++;
        tex_run(T, args[t].p, args[t].n);
        T->depth--;
    }
    return k;
}

static int special(unsigned char c)
{
    switch (c) {
    case '\\': case '{': case '}': case '$': case '%': case '~': case '&': case '^': case '_':
    case '`': case '\'': case '-': case ' ': case '\t': case '\n':
        return 1;
    default:
        return 0;
    }
}

static void tex_run(tex *T, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !T->stop && !T->err) {
        emitter *e = T->e;
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '%':
            i = skip_comment(p, n, i);
            if (i < n) {
                i++;   /* the comment eats its newline and the next line's indentation */
                while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
            }
            break;
        case ' ': case '\t': case '\n': {
            int nls = 0;
            while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n')) nls += p[i++] == '\n';
            if (nls >= 2 && !T->math) em_par(e);
            else em_space(e);
            break;
        }
        case '\\':
            i = do_control(T, p, n, i);
            break;
        case '{': {
            size_t g = group_end(T, p, n, i, 0);
            if (g >= n) { i++; break; }
            if (T->depth < TEX_MAX_DEPTH) {
                T->depth++;
                tex_run(T, p + i + 1, g - i - 1);
                T->depth--;
            }
            i = g + 1;
            break;
        }
        case '}':
            i++;
            break;
        case '$':
            if (i + 1 < n && p[i + 1] == '$') i++;
            T->math = !T->math;
            i++;
            break;
        case '~':
            em_space(e);
            i++;
            break;
        case '&':
            em_space(e);
            i++;
            break;
        case '^': case '_':
            if (!T->math) em_text(e, p + i, 1);
            i++;
            break;
        case '`':
            if (i + 1 < n && p[i + 1] == '`') { em_text(e, "\"", 1); i += 2; }
            else { em_text(e, "'", 1); i++; }
            break;
        case '\'':
            if (i + 1 < n && p[i + 1] == '\'') { em_text(e, "\"", 1); i += 2; }
            else { em_text(e, "'", 1); i++; }
            break;
        case '-': {
            size_t k = 0;
            while (i + k < n && p[i + k] == '-') k++;
            if (T->math || k == 1) em_text(e, "-", 1);
            else if (k == 2) em_text(e, "\xe2\x80\x93", 3);
            else if (k == 3) em_text(e, "\xe2\x80\x94", 3);
            else em_text(e, p + i, k);
            i += k;
            break;
        }
        default: {
            size_t k = i + 1;
            while (k < n && !special((unsigned char)p[k])) k++;
            em_text(e, p + i, k - i);
            i = k;
            break;
        }
        }
    }
}

pk_status latex_reduce(emitter *e, const char *p, size_t n, int *needs_nfc)
{
    tex T;
    memset(&T, 0, sizeof T);
    T.e = e;
    T.needs_nfc = needs_nfc;
    T.budget = (size_t)256 << 10;
    T.scan_left = n < SIZE_MAX / 64 ? 32 * n + ((size_t)1 << 20) : SIZE_MAX;
    if (n < ((size_t)64 << 20)) T.budget += n * 8;
    T.has_chapter = memmem(p, n, "\\chapter", 8) != NULL;
    T.secnumdepth = T.has_chapter ? 2 : 3;
    if (memmem(p, n, "\\begin{document}", 16)) e->mute = 1;
    tex_run(&T, p, n);
    e->mute = 0;
    em_end(e);
    for (size_t i = 0; i < T.nmacros; i++) {
        pk_free(T.macros[i].name);
        pk_free(T.macros[i].body);
        pk_free(T.macros[i].opt);
    }
    pk_free(T.macros);
    for (int i = 0; i < T.nmeta; i++) pk_free(T.meta[i].val);
    return T.err ? PK_ENOMEM : PK_OK;
}
