/* libFuzzer harness: what sign-in reads from outside (session.h, token.h).
 * The first byte picks: 0 the trusted proxy's users file, 1 the tokens
 * file, 2 a session cookie's value looked up among live sessions, 3 a
 * proxy user's name for its CSRF token and role. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rostvakt/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a file: its path in path (unlinked by the caller), 0 on failure. */
static int as_file(const uint8_t *data, size_t size, char path[32])
{
    snprintf(path, 32, "/tmp/rv-fuzz-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    if (!ok) unlink(path);
    return ok;
}

static char store_dir[] = "/tmp/rv-fuzz-sessions-XXXXXX";

static void remove_store(void)
{
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", store_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", store_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rv_sessions *live;
    static rv_store *db;
    static char ids[4][RV_SESSION_ID_LEN + 1];
    rv_error e;
    if (!live) { /* a few sessions, made once, for cookies to be looked up among */
        if (!mkdtemp(store_dir)) abort();
        atexit(remove_store);
        if (rv_store_open(store_dir, &db, &e) != RV_OK || rv_sessions_new(3600, &live, &e) != RV_OK) abort();
        for (int i = 0; i < 4; i++) {
            unsigned char key[RV_TOKEN_KEY_LEN];
            char csrf[RV_SESSION_ID_LEN + 1];
            memset(key, i, sizeof key);
            rv_session_owner o = {key, "fuzz", "", RV_ROLE_OFFICER};
            if (rv_session_create(live, db, &o, ids[i], csrf, &e) != RV_OK) abort();
        }
    }
    if (size < 1) return 0;
    char path[32], *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* as a header value or a name arrives: NUL-ended */
    switch (data[0] % 4) {
    case 0: {
        rv_users *u;
        rv_role role;
        if (as_file(data + 1, size - 1, path)) {
            if (rv_users_load(path, &u, &e) == RV_OK) {
                (void)rv_users_role(u, "eva", &role);
                rv_users_free(u);
            }
            unlink(path);
        }
        break;
    }
    case 1: {
        rv_tokens *t;
        if (as_file(data + 1, size - 1, path)) {
            if (rv_tokens_load(path, &t, &e) == RV_OK) {
                rv_role role;
                char name[RV_TOKEN_NAME_MAX + 1];
                unsigned char key[RV_TOKEN_KEY_LEN];
                const char *tok = "rv_0000000000000000000000000000000000000000000000000000000000000000";
                if (rv_tokens_check_key(t, tok, &role, name, sizeof name, key) &&
                    !rv_tokens_by_key(t, key, &role, name, sizeof name))
                    abort(); /* a token found is found again by its key */
                rv_tokens_free(t);
            }
            unlink(path);
        }
        break;
    }
    case 2: {
        unsigned char key[RV_TOKEN_KEY_LEN];
        char csrf[RV_SESSION_ID_LEN + 1];
        if (rv_session_find(live, db, text, key, csrf, &e) == RV_OK) {
            int known = 0; /* only a live session's own id finds it */
            for (int i = 0; i < 4; i++) known |= strcmp(text, ids[i]) == 0;
            if (!known) abort();
        }
        break;
    }
    default: {
        char csrf[RV_SESSION_ID_LEN + 1];
        rv_sessions_proxy_csrf(live, text, csrf);
        if (strlen(csrf) != RV_SESSION_ID_LEN) abort();
    }
    }
    free(text);
    return 0;
}
