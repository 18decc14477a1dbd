/* decode.h — raw bytes to valid UTF-8: BOM, UTF-16, Latin-1/CP1252 repair, line ends, controls, NFC. */
#ifndef PK_DECODE_H
#define PK_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "protokoll.h"
#include "util.h"

/* Decode p[0..n) into out (appended; out is NUL-terminated on success).  On success the output is
 * valid UTF-8 without a BOM, with "\n" line ends, without NUL or other control characters except
 * TAB and LF; *repairs gets PK_REPAIR_* flags and *needs_nfc is set when the text holds characters
 * that NFC may change (see decode_nfc).  PK_EDECODE when the bytes are binary data; why[] then
 * holds the reason ("binary data (PNG image)").  PK_ENOMEM when out cannot grow. */
pk_status decode_text(const uint8_t *p, size_t n, pk_buf *out, uint32_t *repairs, int *needs_nfc,
                      char *why, size_t whylen);

/* Bring the valid UTF-8 text in b to NFC, touching only the lines that hold characters NFC may
 * change.  *changed is set when bytes changed.  PK_ENOMEM on allocation failure (b unchanged). */
pk_status decode_nfc(pk_buf *b, int *changed);

/* Does the code point need a look by NFC (a combining mark, a character that composes with the one
 * before it, or one with a canonical decomposition)? */
int decode_nfc_unsafe(uint32_t cp);

/* Length (1-4) of the valid UTF-8 sequence at p[0..n), 0 when the bytes there are not one; *cp gets
 * the code point. */
size_t decode_utf8(const uint8_t *p, size_t n, uint32_t *cp);

/* Length of the longest prefix of p[0..n) that is valid UTF-8: n when all of it is (fast on text
 * that is mostly ASCII with two-byte letters). */
size_t decode_valid_len(const uint8_t *p, size_t n);

/* Make b valid UTF-8 in place: every byte that starts no valid sequence becomes U+FFFD.  Returns
 * the number of bytes replaced; -1 on allocation failure (b unchanged). */
long decode_enforce_utf8(pk_buf *b);

/* The UTF-8 encoding of cp (a scalar value) into d; returns its length (1-4). */
size_t decode_encode_cp(uint8_t d[4], uint32_t cp);

/* Append the UTF-8 encoding of cp (which must be a scalar value) to b. */
void decode_put_cp(pk_buf *b, uint32_t cp);

/* The Windows-1252 meaning of byte c (0x80-0xFF); 0 for the five bytes it leaves undefined. */
uint32_t decode_cp1252(uint8_t c);

#endif
