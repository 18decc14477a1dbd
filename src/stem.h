/* stem.h — the Snowball Swedish stemmer (libstemmer) and a probe of which version it is. */
#ifndef PK_STEM_H
#define PK_STEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct stemmer stemmer;

/* NULL when libstemmer cannot make a Swedish UTF-8 stemmer (out of memory). */
stemmer *stem_new(void);
void     stem_free(stemmer *s);

/* Stem w[0..n) (UTF-8, casefolded).  Returns the stem's length and sets *out to bytes owned by
 * the stemmer, valid until the next call; returns w itself (and n) when stemming fails. */
size_t stem_word(stemmer *s, const uint8_t *w, size_t n, const uint8_t **out);

/* What the linked libstemmer does with Swedish, e.g. "snowball-swedish/2.x:5c1f0a9e": the
 * algorithm generation found by words whose stems changed between Snowball 2 and 3 ("2.x",
 * "3.x", or "unknown"), and a hash of the stems of a fixed probe list, so that any change in
 * the stems of those words changes the string.  Computed once per process; never NULL. */
const char *stem_version(void);

#endif
