/* tokenizer.h — Swedish tokens over UTF-8 with byte offsets: words, numbers, dates, times, § marks.
 *
 * The tokenizer only finds token boundaries and kinds; normalisation (casefolding, number
 * grouping) is tok_norm(), a pure function of (kind, bytes), so that the analyzer can cache
 * the normalised form per surface form.  Invalid UTF-8 bytes are separators, one byte each. */
#ifndef PK_TOKENIZER_H
#define PK_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Token kinds are the PK_TOK_WORD ... PK_TOK_SECTION flags of protokoll.h. */

typedef struct tok_state {
    const uint8_t *p;
    size_t         n, i;
    int            expect_time;  /* the previous token was "kl"/"klockan", or a time before a dash */
} tok_state;

typedef struct tok_span {
    size_t   start, end;         /* byte span in the text */
    uint32_t kind;               /* one of PK_TOK_WORD, _NUMBER, _DATE, _TIME, _SECTION */
} tok_span;

void tok_init(tok_state *s, const char *text, size_t len);

/* Next token; returns 1 and fills *t, or 0 at the end of the text. */
int tok_next(tok_state *s, tok_span *t);

/* Decode one UTF-8 sequence at p[0..n) (n >= 1).  Returns its length (1..4) and sets *cp, or 0
 * when the bytes are not a valid, shortest-form sequence of a Unicode scalar value. */
int tok_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);
/* Encode cp as UTF-8 into out[4]; returns the length. */
int tok_utf8_encode(uint32_t cp, uint8_t *out);

/* Is cp a letter (L*), a combining mark (M*) or a decimal digit of any script? */
int tok_is_wordchar(uint32_t cp);
int tok_is_letter(uint32_t cp);

/* Casefold p[0..n) into out (full Unicode case folding, NFC kept for composed input; soft hyphens
 * dropped; U+2019 becomes an ASCII apostrophe).  Writes at most cap bytes, never splitting a
 * character; returns the folded length and sets *truncated when the output did not fit.  Invalid
 * bytes are copied through as U+FFFD. */
size_t tok_fold(const uint8_t *p, size_t n, uint8_t *out, size_t cap, int *truncated);

/* The normalised form of a token of the given kind and bytes (see tokenizer.c for the rules), at
 * most cap bytes.  Returns the length; *truncated as for tok_fold. */
size_t tok_norm(uint32_t kind, const uint8_t *p, size_t n, uint8_t *out, size_t cap, int *truncated);

#endif
