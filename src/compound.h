/* compound.h — Swedish compound splitting: a lexicon (hunspell-sv plus a curated supplement) and
 * a splitter that finds the parts of words like "elektrifieringsfrågan" = elektrifiering+s+frågan. */
#ifndef PK_COMPOUND_H
#define PK_COMPOUND_H

#include <stddef.h>
#include <stdint.h>

#include "protokoll.h"

typedef struct lexicon lexicon;

/* Where the system word list is looked for (first existing pair of .dic/.aff wins). */
extern const char *const lexicon_system_paths[];

/* Get a lexicon: the system hunspell-sv dictionary (when installed) plus the built-in supplement
 * (rules/lexicon/sv.txt), plus extra_path (same format as the supplement) when not NULL.  Without
 * extra_path the lexicon is loaded once per process and shared (immutable, reference counted);
 * with it, each call loads its own.  On failure *err gets "path: line N: reason" (pk_free). */
pk_status lexicon_acquire(const char *extra_path, lexicon **out, char **err);
void      lexicon_release(lexicon *lx);

/* Load a lexicon of one's own: hunspell_base names the .dic/.aff pair without the extension
 * (NULL: the first of lexicon_system_paths that exists; "": none, the supplement only). */
pk_status lexicon_load(const char *hunspell_base, const char *extra_path, lexicon **out, char **err);

/* Hash of everything that decides splits (dictionary, affix rules, supplement, extra file). */
uint32_t    lexicon_hash32(const lexicon *lx);
/* "hunspell:/usr/share/hunspell/sv_SE" or "none" (supplement only). */
const char *lexicon_source(const lexicon *lx);
size_t      lexicon_entries(const lexicon *lx);

/* One part: the part's text is w[start, start+len); linking letters, when any, are the bytes
 * between the end of a part and the start of the next. */
typedef struct cpd_part {
    uint16_t start, len;
} cpd_part;

/* Split the casefolded word w[0..n) into at most max parts.  Returns the number of parts (>= 2),
 * or 0 when the word is not split.  Deterministic; depends only on the lexicon. */
int compound_split(const lexicon *lx, const uint8_t *w, size_t n, cpd_part *parts, int max);

/* Is w a word form the lexicon knows (an entry or an inflection of one)? */
int lexicon_knows(const lexicon *lx, const uint8_t *w, size_t n);

#endif
