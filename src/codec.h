/* codec.h — integer codes of the index: blocks of up to 128 unsigned values, bit-packed with a
 * per-block choice of fixed width, Rice or Exp-Golomb code (docs/FORMAT.md, "Integer codes"). */
#ifndef PK_CODEC_H
#define PK_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define CODEC_BLOCK 128   /* values per coded block */

/* Block header byte: mode in the top two bits, parameter in the low six. */
enum {
    CODEC_FIXED = 0,      /* every value in `param` bits (0 = all values are zero) */
    CODEC_RICE  = 1,      /* quotient v >> param in unary, then param low bits */
    CODEC_EXPG  = 2       /* Exp-Golomb of order param */
};

/* Append one block of k values (1 <= k <= CODEC_BLOCK).  A block of one value is a plain varint;
 * longer blocks are a header byte and a bit stream padded to a whole byte.  Sets b->err on
 * allocation failure. */
void codec_put_block(pk_buf *b, const uint32_t *v, size_t k);

/* Decode one block of k values from [*pp, end) into v, advancing *pp.  Returns 0, or -1 when the
 * bytes are not a valid block (truncated, an unknown mode, a value above 32 bits). */
int codec_get_block(const uint8_t **pp, const uint8_t *end, uint32_t *v, size_t k);

/* Any number of values as consecutive blocks of CODEC_BLOCK (the last one shorter). */
void codec_put_seq(pk_buf *b, const uint32_t *v, size_t n);
int  codec_get_seq(const uint8_t **pp, const uint8_t *end, uint32_t *v, size_t n);

/* Skip over n values coded by codec_put_seq without storing them. */
int  codec_skip_seq(const uint8_t **pp, const uint8_t *end, size_t n);

/* Bits the chosen code spends on these k values, header and padding included (for statistics). */
size_t codec_block_bytes(const uint32_t *v, size_t k);

#endif
