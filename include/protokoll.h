/* protokoll.h — the public interface of libprotokoll: read, analyze, extract, index and query Swedish minutes.
 *
 * Ownership, once for the whole header:
 *   - Every handle has a constructor (pk_X_new / pk_X_open) and a destructor (pk_X_free / pk_X_close);
 *     destructors accept NULL.  A constructor that fails leaves *out NULL and frees what it made.
 *   - Arguments are borrowed for the duration of the call.  Results returned through an out-pointer
 *     are owned by the caller and released with the matching free function (pk_free for plain
 *     strings and buffers), unless the contract says "borrowed", in which case they stay valid
 *     until the next call on the same handle.
 *   - Text is UTF-8 and travels as (pointer, length); it is never assumed to be NUL-terminated,
 *     although strings the library hands out are NUL-terminated for convenience.
 *   - The library never prints, never exits and never aborts on bad data.  Every fallible function
 *     returns a pk_status; handles keep a message with context (file, byte offset, stage) that
 *     pk_X_errmsg() returns (borrowed).
 *   - All memory the library allocates goes through one hook (pk_set_allocator).
 *   - A handle is used by one thread at a time.  Different handles may be used in parallel.
 */
#ifndef PROTOKOLL_H
#define PROTOKOLL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PK_VERSION "0.1.0"

/* ------------------------------------------------------------------------------------------------
 * Status codes and the allocation hook
 * ---------------------------------------------------------------------------------------------- */

typedef enum pk_status {
    PK_OK = 0,
    PK_ENOMEM,     /* an allocation failed */
    PK_EIO,        /* a read, write, sync or rename failed */
    PK_ECORRUPT,   /* stored data fails a check: checksum, length, order */
    PK_EVERSION,   /* stored data has a format version or analyzer this build does not know */
    PK_EINVAL,     /* a bad argument: option, query, rule */
    PK_ENOENT,     /* a file, index, document or segment that does not exist */
    PK_EBUSY,      /* another writer holds the index lock */
    PK_EDECODE,    /* input bytes cannot be decoded as text */
    PK_ESYNTAX,    /* a query or rule that cannot be parsed; the message gives the position */
    PK_ELIMIT,     /* an input exceeds a documented limit */
    PK_STATUS_COUNT
} pk_status;

/* Name of a status ("out of memory", "corrupt data", ...).  Never NULL. */
const char *pk_strerror(pk_status st);

/* One allocation function for everything, Lua style: nsize == 0 frees ptr and returns NULL;
 * otherwise (re)allocates ptr (NULL for a fresh block) to nsize bytes and returns NULL on failure,
 * leaving ptr untouched.  osize is the old size when known, else 0.  The hook applies to the
 * library's own allocations, and to jansson's, PCRE2's and zlib's where they allow it.
 * Pass NULL to restore the default (malloc/realloc/free).  Not thread-safe: set it before use. */
typedef void *(*pk_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);
void pk_set_allocator(pk_alloc_fn fn, void *ud);

/* Release a string or buffer the library handed out.  NULL is a no-op. */
void pk_free(void *p);

/* ------------------------------------------------------------------------------------------------
 * Dates: days since 1970-01-01 (proleptic Gregorian), PK_NODATE when unknown.
 * ---------------------------------------------------------------------------------------------- */

#define PK_NODATE INT32_MIN

/* Parse "YYYY-MM-DD" (also "YYYY-MM" and "YYYY", taking the first day) into days.
 * PK_EINVAL when the text is not such a date. */
pk_status pk_date_parse(const char *s, size_t n, int32_t *days);

/* Write days as "YYYY-MM-DD" into buf (at least 11 bytes); "" for PK_NODATE. */
void pk_date_format(int32_t days, char buf[11]);

/* ------------------------------------------------------------------------------------------------
 * Reader: documents from files, folders, gzip and stdin, decoded and normalised.
 * ---------------------------------------------------------------------------------------------- */

typedef enum pk_format {
    PK_FMT_TEXT = 0,
    PK_FMT_MARKDOWN,
    PK_FMT_LATEX,
    PK_FMT_TYPST
} pk_format;

