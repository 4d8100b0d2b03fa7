/* A growing text (strbuf.h). */
#include "rostvakt/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void rv_strbuf_put(rv_strbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)n + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void rv_strbuf_put_xml(rv_strbuf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '&') rv_strbuf_put(b, "&amp;");
        else if (c == '<') rv_strbuf_put(b, "&lt;");
        else if (c == '>') rv_strbuf_put(b, "&gt;");
        else if (c == '"') rv_strbuf_put(b, "&quot;");
        else if (c == '\'') rv_strbuf_put(b, "&apos;");
        else if (c < 0x20 && c != '\t' && c != '\n') continue;
        else rv_strbuf_put(b, "%c", c);
    }
}

int rv_text_has_control(const char *s, int lines)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p < 0x20 && !(lines && (*p == '\n' || *p == '\r' || *p == '\t'))) return 1;
        if (*p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)) return 1; /* DEL, U+0080..U+009F */
    }
    return 0;
}
