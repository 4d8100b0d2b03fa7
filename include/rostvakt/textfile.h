/* Line-oriented data files (settings, profiles, the phone map, word lists):
 * '#' starts a comment, blank lines are skipped, whitespace is trimmed. */
#ifndef RV_TEXTFILE_H
#define RV_TEXTFILE_H

#include "rostvakt/err.h"

/* Called for each remaining line (modifiable, trimmed, not empty). A result
 * other than RV_OK stops the reading and is returned. */
typedef rv_err (*rv_line_fn)(char *line, int lineno, void *user, rv_error *err);

/* Read path line by line. A file that cannot be opened fails with
 * open_error (naming the path and the system error); a line longer than
 * 2047 bytes with RV_ERR_CONFIG naming path and line. */
RV_MUST_USE rv_err rv_textfile_each(const char *path, rv_err open_error, rv_line_fn fn, void *user,
                                    rv_error *err);
/* The same for files of tab-separated fields (tokens, users): a tab at a
 * line's end is kept, so that an empty last field is seen as one. */
RV_MUST_USE rv_err rv_textfile_fields_each(const char *path, rv_err open_error, rv_line_fn fn, void *user,
                                           rv_error *err);

/* Trim whitespace in place; returns the first non-space character. */
char *rv_trim(char *s);

/* Split "key = value" in place into trimmed halves; 0, or -1 without '='. */
int rv_split_kv(char *line, char **key, char **value);

/* A yes/no value as people write it: yes, true, 1 or no, false, 0 (any
 * case) into *out; 0, or -1 for anything else. */
int rv_parse_bool(const char *v, int *out);

#endif