/* What the reader had to repair (bit flags in pk_doc.repairs). */
enum {
    PK_REPAIR_BOM      = 1u << 0,  /* a UTF-8 byte order mark was dropped */
    PK_REPAIR_LATIN1   = 1u << 1,  /* the file was Latin-1 / Windows-1252 and was transcoded */
    PK_REPAIR_BADBYTES = 1u << 2,  /* stray invalid bytes inside UTF-8 were repaired */
    PK_REPAIR_UTF16    = 1u << 3,  /* the file was UTF-16 (with a BOM) */
    PK_REPAIR_NEWLINES = 1u << 4,  /* CRLF or CR line ends were normalised */
    PK_REPAIR_NFC      = 1u << 5,  /* decomposed characters were composed (NFC) */
    PK_REPAIR_NUL      = 1u << 6,  /* NUL or other control bytes were dropped */
    PK_REPAIR_GZIP     = 1u << 7   /* the file was gzip-compressed */
};

/* Where pk_doc.date came from. */
typedef enum pk_date_source {
    PK_DATE_NONE = 0,   /* undated */
    PK_DATE_TEXT,       /* the meeting date found in the text */
    PK_DATE_FILENAME    /* a date in the file name */
} pk_date_source;

/* One document as read: the canonical text that analysis, extraction, snippets and spans refer to.
 *
 * The canonical text is UTF-8 in NFC with "\n" line ends.  Markup is reduced to a light,
 * line-oriented structure that extraction relies on (docs/READER.md has every mapping):
 *   - headings are lines "# Title", "## Title", ... (level = number of '#'); when LaTeX or Typst
 *     would number the heading, the number follows the marks: "## 2.1 Title";
 *   - list items are lines "- item" or "3. item" (nested lists indented by two spaces per level);
 *   - table rows and key/value lines keep their cells separated by a TAB; metadata of the source
 *     (LaTeX \title, \date, Typst #let and template settings) become key lines "date\t2024-11-15";
 *   - a label line "name:" (a LaTeX environment or Typst function the reader does not know) is
 *     followed directly by its rows or items;
 *   - paragraphs and other blocks are separated by one empty line;
 *   - everything else is plain text without markup.
 * Plain text keeps its lines; it only loses trailing spaces and runs of empty lines. */
typedef struct pk_doc {
    char          *path;       /* source path as given ("-" for stdin); NUL-terminated */
    char          *text;       /* canonical text, NUL-terminated */
    size_t         len;        /* bytes of text, without the NUL */
    size_t         raw_len;    /* bytes read from the source (after gunzip) */
    uint64_t       hash;       /* content hash of the raw bytes (pk_hash64) */
    int64_t        mtime;      /* modification time of the file, seconds, 0 for stdin and memory */
    pk_format      format;
    int32_t        date;       /* meeting date in days, or PK_NODATE */
    pk_date_source date_from;
    uint32_t       repairs;    /* PK_REPAIR_* flags */
} pk_doc;

/* The largest document the reader takes: raw bytes, after gunzip (PK_ELIMIT beyond). */
#define PK_MAX_DOC_BYTES ((size_t)256 << 20)

void pk_doc_free(pk_doc *doc);

/* Read one document from memory.  name is used for the format (by extension, else by content),
 * the date in the file name and messages; it may be NULL.  The bytes may be gzip-compressed.
 * On failure *out is NULL and, when err is not NULL, *err receives a message ("name: reason",
 * free with pk_free): PK_EDECODE for binary data and broken gzip streams, PK_ELIMIT for inputs
 * beyond PK_MAX_DOC_BYTES (gzip bombs included), PK_ENOMEM.  An empty input is a document with
 * empty text. */
pk_status pk_doc_from_memory(const char *name, const uint8_t *p, size_t n, pk_doc **out, char **err);

/* Read one file ("-" for stdin), gzip recognised by its magic bytes.  Same contract as
 * pk_doc_from_memory, plus PK_ENOENT (missing), PK_EIO (unreadable), PK_EINVAL (a folder). */
pk_status pk_doc_read_file(const char *path, pk_doc **out, char **err);

/* The read command's JSON object for a document (one line): path, format, date, date_from,
 * repairs (names), bytes (raw), text_bytes, hash (16 hex digits), mtime and, when with_text,
 * text.  Caller frees *json with pk_free. */
