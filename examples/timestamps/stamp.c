/* stamp: prints when it was compiled, using the compiler's __DATE__ and __TIME__. */
#include <stdio.h>

static const char built[] = "compiled " __DATE__ " " __TIME__;

int main(void)
{
    puts(built);
    return 0;
}
