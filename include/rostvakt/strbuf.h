/* A growing text: printf onto its end, XML-escaped when asked. Out of
 * memory is remembered (oom) and later appends do nothing, so a caller
 * checks once at the end. */
#ifndef RV_STRBUF_H
#define RV_STRBUF_H

#include <stddef.h>

typedef struct {
    char *s;   /* NUL-terminated once anything was put; malloc()ed, the caller frees it */
    size_t len, cap;
    int oom;
} rv_strbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void rv_strbuf_put(rv_strbuf *b, const char *fmt, ...);

/* s with XML's (and HTML's) special characters escaped; control characters
 * other than tab and newline left out. */
void rv_strbuf_put_xml(rv_strbuf *b, const char *s);

/* 1 when UTF-8 text s holds a control character (C0, DEL or C1), but line
 * breaks and tabs where lines is 1: text that is stored, reported and
 * written into XML as given refuses them rather than have them changed. */
int rv_text_has_control(const char *s, int lines);

#endif