pk_status pk_doc_json(const pk_doc *doc, int with_text, char **json);

/* Names: "text" "markdown" "latex" "typst"; "text" "filename" "none"; and for one PK_REPAIR_*
 * flag "bom" "latin1" "bad_bytes" "utf16" "newlines" "nfc" "control" "gzip" (NULL otherwise). */
const char *pk_format_name(pk_format f);
const char *pk_date_source_name(pk_date_source s);
const char *pk_repair_name(uint32_t flag);

/* A reader walks paths: files, folders (recursively, in sorted byte order, symlink loops detected,
 * hidden files and folders skipped), gzip files and "-" for stdin. */
typedef struct pk_reader pk_reader;

pk_status pk_reader_new(pk_reader **out);
void      pk_reader_free(pk_reader *r);

/* Queue a path.  Paths are read in the order added. */
pk_status pk_reader_add(pk_reader *r, const char *path);

/* Next document.  PK_OK with *doc set: a document (caller frees).  PK_OK with *doc NULL: done.
 * Any other status: the current path failed (missing, unreadable, undecodable, a loop);
 * pk_reader_errmsg() names the file and the reason, and the next call goes on with the rest.
 * A path named explicitly is always read; in folders only files pk_reader_wants() takes are,
 * and a file without an extension that turns out to be binary is passed over silently. */
pk_status pk_reader_next(pk_reader *r, pk_doc **doc);
const char *pk_reader_errmsg(const pk_reader *r);

/* Is this path one the reader takes from a folder: .txt .md .markdown .tex .typ (any case, and .gz
 * of them), or a name without an extension (minutes such as "styrelsemote_210902", but not README,
 * LICENSE, Makefile and the like)? */
int pk_reader_wants(const char *path);

/* 64-bit content hash (deterministic across runs and machines). */
uint64_t pk_hash64(const void *p, size_t n);

/* ------------------------------------------------------------------------------------------------
 * Analyzer: Swedish tokens with offsets, casefolding, stopwords, Snowball stems, compound parts.
 * ---------------------------------------------------------------------------------------------- */

typedef struct pk_analyzer pk_analyzer;

/* Token kinds and flags (pk_token.flags): exactly one of WORD, NUMBER, DATE, TIME, SECTION, plus
 * STOP and CAPPED.  docs/ANALYZER.md gives the rules. */
enum {
    PK_TOK_WORD    = 1u << 0,  /* letters (with digits, marks, an inner apostrophe); hyphens split words */
    PK_TOK_NUMBER  = 1u << 1,  /* 12, 96,1, 1.5, 30.000 (norm "30000") */
    PK_TOK_DATE    = 1u << 2,  /* 2021-08-20 */
    PK_TOK_TIME    = 1u << 3,  /* 08:30, 8.30 after "kl" (norm "08:30") */
    PK_TOK_SECTION = 1u << 4,  /* § 12, §12 (norm "§12") */
    PK_TOK_STOP    = 1u << 5,  /* a stopword (not indexed, but keeps its position) */
    PK_TOK_CAPPED  = 1u << 6   /* an absurdly long token, its norm cut at PK_MAX_TOKEN bytes */
};
#define PK_TOK_KINDS (PK_TOK_WORD | PK_TOK_NUMBER | PK_TOK_DATE | PK_TOK_TIME | PK_TOK_SECTION)

#define PK_MAX_TOKEN 64        /* bytes of a token's normalised form */
#define PK_MAX_PARTS 6         /* compound parts per word */

/* A compound part: lowercase surface text without linking letters, and its Snowball stem. */
typedef struct pk_part {
    const char *text;  uint32_t text_len;
    const char *stem;  uint32_t stem_len;
} pk_part;

/* One token.  Strings are borrowed from the analyzer and stay valid until the analyzer is freed
 * or reset (they live in its per-form cache); they are NUL-terminated. */
typedef struct pk_token {
    uint32_t       start, end;   /* byte offsets into the analysed text */
    uint32_t       pos;          /* token position, counting stopwords */
    uint32_t       flags;        /* PK_TOK_* */
    uint32_t       form_id;      /* dense id (0, 1, 2, ...) of the normalised form in this analyzer */
    const char    *norm;  uint32_t norm_len;   /* casefolded form */
    const char    *stem;  uint32_t stem_len;   /* Snowball Swedish stem (== norm for non-words) */
    uint32_t       nparts;       /* 0 for a word that is not a compound, else 2..PK_MAX_PARTS */
    const pk_part *parts;
} pk_token;

