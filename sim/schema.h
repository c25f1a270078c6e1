/*
 * schema.h - table-driven decoding of JSON (cJSON) into typed C structs.
 *
 * A struct is described once by a table of fields (key, kind, offset, bounds,
 * enum names, nested schema). schema_decode() walks a cJSON object with that
 * table and fills the struct; every problem becomes one diagnostic line naming
 * the file, the JSON path (`$.variants[2].placement`) and what was expected,
 * with a "did you mean" suggestion for misspelt keys and enum values. Decoding
 * goes on after an error so that one run reports every problem.
 *
 * schema_set() applies a `--set PATH=VALUE` override to a cJSON tree before
 * decoding (dotted path, numeric components index arrays), so overrides are
 * validated exactly like the file itself.
 *
 * Nothing here allocates into the decoded struct: strings are copied into
 * fixed buffers and arrays have a fixed capacity, so a decoded config is plain
 * data that needs no destructor.
 */
#ifndef ORCHSIM_SCHEMA_H
#define ORCHSIM_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "sim/os_err.h"

enum schema_kind {
    SCHEMA_INT,     /* int */
    SCHEMA_I64,     /* int64_t */
    SCHEMA_DOUBLE,  /* double, finite */
    SCHEMA_BOOL,    /* bool */
    SCHEMA_STRING,  /* char[size], non-empty unless SCHEMA_EMPTY_OK */
    SCHEMA_ENUM,    /* int: index into names[] */
    SCHEMA_SECONDS, /* int64_t microseconds from a JSON number of seconds */
    SCHEMA_PAIR,    /* double[2] from a JSON array [x, y] */
    SCHEMA_OBJECT,  /* nested struct described by sub */
    SCHEMA_ARRAY,   /* fixed-capacity array of elem (or of sub objects) + unsigned count */
};

/* Field flags. */
#define SCHEMA_REQUIRED 1u /* missing key is an error */
#define SCHEMA_EMPTY_OK 2u /* SCHEMA_STRING may be "" */

struct schema;

struct schema_field {
    const char *key;
    enum schema_kind kind;
    size_t offset;            /* offsetof(struct, member) */
    unsigned flags;           /* SCHEMA_REQUIRED, ... */
    double min, max;          /* inclusive bounds for numbers (also array elements) */
    size_t size;              /* STRING: buffer size; ARRAY: element size */
    const char *const *names; /* ENUM: NULL-terminated list of accepted strings */
    const struct schema *sub; /* OBJECT, or ARRAY of objects */
    enum schema_kind elem;    /* ARRAY of scalars: element kind (sub == NULL) */
    size_t count_offset;      /* ARRAY: offset of the `unsigned` element count */
    size_t min_items, cap;    /* ARRAY: least and most elements */
    const char *expect;       /* what is expected, in words, for error messages */
};

struct schema {
    const char *name;
    const struct schema_field *fields;
    size_t nfields;
    /* Optional: fill defaults before the keys are decoded. */
    void (*defaults)(void *obj);
};

/* Diagnostics: up to SCHEMA_DIAG_MAX lines are kept; `n` counts all. */
#define SCHEMA_DIAG_MAX 32
struct schema_diag {
    unsigned n;
    char line[SCHEMA_DIAG_MAX][512];
};

