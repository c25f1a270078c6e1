#include <criterion/criterion.h>

#include "sim/os_err.h"

Test(os_err, formats_message_and_returns_code)
{
    struct os_error e = {0};
    int rc = os_errorf(&e, OS_EINVAL, "%s: $.seed: expected an integer", "x.json");
    cr_assert_eq(rc, OS_EINVAL);
    cr_assert_str_eq(e.msg, "x.json: $.seed: expected an integer");
    cr_assert_str_eq(os_strerror(OS_ENOENT), "no such file");
}
