/* hello: prints a greeting made by libgreet. */
#include "greet.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char line[128];
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        puts(greet_version());
        return 0;
    }
    greet_format(line, sizeof line, argc > 1 ? argv[1] : NULL);
    puts(line);
    return 0;
}
