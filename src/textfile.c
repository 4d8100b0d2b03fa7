/* The one reader of line-oriented data files. */
#include "rostvakt/textfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "rostvakt/fileio.h"

char *rv_trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int rv_split_kv(char *line, char **key, char **value)
{
    char *eq = strchr(line, '=');
    if (!eq) return -1;
    *eq = '\0';
    *key = rv_trim(line);
    *value = rv_trim(eq + 1);
    return 0;
}

static rv_err each(const char *path, rv_err open_error, rv_line_fn fn, void *user, int fields, rv_error *err);

rv_err rv_textfile_each(const char *path, rv_err open_error, rv_line_fn fn, void *user, rv_error *err)
{
    return each(path, open_error, fn, user, 0, err);
}

rv_err rv_textfile_fields_each(const char *path, rv_err open_error, rv_line_fn fn, void *user, rv_error *err)
{
    return each(path, open_error, fn, user, 1, err);
}

static rv_err each(const char *path, rv_err open_error, rv_line_fn fn, void *user, int fields, rv_error *err)
{
    struct stat st; /* a FIFO refused, not waited on for a writer */
    int fd = rv_open_regular(path, &st);
    if (fd == -2) return rv_error_set(err, open_error, "cannot open %s: not a regular file", path);
    if (fd < 0) return rv_error_set(err, open_error, "cannot open %s: %s", path, strerror(errno));
    FILE *f = fdopen(fd, "r");
    if (!f) {
        int e = errno;
        close(fd);
        return rv_error_set(err, open_error, "cannot open %s: %s", path, strerror(e));
    }
    char line[2048];
    int lineno = 0;
    rv_err rc = RV_OK;
    while (rc == RV_OK && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = rv_error_set(err, RV_ERR_CONFIG, "%s:%d: line too long", path, lineno);
            break;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = line;
        if (fields) { /* as rv_trim but the tabs at the end: an empty last field stays one */
            while (*s == ' ' || *s == '\t') s++;
            size_t n = strlen(s);
            while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = '\0';
            if (strspn(s, "\t") == n) *s = '\0'; /* tabs alone: a blank line */
        } else s = rv_trim(line);
        if (*s) rc = fn(s, lineno, user, err);
    }
    if (rc == RV_OK && ferror(f)) rc = rv_error_set(err, RV_ERR_IO, "error reading %s", path);
    fclose(f);
    return rc;
}

int rv_parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"yes", "true", "1"}, *const no[] = {"no", "false", "0"};
    for (size_t i = 0; v && i < 3; i++) {
        if (strcasecmp(v, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}
