/* main.c - the orchsim command (placeholder while the foundation is built). */
#include <stdio.h>

int main(void)
{
    puts("orchsim");
    return 0;
}
