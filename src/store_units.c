/* The store's units: a unit is its name whatever the case of its letters
 * (rv_unit_key, also a function of every connection), its managers, and
 * each unit's share of compliant greetings. */
#include "store_int.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

char *rv_unit_key(const char *unit)
{
    if (!unit) return NULL;
    if (!g_utf8_validate(unit, -1, NULL)) return strdup(unit);
    /* lower case, not case folding: PostgreSQL's rv_unit_key is ICU's
     * lower(), and both must give one key (ß stays ß, not ss). glib's
     * lower case follows LC_CTYPE for Turkish and Lithuanian: rostvakt
     * never sets a locale, so it is the root one, as ICU's "und". Final
     * sigma is where the two decide differently (glib before any
     * non-letter, ICU by Unicode's context rule), so ς is σ on both sides. */
    gchar *folded = g_utf8_strdown(unit, -1);
    /* ICU also lowers the capitals that are not letters, which glib
     * leaves: the Roman numerals (Ⅱ as ⅱ) and the circled letters (Ⓐ as ⓐ) */
    for (gchar *p = folded; p && *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        gunichar to = c >= 0x2160 && c <= 0x216f ? c + 0x10 : c >= 0x24b6 && c <= 0x24cf ? c + 0x1a : c;
        if (to != c) g_unichar_to_utf8(to, p); /* three bytes either way */
    }
    gchar *key = folded ? g_utf8_normalize(folded, -1, G_NORMALIZE_DEFAULT_COMPOSE) : NULL;
    char *out = key ? strdup(key) : NULL;
    g_free(key);
    g_free(folded);
    for (char *p = out; p && (p = strstr(p, "\xcf\x82")) != NULL; p += 2) p[1] = '\x83'; /* ς (U+03C2) as σ */
    return out;
}

rv_err rv_store_unit_shares(rv_store *s, rv_unit_share **out, size_t *n, rv_error *err)
{
    *out = NULL;
    *n = 0;
    rv_sql *q;
    /* one share a unit of each organisation: an authority's counts are its own */
    rv_err rc = rv_sql_prepare(s, &q,
                               "WITH " UNIT_NAMES
                               " SELECT u.unit, coalesce(m.organisation, ''), coalesce(o.name, ''), count(*),"
                               " sum(CASE WHEN coalesce(g.compliant, 0) = 1 AND g.removed = 0 THEN 1 ELSE 0 END)"
                               " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
                               " JOIN unit_names u ON " UNIT_NAME_OF("u", "m")
                               " LEFT JOIN organisations o ON o.id = m.organisation"
                               " GROUP BY u.k, u.unit, coalesce(m.organisation, ''), o.name"
                               " ORDER BY u.k, coalesce(m.organisation, '')",
                               V_NONE, "cannot count units", err);
    if (rc != RV_OK) return rc;
    rv_unit_share *a = NULL;
    size_t k = 0, cap = 0;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) {
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 32;
            rv_unit_share *na = realloc(a, nc * sizeof *na);
            if (!na) {
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                break;
            }
            a = na;
            cap = nc;
        }
        rv_sql_copy(q, 0, a[k].unit, sizeof a[k].unit);
        rv_sql_copy(q, 1, a[k].organisation, sizeof a[k].organisation);
        rv_sql_copy(q, 2, a[k].org_name, sizeof a[k].org_name);
        a[k].mailboxes = (long)rv_sql_int(q, 3);
        a[k].compliant = (long)rv_sql_int(q, 4);
        k++;
    }
    if (rc == RV_OK && r != 0) rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) {
        free(a);
        return rc;
    }
    *out = a;
    *n = k;
    return RV_OK;
}

