/* greet: a tiny library that formats greetings. */
#ifndef GREET_H
#define GREET_H

#include <stddef.h>

/* Writes "Hello, NAME!" into buf (at most size bytes, always terminated); returns its length. */
size_t greet_format(char *buf, size_t size, const char *name);

/* Returns the library version string. */
const char *greet_version(void);

#endif
