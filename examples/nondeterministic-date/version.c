/* version: prints a build identifier that was taken from the clock at build time. */
#include <stdio.h>

#include "build-id.h"

int main(void)
{
    printf("build %s\n", BUILD_ID);
    return 0;
}
