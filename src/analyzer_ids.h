/* analyzer_ids.h — dense ids of the stems and normalised forms an analyzer has met, for the
 * indexing pipeline: a term or form seen before is then found by id instead of by hashing its
 * bytes again.  Ids count from 0 and start over when the analyzer is reset. */
#ifndef PK_ANALYZER_IDS_H
#define PK_ANALYZER_IDS_H

#include <stdint.h>
#include "protokoll.h"

typedef struct analyzer_ids {
    uint32_t        stem;         /* id of the form's stem */
    uint32_t        norm;         /* id of the normalised form (words only; else UINT32_MAX) */
    const uint32_t *part_stem;    /* per compound part (pk_token.nparts of them): its stem's id */
    const uint32_t *part_norm;    /* and its text's id, in the same id space as norm */
} analyzer_ids;

/* The ids of form form_id (pk_token.form_id); 0, or -1 when there is no such form. */
int analyzer_form_ids(const pk_analyzer *a, uint32_t form_id, analyzer_ids *out);

#endif
