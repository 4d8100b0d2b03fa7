/* Running a program from a test and reading what it said (spawn.c). */
#ifndef RV_TEST_SPAWN_H
#define RV_TEST_SPAWN_H

#include <stddef.h>

/* bin with args (NULL-terminated, at most 30): its exit status (-1 when it
 * did not exit), what it wrote to stderr into err (cap bytes, cut), its
 * stdout thrown away. */
int spawn_stderr(const char *bin, const char *const *args, char *err, size_t cap);

#endif
