/* Prints the API's route table (src/api_routes.c) as docs/api.md's
 * Markdown table, for tools/readme-routes.sh (make readme). */
#include <stdio.h>

#include "../src/api.h"

int main(void)
{
    rv_routes_markdown(stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
