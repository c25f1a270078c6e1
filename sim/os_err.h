/*
 * os_err.h - error codes and the caller-provided error message used by every
 * orchsim module.
 *
 * Contract: an action returns 0 on success or a negative enum os_err; when it
 * fails it fills the caller's struct os_error with one line of context (file,
 * line or JSON path, what was expected). Predicates return bool and never fail.
 */
#ifndef ORCHSIM_OS_ERR_H
#define ORCHSIM_OS_ERR_H

#include <stddef.h>

enum os_err {
    OS_OK = 0,
    OS_EINVAL = -1, /* bad input: value out of range, wrong type, unknown key */
    OS_ENOMEM = -2, /* allocation failed */
    OS_EIO = -3,    /* read/write failure */
    OS_ENOENT = -4, /* missing file */
    OS_EPARSE = -5, /* malformed JSON or CSV */
    OS_EFULL = -6,  /* a fixed capacity was exceeded */
    OS_ENOFIT = -7, /* a request does not fit (placement, allocation) */
};

/* One line of context. Callers own it; functions only write to it on failure. */
struct os_error {
    char msg[512];
};

/* Formats msg into err (if non-NULL) and returns code, so callers can write
 * `return os_errorf(err, OS_EINVAL, "%s: ...", file);`. */
int os_errorf(struct os_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short name for an error code ("invalid input", ...). */
const char *os_strerror(int code);

#endif