rv_err rv_store_put_unit(rv_store *s, const char *org, const char *name, const char *managers, const char *now_iso,
                         int *created, rv_error *err)
{
    *created = 0;
    /* the organisation's unit whatever the case of its letters, its first spelling kept */
    rv_err rc = rv_sql_exec(s,
                            "UPDATE units SET managers = ?3, updated_at = ?4 WHERE organisation = ?1"
                            " AND rv_unit_key(name) = rv_unit_key(?2)",
                            V_ARGS(V_TEXT(org), V_TEXT(name), V_TEXT(managers), V_TEXT(now_iso)), "cannot write units",
                            err);
    if (rc != RV_OK) return rc;
    if (rv_sql_changes(s) > 0) return RV_OK;
    *created = 1;
    return rv_sql_exec(s,
                       "INSERT INTO units (organisation, name, managers, updated_at) VALUES (?1, ?2, ?3, ?4)"
                       " ON CONFLICT(organisation, name) DO UPDATE SET managers = ?3, updated_at = ?4",
                       V_ARGS(V_TEXT(org), V_TEXT(name), V_TEXT(managers), V_TEXT(now_iso)), "cannot write units", err);
}

rv_err rv_store_unit_mailboxes(rv_store *s, const char *org, const char *name, long *n, rv_error *err)
{
    *n = 0;
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "SELECT count(*) FROM mailboxes WHERE rv_unit_key(unit) = rv_unit_key(?2)"
                               " AND (?1 = '' OR organisation = ?1)",
                               V_ARGS(V_TEXT(org), V_TEXT(name)), "cannot read mailboxes", err);
    if (rc != RV_OK) return rc;
    if (rv_sql_step(q, err) == 1) *n = (long)rv_sql_int(q, 0);
    else rc = rv_sql_error(s, err, "cannot read mailboxes");
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_units(rv_store *s, void (*fn)(void *user, const char *org, const char *name, const char *managers),
                      void *user, rv_error *err)
{
    /* one row a unit of an organisation (an older archive may hold two
     * spellings of one: the one changed last), named as its mailboxes
     * spell it */
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "WITH " UNIT_SPELLINGS ", " UNITS_BY_KEY ", u AS (SELECT * FROM units_by_key)"
                               " SELECT u.o, coalesce(s.unit, u.name), u.managers FROM u"
                               " LEFT JOIN unit_spellings s ON s.k = u.k AND s.o = " SPELLING_OF("u.o") " ORDER BY u.o, u.k",
                               V_NONE, "cannot read units", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1) fn(user, rv_sql_text(q, 0), rv_sql_text(q, 1), rv_sql_text(q, 2));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}

rv_err rv_store_all_units(rv_store *s,
                          void (*fn)(void *user, const char *org, const char *name, const char *managers,
                                     long mailboxes),
                          void *user, rv_error *err)
{
    /* each unit put and each unit of an organisation's mailboxes; a unit of
     * every organisation ('') counts the mailboxes of its name of them all */
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q,
                               "WITH " UNIT_SPELLINGS ", " UNITS_BY_KEY ", u AS (SELECT * FROM units_by_key),"
                               " c AS (SELECT coalesce(organisation, '') AS o, rv_unit_key(unit) AS k, count(*) AS n"
                               " FROM mailboxes GROUP BY 1, 2),"
                               " keys AS (SELECT o, k FROM c UNION SELECT o, k FROM u)"
                               " SELECT keys.o, coalesce(s.unit, u.name), coalesce(u.managers, ''),"
                               " CASE WHEN keys.o = '' THEN (SELECT coalesce(sum(a.n), 0) FROM c a WHERE a.k = keys.k)"
                               " ELSE coalesce(c.n, 0) END FROM keys"
                               " LEFT JOIN unit_spellings s ON s.k = keys.k AND s.o = " SPELLING_OF("keys.o") " LEFT JOIN u ON u.o = keys.o AND u.k = keys.k"
                               " LEFT JOIN c ON c.o = keys.o AND c.k = keys.k ORDER BY keys.k, keys.o",
                               V_NONE, "cannot read units", err);
    if (rc != RV_OK) return rc;
    int r;
    while ((r = rv_sql_step(q, err)) == 1)
        fn(user, rv_sql_text(q, 0), rv_sql_text(q, 1), rv_sql_text(q, 2), (long)rv_sql_int(q, 3));
    if (r < 0) rc = err->code;
    rv_sql_done(q);
    return rc;
}
