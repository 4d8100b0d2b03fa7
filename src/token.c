/* Bearer tokens: random, shown once, stored as SHA-256 (OpenSSL's libcrypto
 * for the hash and the constant-time comparison). */
#include "rostvakt/token.h"
#include "rostvakt/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rostvakt/organisation.h"
#include "rostvakt/textfile.h"

static const char *const roles[] = {"pbx", "officer", "admin", "manager"};

const char *rv_role_name(rv_role r) { return (unsigned)r < 4 ? roles[r] : "?"; }

int rv_role_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, roles[i]) == 0) return i;
    return -1;
}

typedef struct {
    char name[RV_TOKEN_NAME_MAX + 1];
    rv_role role;
    unsigned char hash[32];
    char orgs[RV_ORGS_TEXT_MAX]; /* as in the file: "a,b", "*", or "" (a line of three fields) */
} entry;

struct rv_tokens {
    entry *e;
    size_t n, cap;
};

static int sha256(const char *s, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(s, strlen(s), out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
            else return 0;
        }
        out[i] = (unsigned char)v;
    }
    return s[2 * n] == '\0';
}

static int good_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > RV_TOKEN_NAME_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-' || c == '@'))
            return 0;
    }
    return 1;
}

static rv_err line(char *l, int lineno, void *user, rv_error *err)
{
    rv_tokens *t = user;
    if (!*l || *l == '#') return RV_OK;
    char *f[4], *r = l;
    for (int k = 0; k < 4; k++) f[k] = strsep(&r, "\t");
    if (r && f[3] && *f[3] && strspn(r, "\t") == strlen(r)) r = NULL; /* tabs after the organisations: nothing */
    entry e;
    memset(&e, 0, sizeof e);
    int role = f[1] ? rv_role_parse(f[1]) : -1;
    char norm[RV_ORGS_TEXT_MAX];
    if (!f[2] || r || !good_name(f[0]) || role < 0 || !unhex(f[2], e.hash, 32) ||
        (f[3] && (strlen(f[3]) >= sizeof e.orgs || !rv_orgs_norm(f[3], norm))))
        return rv_error_set(err, RV_ERR_CONFIG, "tokens file line %d is not name<TAB>role<TAB>sha256[<TAB>orgs]",
                            lineno);
    snprintf(e.name, sizeof e.name, "%s", f[0]);
    if (f[3]) snprintf(e.orgs, sizeof e.orgs, "%s", f[3]);
    e.role = (rv_role)role;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        entry *ne = realloc(t->e, cap * sizeof *ne);
        if (!ne) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        t->e = ne;
        t->cap = cap;
    }
    t->e[t->n++] = e;
    return RV_OK;
}

rv_err rv_tokens_load(const char *path, rv_tokens **out, rv_error *err)
{
    *out = NULL;
    rv_tokens *t = calloc(1, sizeof *t);
    if (!t) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = rv_textfile_fields_each(path, RV_ERR_IO, line, t, err);
    if (rc != RV_OK) {
        rv_tokens_free(t);
        return rc;
    }
    *out = t;
    return RV_OK;
}

void rv_tokens_free(rv_tokens *t)
{
    if (!t) return;
    OPENSSL_cleanse(t->e, t->n * sizeof *t->e);
    free(t->e);
    free(t);
}

size_t rv_tokens_count(const rv_tokens *t) { return t ? t->n : 0; }

int rv_tokens_check(const rv_tokens *t, const char *token, rv_role *role, char *name, size_t name_cap)
{
    return rv_tokens_check_key(t, token, role, name, name_cap, NULL);
}

int rv_tokens_check_key(const rv_tokens *t, const char *token, rv_role *role, char *name, size_t name_cap,
                        unsigned char key[RV_TOKEN_KEY_LEN])
{
    unsigned char h[32];
    if (!t || !token || strlen(token) != RV_TOKEN_TEXT_LEN || !sha256(token, h)) return 0;
    if (!rv_tokens_by_key(t, h, role, name, name_cap)) return 0;
    if (key) memcpy(key, h, sizeof h);
    return 1;
}

int rv_tokens_at(const rv_tokens *t, size_t i, unsigned char key[RV_TOKEN_KEY_LEN], char *name, size_t name_cap)
{
    if (!t || i >= t->n) return 0;
    memcpy(key, t->e[i].hash, RV_TOKEN_KEY_LEN);
    if (name && name_cap) snprintf(name, name_cap, "%s", t->e[i].name);
    return 1;
}

int rv_tokens_by_key(const rv_tokens *t, const unsigned char key[RV_TOKEN_KEY_LEN], rv_role *role, char *name,
                     size_t name_cap)
{
    const unsigned char *h = key;
    if (!t || !key) return 0;
    size_t found = t->n;
    for (size_t i = 0; i < t->n; i++) /* no early exit: every entry costs the same */
        if (CRYPTO_memcmp(h, t->e[i].hash, 32) == 0) found = i;
    if (found == t->n) return 0;
    if (role) *role = t->e[found].role;
    if (name && name_cap) snprintf(name, name_cap, "%s", t->e[found].name);
    return 1;
}

/* The tokens file's lock: PATH.lock, held (flock) while the file is read
 * and changed, so that a revocation's rename never loses a token created
 * at the same time. The lock's fd, or -1 with err set. */
static int lock_tokens(const char *path, rv_error *err)
{
    char lp[4200];
    snprintf(lp, sizeof lp, "%s.lock", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", lp, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX) != 0) {
        rv_error_set(err, RV_ERR_IO, "cannot lock %s", lp);
        close(fd);
        return -1;
    }
    return fd;
}

