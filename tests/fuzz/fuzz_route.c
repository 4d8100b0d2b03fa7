/* libFuzzer harness: what the HTTP layer decides from a request's text
 * without a socket: "METHOD URL\nRange\nX-Received-At" lines through the
 * router's decisions (route.h) and the API's route table. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) return 0;
    memcpy(t, data, size);
    t[size] = '\0';
    char *line[3] = {t, "", ""};
    for (int i = 1; i < 3; i++) {
        char *nl = strchr(line[i - 1], '\n');
        if (!nl) break;
        *nl = '\0';
        line[i] = nl + 1;
    }
    char *sp = strchr(line[0], ' ');
    const char *method = "GET", *url = line[0];
    if (sp) *sp = '\0', method = line[0], url = sp + 1;
    const char *type;
    char utc[32], allow[64];
    unsigned long long from, to;
    rv_path p;
    const rv_route *rt = rv_route_find(rv_routes, rv_n_routes, method, url, &p, allow);
    /* a route found took its path: its pieces are where the path holds them */
    if (rt && p.name && (p.name < url || p.name > url + strlen(url))) abort();
    if (rt && strlen(p.ext) >= sizeof p.ext) abort();
    (void)rv_web_path(url, &type);
    (void)rv_parse_id(url, strlen(url));
    unsigned long long sizes[] = {0, 1, 100, 1ULL << 40};
    for (size_t i = 0; i < 4; i++)
        if (rv_byte_range(line[1], sizes[i], &from, &to) == 1 && (from > to || to >= sizes[i])) abort();
    if (rv_rfc3339_utc(line[2], utc)) (void)rv_plausible_received_at(utc);
    /* the path's UTF-8 check says what jansson says; a cut keeps it UTF-8 */
    json_t *j = json_string(url);
    if (rv_utf8_valid(url) != (j != NULL)) abort();
    json_decref(j);
    size_t ul = strlen(url);
    for (size_t n = 0; rv_utf8_valid(url) && n <= ul && n < 16; n++) {
        char cut[16];
        size_t k = rv_utf8_cut(url, n);
        if (k > n) abort();
        memcpy(cut, url, k);
        cut[k] = '\0';
        if (!rv_utf8_valid(cut)) abort();
    }
    free(t);
    return 0;
}
