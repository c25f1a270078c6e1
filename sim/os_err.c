/* os_err.c - formatting of the error context shared by all modules. */
#include "sim/os_err.h"

#include <stdarg.h>
#include <stdio.h>

int os_errorf(struct os_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *os_strerror(int code)
{
    switch (code) {
    case OS_OK:
        return "ok";
    case OS_EINVAL:
        return "invalid input";
    case OS_ENOMEM:
        return "out of memory";
    case OS_EIO:
        return "i/o error";
    case OS_ENOENT:
        return "no such file";
    case OS_EPARSE:
        return "parse error";
    case OS_EFULL:
        return "capacity exceeded";
    case OS_ENOFIT:
        return "does not fit";
    default:
        return "unknown error";
    }
}