rv_err rv_token_create(const char *path, const char *name, rv_role role,
                       char out[RV_TOKEN_TEXT_LEN + 1], rv_error *err)
{
    return rv_token_create_orgs(path, name, role, NULL, out, err);
}

rv_err rv_token_create_orgs(const char *path, const char *name, rv_role role, const char *orgs,
                            char out[RV_TOKEN_TEXT_LEN + 1], rv_error *err)
{
    out[0] = '\0';
    if (!name || !good_name(name))
        return rv_error_set(err, RV_ERR_ARG, "a token name is 1 to %d of A-Z a-z 0-9 . _ - @", RV_TOKEN_NAME_MAX);
    if ((unsigned)role > RV_ROLE_MANAGER) return rv_error_set(err, RV_ERR_ARG, "unknown role");
    char norm[RV_ORGS_TEXT_MAX];
    if (orgs && !rv_orgs_norm(orgs, norm))
        return rv_error_set(err, RV_ERR_ARG, "--org: an organisation's id (1 to 40 of a-z 0-9 -) or '*'");
    int lk = lock_tokens(path, err);
    if (lk < 0) return err->code;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0600); /* a FIFO: refused, not waited on */
    if (fd < 0) {
        close(lk);
        return rv_error_set(err, RV_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    rv_err rc = RV_OK;
    rv_tokens *t;
    rc = rv_tokens_load(path, &t, err);
    if (rc != RV_OK) goto done;
    for (size_t i = 0; i < t->n && rc == RV_OK; i++)
        if (strcmp(t->e[i].name, name) == 0) rc = rv_error_set(err, RV_ERR_ARG, "a token named '%s' exists", name);
    rv_tokens_free(t);
    if (rc != RV_OK) goto done;
    unsigned char raw[32], h[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        rc = rv_error_set(err, RV_ERR_IO, "no randomness from the kernel");
        goto done;
    }
    char tok[RV_TOKEN_TEXT_LEN + 1] = "rv_";
    for (size_t i = 0; i < sizeof raw; i++) snprintf(tok + 3 + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    if (!sha256(tok, h)) { rc = rv_error_set(err, RV_ERR_INTERNAL, "SHA-256 failed"); goto done; }
    char rec[RV_TOKEN_NAME_MAX + 96 + RV_ORGS_TEXT_MAX];
    int n = snprintf(rec, sizeof rec, "%s\t%s\t", name, rv_role_name(role));
    for (size_t i = 0; i < sizeof h; i++) n += snprintf(rec + n, sizeof rec - (size_t)n, "%02x", h[i]);
    n += snprintf(rec + n, sizeof rec - (size_t)n, "%s%s\n", orgs ? "\t" : "", orgs ? orgs : "");
    /* the line whole, or the file as it was: half a line would make every
     * later read of the file refuse it */
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        rc = rv_error_set(err, RV_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    size_t put = 0;
    while (put < (size_t)n) {
        ssize_t w = write(fd, rec + put, (size_t)n - put); /* after a short one, the next says why */
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        put += (size_t)w;
    }
    if (put < (size_t)n || fsync(fd) != 0) {
        int why = errno ? errno : EIO;
        if (put && (ftruncate(fd, sb.st_size) != 0 || fsync(fd) != 0))
            rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s; its last line is cut short: remove it", path,
                              strerror(why));
        else rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(why));
        goto done;
    }
    memcpy(out, tok, sizeof tok);
    OPENSSL_cleanse(tok, sizeof tok);
done:
    close(fd);
    close(lk); /* releases the lock */
    return rc;
}

rv_err rv_token_revoke(const char *path, const char *name, rv_error *err)
{
    int lk = lock_tokens(path, err);
    if (lk < 0) return err->code;
    rv_tokens *t = NULL;
    rv_err rc = rv_tokens_load(path, &t, err);
    size_t kept = 0, found = 0;
    rv_out out = {0};
    FILE *f = NULL;
    if (rc == RV_OK && (rc = rv_out_open(&out, path, 0600, err)) == RV_OK) f = out.f;
    for (size_t i = 0; rc == RV_OK && i < t->n; i++) {
        if (strcmp(t->e[i].name, name) == 0) {
            found++;
            continue;
        }
        fprintf(f, "%s\t%s\t", t->e[i].name, rv_role_name(t->e[i].role));
        for (size_t k = 0; k < sizeof t->e[i].hash; k++) fprintf(f, "%02x", t->e[i].hash[k]);
        if (t->e[i].orgs[0]) fprintf(f, "\t%s", t->e[i].orgs);
        fputc('\n', f);
        kept++;
    }
    if (rc == RV_OK && !found) rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no token named '%s' in %s", name, path);
    if (rc == RV_OK) rc = rv_out_commit(&out, err);
    else rv_out_abort(&out);
    rv_tokens_free(t);
    close(lk);
    return rc;
}

int rv_tokens_has(const rv_tokens *t, const char *name)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->e[i].name, name) == 0) return 1;
    return 0;
}

int rv_tokens_orgs(const rv_tokens *t, const char *name, char out[RV_ORGS_TEXT_MAX])
{
    out[0] = '\0';
    for (size_t i = 0; t && name && i < t->n; i++)
        if (strcmp(t->e[i].name, name) == 0) {
            if (t->e[i].orgs[0]) rv_orgs_norm(t->e[i].orgs, out);
            return 1;
        }
    return 0;
}
