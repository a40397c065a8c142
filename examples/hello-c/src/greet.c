#include "greet.h"

#include <stdio.h>

size_t greet_format(char *buf, size_t size, const char *name)
{
    int n = snprintf(buf, size, "Hello, %s!", name != NULL && name[0] != '\0' ? name : "world");
    if (n < 0)
        return 0;
    return (size_t)n < size ? (size_t)n : size - 1;
}

const char *greet_version(void)
{
    return "greet 1.0";
}