/* Options for an analyzer; zero means default for every field. */
typedef struct pk_analyzer_opts {
    const char *stopwords_path;  /* default: built-in copy of stopwords/sv.txt */
    const char *lexicon_path;    /* extra compound lexicon (format of rules/lexicon/sv.txt), optional */
    int         no_compounds;    /* do not split compounds */
} pk_analyzer_opts;

/* Make an analyzer (opts may be NULL).  The compound lexicon (hunspell-sv, when installed, plus
 * the built-in supplement) is loaded once per process and shared by all analyzers without a
 * lexicon_path.  pk_analyzer_create also gives a message on failure ("stopwords: path: reason",
 * free with pk_free); PK_ENOENT/PK_EIO for an unreadable file, PK_ESYNTAX for a bad lexicon line. */
pk_status pk_analyzer_new(const pk_analyzer_opts *opts, pk_analyzer **out);
pk_status pk_analyzer_create(const pk_analyzer_opts *opts, pk_analyzer **out, char **err);
void      pk_analyzer_free(pk_analyzer *a);
const char *pk_analyzer_errmsg(const pk_analyzer *a);

/* The analyzer's identity, e.g.
 *   "snowball-swedish/2.x:5c1f0a9e tok:1 stop:1a2b3c4d lex:5e6f7a8b split:1"
 * (stemmer generation and probe hash, tokenizer rules, stopword list, compound lexicon, splitter;
 * "lex:- split:0" without compounds): stored in every index so that an index is never read with
 * a different analysis.  Borrowed; valid until the analyzer is freed. */
const char *pk_analyzer_identity(const pk_analyzer *a);

/* Tokenize text and call cb for each token in order.  A non-zero return from cb stops the run
 * (pk_analyze still returns PK_OK).  PK_ENOMEM when the form cache cannot grow, PK_ELIMIT for a
 * text of 4 GiB or more (offsets are 32-bit). */
typedef int (*pk_token_fn)(void *ud, const pk_token *tok);
pk_status pk_analyze(pk_analyzer *a, const char *text, size_t len, pk_token_fn cb, void *ud);

/* Analyze one term (a query word, "2021-08-20", "§12"): casefold, stem, split.  Text that the
 * tokenizer does not read as exactly one token is analysed as one word.  *tok is borrowed;
 * start 0, end n, pos 0. */
pk_status pk_analyze_word(pk_analyzer *a, const char *w, size_t n, pk_token *tok);

/* The analyze command's JSON for text: {"tokens": [{"text", "start", "end", "pos", "type",
 * "norm", "stem", "stopword", "parts", "part_stems"}, ...]} (the DESIGN.md shape plus keys);
 * caller frees *json with pk_free. */
pk_status pk_analyze_json(pk_analyzer *a, const char *text, size_t len, char **json);

/* Number of distinct normalised forms seen so far: every form_id is below it. */
size_t pk_analyzer_forms(const pk_analyzer *a);

/* Forget all cached forms (form ids restart at 0; strings of earlier tokens become invalid).
 * For long-running indexers that want to bound memory. */
void pk_analyzer_reset(pk_analyzer *a);

/* ------------------------------------------------------------------------------------------------
 * Extractor: rules as data (files of rules, PCRE2 JIT) turn a document into a record.
 * ---------------------------------------------------------------------------------------------- */

typedef struct pk_extractor pk_extractor;

/* Load rules from a file, or from every .rules file of a folder (in name order); NULL means the
 * built-in default rules (a compiled-in copy of rules/sv.rules).  All patterns are compiled once,
 * with PCRE2 JIT.  PK_ESYNTAX with the rule's file, line and PCRE2's message (with the offset in
 * the pattern) on a bad rule; PK_ENOENT/PK_EIO for files.  On failure *out is NULL and
 * pk_extractor_errmsg(NULL) returns the message (for the calling thread). */
pk_status pk_extractor_new(const char *rules_path, pk_extractor **out);
void      pk_extractor_free(pk_extractor *x);
/* The handle's last message (borrowed); with NULL, why the last pk_extractor_new failed. */
const char *pk_extractor_errmsg(const pk_extractor *x);

