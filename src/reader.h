/* reader.h — internal pieces of the reader that tests and other stages reach: limits, dates, tidying. */
#ifndef PK_READER_H
#define PK_READER_H

#include <stddef.h>
#include <stdint.h>
#include "protokoll.h"
#include "util.h"

/* The largest document (raw bytes, after gunzip) the reader accepts; PK_MAX_DOC_BYTES unless a
 * test lowers it.  Returns the previous value. */
size_t reader_set_max_bytes(size_t n);

/* The meeting date of canonical text: a "date\t..." key line, else the best full date near the
 * top (headings and lines that name the meeting preferred, dates of other events skipped), a date
 * in the text that the file name confirms, else a date in the file name.  *from gets the source. */
int32_t reader_doc_date(const char *text, size_t n, const char *name, pk_date_source *from);

/* Plain text made canonical in place: trailing blanks removed, runs of empty lines folded into one,
 * no empty lines at the start, one newline at the end.  Returns the new length. */
size_t reader_tidy_text(char *p, size_t n);

#endif
