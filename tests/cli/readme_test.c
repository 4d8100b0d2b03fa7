/* The README's examples work: its API walk-through runs against a fresh
 * server (tests/readme-walkthrough.sh), every step succeeding. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

Test(readme, the_api_walk_through_runs, .timeout = 120) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh tests/readme-walkthrough.sh README.md '%s'",
             getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt");
    cr_expect_eq(system(cmd), 0, "the README's walk-through (what failed is printed above)");
}