/* Adds one formatted line to d. */
void schema_diag_add(struct schema_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Decodes JSON object `json` into `obj` (which the caller zeroes or not: the
 * schema's defaults hook runs first). `file` and `path` ("$") prefix every
 * message. Returns 0 when no diagnostic was added, OS_EINVAL otherwise. */
int schema_decode(const struct schema *s, const cJSON *json, void *obj, const char *file,
                  const char *path, struct schema_diag *d);

/* Applies one override "PATH=VALUE" to the tree. VALUE is read as JSON when it
 * is a JSON scalar (number, true, false, null, "string") and as a plain string
 * otherwise; when the key exists and holds a string, VALUE is always taken as
 * a string. A missing last key is added (the decoder then checks it like any
 * other key). Returns OS_EINVAL with a message naming the override. */
int schema_set(cJSON *root, const char *assignment, struct os_error *err);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t schema_edit_distance(const char *a, const char *b);

/* Among the NULL-terminated candidates, the closest to `word` if it is close
 * enough to be a plausible typo, else NULL. */
const char *schema_suggest(const char *word, const char *const *candidates, size_t n);

/* Reads and parses a JSON file. On malformed JSON the message gives
 * FILE:LINE:COLUMN. The caller frees *out with cJSON_Delete. */
int schema_parse_file(const char *file, cJSON **out, struct os_error *err);

/* Parses a JSON text held in memory; `name` prefixes messages. */
int schema_parse_text(const char *name, const char *text, size_t len, cJSON **out,
                      struct os_error *err);

/* Field-table helpers. T is the struct type, m the member. */
#define SCHEMA_F_NUM(kd, T, m, k, lo, hi, fl, ex)                                                  \
    {                                                                                              \
        .key = k, .kind = kd, .offset = offsetof(T, m), .flags = fl, .min = lo, .max = hi,         \
        .expect = ex                                                                               \
    }
#define SCHEMA_F_INT(T, m, k, lo, hi, fl, ex) SCHEMA_F_NUM(SCHEMA_INT, T, m, k, lo, hi, fl, ex)
#define SCHEMA_F_I64(T, m, k, lo, hi, fl, ex) SCHEMA_F_NUM(SCHEMA_I64, T, m, k, lo, hi, fl, ex)
#define SCHEMA_F_DOUBLE(T, m, k, lo, hi, fl, ex)                                                   \
    SCHEMA_F_NUM(SCHEMA_DOUBLE, T, m, k, lo, hi, fl, ex)
#define SCHEMA_F_SECONDS(T, m, k, lo, hi, fl, ex)                                                  \
    SCHEMA_F_NUM(SCHEMA_SECONDS, T, m, k, lo, hi, fl, ex)
#define SCHEMA_F_BOOL(T, m, k, fl)                                                                 \
    {                                                                                              \
        .key = k, .kind = SCHEMA_BOOL, .offset = offsetof(T, m), .flags = fl,                      \
        .expect = "true or false"                                                                  \
    }
#define SCHEMA_F_STRING(T, m, k, fl, ex)                                                           \
    {                                                                                              \
        .key = k, .kind = SCHEMA_STRING, .offset = offsetof(T, m), .flags = fl,                    \
        .size = sizeof(((T *)0)->m), .expect = ex                                                  \
    }
#define SCHEMA_F_ENUM(T, m, k, nm, fl)                                                             \
    {                                                                                              \
        .key = k, .kind = SCHEMA_ENUM, .offset = offsetof(T, m), .flags = fl, .names = nm          \
    }
#define SCHEMA_F_OBJECT(T, m, k, sb, fl)                                                           \
    {                                                                                              \
        .key = k, .kind = SCHEMA_OBJECT, .offset = offsetof(T, m), .flags = fl, .sub = sb,         \
        .expect = "an object"                                                                      \
    }
/* Array of objects: member m is an array of structs; cnt an unsigned member;
 * at least lo elements. */
#define SCHEMA_F_ARRAY(T, m, cnt, k, sb, lo, fl)                                                   \
    {                                                                                              \
        .key = k, .kind = SCHEMA_ARRAY, .offset = offsetof(T, m), .flags = fl, .min_items = lo,    \
        .cap = sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0]), .size = sizeof(((T *)0)->m[0]),       \
        .sub = sb, .count_offset = offsetof(T, cnt), .expect = "an array of objects"               \
    }
/* Array of scalars of kind ek (SCHEMA_DOUBLE, SCHEMA_PAIR, SCHEMA_STRING...),
 * each element within [lo, hi] (numbers) ; at least nmin elements. */
#define SCHEMA_F_SCALARS(T, m, cnt, k, ek, nmin, lo, hi, fl, ex)                                   \
    {                                                                                              \
        .key = k, .kind = SCHEMA_ARRAY, .offset = offsetof(T, m), .flags = fl, .min = lo,          \
        .max = hi, .min_items = nmin, .cap = sizeof(((T *)0)->m) / sizeof(((T *)0)->m[0]),         \
        .size = sizeof(((T *)0)->m[0]), .elem = ek, .count_offset = offsetof(T, cnt), .expect = ex \
    }

#endif
