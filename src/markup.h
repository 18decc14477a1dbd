/* markup.h — Markdown, LaTeX and Typst reduced to the canonical line-oriented text (docs/READER.md). */
#ifndef PK_MARKUP_H
#define PK_MARKUP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "protokoll.h"
#include "util.h"

/* ---- the format of a document ---- */

/* Format by the name's extension (.md/.markdown, .tex, .typ, .txt; a trailing .gz is looked
 * through, case does not matter).  -1 when the name has no extension the reader knows. */
int markup_format_of_name(const char *name);

/* Format by content, for names without a known extension: LaTeX, Typst, Markdown or text. */
pk_format markup_sniff(const char *p, size_t n);

/* Reduce decoded text (valid UTF-8, "\n" line ends) of the given format to canonical text,
 * appended to out.  *needs_nfc is set when the reduction wrote combining marks (LaTeX accents).
 * PK_ENOMEM on allocation failure; other input never fails. */
pk_status markup_reduce(pk_format f, const char *p, size_t n, pk_buf *out, int *needs_nfc);

/* ---- the emitter every format writes through ----
 *
 * Blocks are headings, paragraphs, list items, table rows, key lines, labels and verbatim lines.
 * Lines of one list, one table, one group of key lines or one verbatim block are separated by a
 * newline; other blocks by one empty line.  A label ("deltagere:") is tied to the block after it.
 * Text is written lazily, so blocks without text vanish; spaces never start or end a line. */
enum em_kind { EM_NONE = 0, EM_PARA, EM_HEAD, EM_ITEM, EM_ROW, EM_KEY, EM_LABEL, EM_VERB };

typedef struct emitter {
    pk_buf  *out;
    int      cur;          /* kind of the open line, EM_NONE when none is open */
    int      cur_text;     /* the open line has text */
    int      last;         /* kind of the last line written */
    int      par;          /* a paragraph break is pending */
    int      brk;          /* a line break inside a paragraph is pending */
    int      space;        /* a space is pending */
    int      tabs;         /* cell separators pending on a row */
    int      flat;         /* everything on one line: breaks become spaces, no prefixes */
    int      mute;         /* discard everything (LaTeX preamble) */
    pk_buf   prefix;       /* written before the first text of the open line */
} emitter;

void em_init(emitter *e, pk_buf *out);
void em_free(emitter *e);
/* Inline text; newlines become spaces, and in rows and key lines so do tabs. */
void em_text(emitter *e, const char *p, size_t n);
void em_str(emitter *e, const char *s);
void em_space(emitter *e);
/* A line break: inside a paragraph it starts a new line of the same paragraph; elsewhere a space. */
void em_break(emitter *e);
/* End the current block; the next one is separated by an empty line. */
void em_par(emitter *e);
/* Start a line of a block of kind k with the given prefix (e.g. "## 2.1 ", "  - ", "title\t"). */
void em_begin(emitter *e, int kind, const char *prefix, size_t plen);
/* End the current line (the next text starts a paragraph). */
void em_end(emitter *e);
/* Between two cells of a row (written only when more text follows, or at the row's end). */
void em_cell(emitter *e);
/* A whole key line "key\tvalue"; nothing when the value is empty. */
void em_key(emitter *e, const char *key, const char *v, size_t vn);
/* A label line "name:" tied to the block that follows. */
void em_label(emitter *e, const char *name, size_t n);
/* A literal line of a verbatim block (code). */
void em_verb(emitter *e, const char *p, size_t n);
/* Append text already in canonical form (rendered by a sub-emitter) as a block of its own;
 * last_kind is the kind of its last line. */
void em_block(emitter *e, const char *p, size_t n, int last_kind);
/* Finish: close the open line and end the text with one newline. */
void em_finish(emitter *e);

/* Reducers (one per format); they write through e and return PK_ENOMEM when the output failed. */
pk_status markdown_reduce(emitter *e, const char *p, size_t n);
pk_status latex_reduce(emitter *e, const char *p, size_t n, int *needs_nfc);
pk_status typst_reduce(emitter *e, const char *p, size_t n);

/* Shared inline helpers. */
size_t markup_utf8_len(const char *p, size_t n);   /* length of the character at p (1 when invalid) */
int markup_is_space(int c);                         /* ' ' or '\t' */

#endif
