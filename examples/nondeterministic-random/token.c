/* token: prints a token that was drawn from /dev/urandom at build time. */
#include <stdio.h>

#include "token.h"

int main(void)
{
    printf("token %s\n", TOKEN);
    return 0;
}