/* Extract the record of one document as a JSON object on one line (the "extract --jsonl" shape of
 * DESIGN.md: source, meeting, participants, agenda, decisions, follow_ups, upcoming_meetings,
 * signatures, warnings; items carry "span": [start, end], byte offsets into doc->text; see
 * docs/RULES.md for the added keys).  Also sets doc->date (and date_from = PK_DATE_TEXT) when the
 * text gives the meeting date.  Caller frees *json with pk_free.  PK_EDECODE when doc->text is not
 * valid UTF-8 (the reader's documents always are), PK_ELIMIT beyond 4 GB, PK_ENOMEM. */
pk_status pk_extract_json(pk_extractor *x, pk_doc *doc, char **json);

/* The same record indented for people (two spaces).  PK_EINVAL when json does not parse. */
pk_status pk_extract_pretty(const char *json, char **out);

/* ------------------------------------------------------------------------------------------------
 * Index: segments, commits, verify, merge.
 * ---------------------------------------------------------------------------------------------- */

/* An index is a folder of immutable segments and a manifest that names the live ones
 * (docs/FORMAT.md).  A handle sees one committed generation; a writer's commits move it on. */
typedef struct pk_index pk_index;

enum {
    PK_OPEN_READ   = 0,
    PK_OPEN_WRITE  = 1u << 0,   /* take the writer lock; PK_EBUSY when another writer has it */
    PK_OPEN_CREATE = 1u << 1    /* with PK_OPEN_WRITE: create the index folder when missing */
};

/* Open the index in dir.  Reading: PK_ENOENT when there is no index; PK_EVERSION for an unknown
 * format version; PK_ECORRUPT when the manifest or a file's header, footer or section table is
 * damaged (pages are checked when first read).  Writing: PK_EBUSY when another process holds the
 * writer lock; files left by an interrupted writer are removed.  On failure *err (when err is not
 * NULL) receives the message, naming the file and byte offset; free it with pk_free. */
pk_status pk_index_open(const char *dir, unsigned flags, pk_index **out, char **err);
/* Close; uncommitted changes (pk_index_delete without a commit) are dropped. */
void      pk_index_close(pk_index *ix);
/* The message of the last failure (borrowed). */
const char *pk_index_errmsg(const pk_index *ix);

/* Progress of an indexing run, reported through pk_index_opts.progress. */
typedef struct pk_progress {
    uint64_t docs_done, docs_added, docs_skipped, docs_unchanged;
    uint64_t bytes_done;          /* raw bytes read so far */
    uint64_t bytes_total;         /* raw bytes of all inputs when known, else 0 */
    double   seconds;
    const char *path;             /* the file just processed, or NULL */
    const char *error;            /* when a file was skipped: "path: reason", else NULL */
} pk_progress;

typedef struct pk_index_opts {
    size_t      mem_mb;           /* in-memory postings budget before a flush; 0 = 256 */
    int         jobs;             /* analysis/extraction threads; 0 = number of cores */
    const char *rules_path;       /* NULL = built-in rules */
    void      (*progress)(void *ud, const pk_progress *p);  /* called after each file and on skips */
    void       *progress_ud;
} pk_index_opts;

/* Summary of an indexing run. */
typedef struct pk_index_summary {
    uint64_t docs_added, docs_replaced, docs_unchanged, docs_skipped, docs_deleted;
    uint64_t bytes_read;
    uint32_t segments;            /* live segments after the run */
    uint64_t index_bytes;         /* bytes of the committed index */
    double   seconds;
} pk_index_summary;

/* Add paths (files, folders, .gz, "-") to an index opened for writing.  New files are added,
 * changed files (same path, other content hash) replace their older version, unchanged files are
 * skipped.  Unreadable inputs are reported through opts->progress and skipped; the rest is
 * committed (after every flush of the postings buffer, and at the end), together with any
 * pk_index_delete before the call; then the merge policy runs.  npaths may be 0 (commit the
 * deletions only).  The same inputs give byte-identical index files whatever opts->jobs.
 * Returns PK_OK when the commit succeeded, even when inputs were skipped (summary->docs_skipped
 * tells).  opts and summary may be NULL. */
pk_status pk_index_add_paths(pk_index *ix, const char *const *paths, size_t npaths,
                             const pk_index_opts *opts, pk_index_summary *summary);

/* Remove the document indexed from path (as it was given when indexed); PK_ENOENT when there is
 * none.  Takes effect at the next commit (pk_index_commit or pk_index_add_paths). */
pk_status pk_index_delete(pk_index *ix, const char *path);

/* Commit pending deletions, then run the merge policy (pk_index_add_paths commits by itself). */
pk_status pk_index_commit(pk_index *ix);

/* Fold the shards (other index folders, read-only) into ix, which must be open for writing, as
 * one new segment, and commit.  The shards' live documents get new ids in ix; a path ix already
 * holds with the same content hash is skipped (docs_unchanged), with another hash it is replaced
 * (docs_replaced); among the shards the last one holding a path wins.  PK_EVERSION when a shard
 * was built with another analyzer.  With nshards == 0, merges the segments of ix into one.
 * opts is unused (may be NULL); summary (may be NULL) receives the counts. */
pk_status pk_index_merge(pk_index *ix, const char *const *shards, size_t nshards,
                         const pk_index_opts *opts, pk_index_summary *summary);

/* Open dir read-only and check every checksum, length and ordering, and that every posting,
 * position, document entry and stored record decodes (docs/FORMAT.md, "What verify checks").
 * PK_OK when sound, with a one-line summary in *report; else the status of the first damage
 * (PK_ECORRUPT, PK_EVERSION, PK_ENOENT) with the damaged file and byte offset in *report.
 * Free *report with pk_free. */
pk_status pk_index_verify(const char *dir, char **report);

/* Statistics as the stats --json object of DESIGN.md (documents, text_bytes, terms, segments,
 * first_date, last_date, bytes{dictionary, postings, positions, documents, stored, total}), plus
 * word_terms, part_terms, raw_bytes, tokens, deleted_documents, postings, positions,
 * bits_per_posting, bits_per_position, percent_of_raw{index, stored, total}, periods (per year:
 * period, docs, tokens), bodies (body, docs; most documents first), generation and analyzer.
 * Caller frees *json with pk_free. */
pk_status pk_index_stats_json(pk_index *ix, char **json);

/* ------------------------------------------------------------------------------------------------
 * Queries: trend, search, decisions, follow-ups, show.  Results are JSON documents in the shapes
 * of DESIGN.md; the CLI renders them as tables.  PK_ESYNTAX for a query that does not parse, with
 * the position in the message ("query: col 7: expected ')'").
 * ---------------------------------------------------------------------------------------------- */

typedef enum pk_period { PK_BY_YEAR = 0, PK_BY_QUARTER, PK_BY_MONTH } pk_period;

typedef struct pk_query_opts {
    pk_period   by;               /* trend buckets */
    const char *body;             /* only documents whose body contains this text, or NULL */
    int32_t     from, to;         /* date range (days), PK_NODATE for open */
    int32_t     due_after;        /* followups: due after this date, PK_NODATE for any */
    size_t      limit;            /* search: top N (0 = 10); decisions/followups: 0 = all */
} pk_query_opts;

/* Fill opts with defaults. */
void pk_query_opts_init(pk_query_opts *o);

/* Check a query's syntax without an index.  PK_OK, or PK_ESYNTAX with *msg ("col N: what", free with
 * pk_free) and *col (1-based column in characters) set. */
pk_status pk_query_check(const char *query, char **msg, size_t *col);

pk_status pk_trend_json(pk_index *ix, const char *const *queries, size_t nqueries,
                        const pk_query_opts *o, char **json);
pk_status pk_search_json(pk_index *ix, const char *query, const pk_query_opts *o, char **json);
pk_status pk_decisions_json(pk_index *ix, const char *query /* may be NULL */,
                            const pk_query_opts *o, char **json);
pk_status pk_followups_json(pk_index *ix, const char *query /* may be NULL */,
                            const pk_query_opts *o, char **json);
/* doc: a document id, or a source path. */
pk_status pk_show_json(pk_index *ix, const char *doc, char **json);

#ifdef __cplusplus
}
#endif
#endif /* PROTOKOLL_H */
