/* The nightly sweep: greeting findings, overdue call-backs, disposal, and
 * the managers' report in JSON, CSV or HTML. */
#include "rostvakt/sweep.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"
#include "rostvakt/greeting.h"
#include "rostvakt/policy.h"
#include "store_private.h"

#define BATCH 500 /* rows held at a time: memory does not grow with the archive */

int rv_sweep_format_parse(const char *s)
{
    if (!s) return -1;
    if (strcmp(s, "json") == 0) return RV_SWEEP_JSON;
    if (strcmp(s, "csv") == 0) return RV_SWEEP_CSV;
    if (strcmp(s, "html") == 0) return RV_SWEEP_HTML;
    return -1;
}

/* ---- profiles ---- */

typedef struct {
    rv_profile *all;
    size_t n;
    char (*version)[40];
    rv_calendar *cal;
    size_t fallback; /* "default", for a mailbox whose profile is gone */
} profiles;

static rv_err profiles_load(profiles *p, const rv_sweep_opts *o, rv_error *err)
{
    memset(p, 0, sizeof *p);
    rv_err rc = rv_profile_list(o->profile_dirs, &p->all, &p->n, err);
    if (rc != RV_OK) return rc;
    if (p->n == 0) return rv_error_set(err, RV_ERR_CONFIG, "no policy profiles in %s", o->profile_dirs);
    p->version = calloc(p->n, sizeof *p->version);
    p->cal = calloc(p->n, sizeof *p->cal);
    if (!p->version || !p->cal) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        rv_greeting_version(o->models_version ? o->models_version : "", &p->all[i], p->version[i]);
        if (!rv_calendar_parse(p->all[i].calendar, &p->cal[i])) p->cal[i] = RV_CAL_SE;
        if (strcmp(p->all[i].name, "default") == 0) p->fallback = i;
    }
    return RV_OK;
}

static void profiles_free(profiles *p)
{
    free(p->all);
    free(p->version);
    free(p->cal);
}

static size_t profile_of(const profiles *p, const char *name)
{
    for (size_t i = 0; name && i < p->n; i++)
        if (strcmp(p->all[i].name, name) == 0) return i;
    return p->fallback;
}

/* ---- the report writers ---- */

typedef struct {
    FILE *f;
    rv_sweep_format fmt;
    const char *list;
    long items;
} writer;

static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void csv_field(FILE *f, const char *s)
{
    if (!s) return;
    /* quoted when needed; a leading = + - @ is neutralised so a spreadsheet
     * does not run it as a formula */
    int formula = s[0] && strchr("=+-@", s[0]) != NULL;
    int quote = strpbrk(s, ",\"\n\r") != NULL || formula;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula) fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static const struct {
    const char *key, *title, *action;
} lists[] = {
    {"missing_greetings", "Saknade hälsningsfraser",
     "Be medarbetaren spela in en hälsningsfras med för- och efternamn och enhet."},
    {"noncompliant_greetings", "Hälsningsfraser som inte följer policyn",
     "Be medarbetaren spela in hälsningsfrasen igen enligt telefonpolicyn."},
    {"stale_absence", "Frånvarohälsningar som har gått ut",
     "Be medarbetaren byta tillbaka till sin vanliga hälsningsfras."},
    {"overdue_callbacks", "Röstmeddelanden som inte har besvarats i tid",
     "Ring upp den som lämnade meddelandet och registrera återuppringningen."},
    {"disposed", "Gallrade inspelningar",
     "Ingen åtgärd: ljudet är raderat enligt gallringsbeslutet; uppgifterna om meddelandet finns kvar."},
};

static void w_begin1(writer *w, const char *date, long mailboxes)
{
    if (w->fmt == RV_SWEEP_JSON) fprintf(w->f, "{\"date\":\"%s\",\"mailboxes\":%ld", date, mailboxes);
    else if (w->fmt == RV_SWEEP_CSV) fputs("list,ext,id,name,unit,detail\n", w->f);
    else {
        fputs("<!DOCTYPE html>\n<html lang=\"sv\"><head><meta charset=\"utf-8\">\n<title>rostvakt: nattlig kontroll ",
              w->f);
        fputs(date, w->f);
        fputs("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:60em}"
              "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #bbb;padding:.2em .5em;"
              "text-align:left}th{background:#eee}.action{font-style:italic}</style></head><body>\n",
              w->f);
        fprintf(w->f, "<h1>Telefoni: nattlig kontroll %s</h1>\n<p>%ld anknytningar kontrollerade.</p>\n", date,
                mailboxes);
    }
}

/* The chart: one bar per unit, the share of its mailboxes with a compliant
 * greeting. */
static void w_units_begin1(writer *w, long n_units)
{
    if (w->fmt != RV_SWEEP_HTML) return;
    fputs("<h2>Hälsningsfraser som följer policyn, per enhet</h2>\n", w->f);
    fprintf(w->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%ld\" role=\"img\" "
                  "aria-label=\"Andel godkända hälsningsfraser per enhet\">\n",
            n_units * 24 + 8);
}

static void w_unit1(writer *w, long row, const char *unit, long total, long ok)
{
    if (w->fmt != RV_SWEEP_HTML) return;
    double share = total ? (double)ok / (double)total : 0;
    long y = row * 24 + 4;
    fprintf(w->f, "<text x=\"0\" y=\"%ld\" font-size=\"13\">", y + 15);
    html_text(w->f, unit);
    fprintf(w->f, "</text><rect x=\"260\" y=\"%ld\" width=\"360\" height=\"18\" fill=\"#f2d0d0\"/>"
                  "<rect x=\"260\" y=\"%ld\" width=\"%.0f\" height=\"18\" fill=\"#3a7d44\"/>"
                  "<text x=\"630\" y=\"%ld\" font-size=\"13\">%ld av %ld (%.0f %%)</text>\n",
            y, y, 360 * share, y + 15, ok, total, 100 * share);
}

static void w_units_end1(writer *w)
{
    if (w->fmt == RV_SWEEP_HTML) fputs("</svg>\n", w->f);
}

static void w_list_begin1(writer *w, int which)
{
    w->list = lists[which].key;
    w->items = 0;
    if (w->fmt == RV_SWEEP_JSON) fprintf(w->f, ",\"%s\":[", w->list);
    else if (w->fmt == RV_SWEEP_HTML)
        fprintf(w->f, "<h2>%s</h2>\n<p class=\"action\">Åtgärd: %s</p>\n<table><tr><th>Anknytning</th>"
                      "<th>Nr</th><th>Namn</th><th>Enhet</th><th>Uppgift</th></tr>\n",
                lists[which].title, lists[which].action);
}

/* One finding: item (consumed) for JSON, the columns for CSV and HTML. */
static void w_item1(writer *w, json_t *item, const char *ext, long long id, const char *name, const char *unit,
                   const char *detail)
{
    if (w->fmt == RV_SWEEP_JSON) {
        char *s = item ? json_dumps(item, JSON_COMPACT) : NULL;
        if (s) fprintf(w->f, "%s%s", w->items ? "," : "", s);
        free(s);
    } else {
        char idbuf[24] = "";
        if (id > 0) snprintf(idbuf, sizeof idbuf, "%lld", id);
        if (w->fmt == RV_SWEEP_CSV) {
            const char *cols[] = {w->list, ext, idbuf, name, unit, detail};
            for (int i = 0; i < 6; i++) {
                if (i) fputc(',', w->f);
                csv_field(w->f, cols[i]);
            }
            fputc('\n', w->f);
        } else {
            const char *cols[] = {ext, idbuf, name, unit, detail};
            fputs("<tr>", w->f);
            for (int i = 0; i < 5; i++) {
                fputs("<td>", w->f);
                html_text(w->f, cols[i]);
                fputs("</td>", w->f);
            }
            fputs("</tr>\n", w->f);
        }
    }
    w->items++;
}

static void w_list_end1(writer *w)
{
    if (w->fmt == RV_SWEEP_JSON) fputc(']', w->f);
    else if (w->fmt == RV_SWEEP_HTML) {
        if (!w->items) fputs("<tr><td colspan=\"5\">Inga.</td></tr>\n", w->f);
        fputs("</table>\n", w->f);
    }
}

static void w_end1(writer *w, const rv_sweep_counts *c)
{
    if (w->fmt == RV_SWEEP_JSON) fputs("}\n", w->f);
    else if (w->fmt == RV_SWEEP_HTML)
        fprintf(w->f, "<p>Hälsningsfraser analyserade på nytt (nya modeller eller ändrad profil): %ld, "
                      "misslyckade: %ld, kvar att analysera: %ld.</p>\n<p>Skapad av rostvakt.</p></body></html>\n",
                c->reanalysed, c->reanalysis_failed, c->out_of_date - c->reanalysed - c->reanalysis_failed);
}


/* Every report of the run gets every line. */
typedef struct {
    writer w[3];
    size_t n;
} writers;

static void w_begin(writers *ws, const char *date, long mailboxes)
{
    for (size_t i = 0; i < ws->n; i++) w_begin1(&ws->w[i], date, mailboxes);
}
static void w_units_begin(writers *ws, long n_units)
{
    for (size_t i = 0; i < ws->n; i++) w_units_begin1(&ws->w[i], n_units);
}
static void w_unit(writers *ws, long row, const char *unit, long total, long ok)
{
    for (size_t i = 0; i < ws->n; i++) w_unit1(&ws->w[i], row, unit, total, ok);
}
static void w_units_end(writers *ws)
{
    for (size_t i = 0; i < ws->n; i++) w_units_end1(&ws->w[i]);
}
static void w_list_begin(writers *ws, int which)
{
    for (size_t i = 0; i < ws->n; i++) w_list_begin1(&ws->w[i], which);
}
/* item is consumed */
static void w_item(writers *ws, json_t *item, const char *ext, long long id, const char *name, const char *unit,
                   const char *detail)
{
    for (size_t i = 0; i < ws->n; i++) w_item1(&ws->w[i], item, ext, id, name, unit, detail);
    json_decref(item);
}
static void w_list_end(writers *ws)
{
    for (size_t i = 0; i < ws->n; i++) w_list_end1(&ws->w[i]);
}
static void w_end(writers *ws, const rv_sweep_counts *c)
{
    for (size_t i = 0; i < ws->n; i++) w_end1(&ws->w[i], c);
}

/* ---- Swedish words for the report's details ---- */

static const char *sv_reason(const char *r)
{
    static const char *const map[][2] = {
        {"no_greeting", "ingen hälsningsfras"}, {"removed", "borttagen"},
        {"empty_recording", "tom inspelning"}, {"silence", "tystnad"},
        {"noise", "brus"}, {"tone", "ton"},
        {"dtmf", "knapptoner"}, {"system_prompt", "växelns standardfras"},
        {"too_little_speech", "för lite tal"}, {"name_missing", "namn saknas"},
        {"unit_missing", "enhet saknas"}, {"wrong_order", "enhet ska sägas före namnet"},
        {"too_long", "för lång"}, {"no_closing_prompt", "hänvisning saknas"},
        {"absence_without_end", "frånvaro utan slutdatum och tid"}, {"missing", "saknas"},
        {"empty", "tomt"}, {"ephemeral", "tillfälligt"},
        {"possible_public_record", "möjlig allmän handling"}, {"not_public_record", "inte allmän handling"},
        {"dispose", "beslut om gallring"}};
    for (size_t i = 0; r && i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], r) == 0) return map[i][1];
    return r ? r : "";
}

/* ---- helpers ---- */

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static json_t *jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static void progress(const rv_sweep_opts *o, const char *what, long done, long total)
{
    if (!o->progress || (done % 1000 != 0 && done != total)) return;
    fprintf(o->progress, "\rsweep: %s %ld/%ld\033[K", what, done, total);
    if (done == total) fputc('\n', o->progress);
    fflush(o->progress);
}

static long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static rv_err db_fail(sqlite3 *db, rv_error *err, const char *what)
{
    return rv_error_set(err, RV_ERR_IO, "sweep: %s: %s", what, sqlite3_errmsg(db));
}

/* ---- re-analysis of out-of-date greetings ---- */

typedef struct {
    rv_mailbox m;
    long long id;
    char sha[RV_SHA256_HEX + 1], ct[64], received[32];
    size_t profile;
} stale_greeting;

static rv_err reanalyse_one(rv_store *s, const rv_sweep_opts *o, const profiles *p, const stale_greeting *g,
                            const char *const *directory, const char *const *units, size_t n_directory,
                            rv_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    rv_err rc = rv_store_read_audio(s, g->sha, (size_t)o->lim->max_bytes, &bytes, &len, err);
    if (rc != RV_OK) return rc;
    rv_pcm pcm;
    rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(g->ct), o->lim, &pcm, err);
    free(bytes);
    if (rc != RV_OK) return rc;
    char *json = NULL;
    rv_greeting_verdict v;
    const rv_profile *prof = &p->all[g->profile];
    rc = rv_greeting_analyse(o->an, o->asr, o->th, &g->m, prof, &pcm, g->received, directory, units, n_directory,
                             &json, &v, err);
    rv_pcm_free(&pcm);
    if (rc != RV_OK) return rc;
    sqlite3 *db = rv_store_sqlite(s);
    sqlite3_stmt *st;
    char now[32];
    rv_utc_now(now);
    if (sqlite3_prepare_v2(db,
                           "UPDATE greetings SET report = ?1, compliant = ?2, violations = ?3, missing_reason = ?4,"
                           " absence_until = ?5, profile = ?6, models_version = ?7, analysed_at = ?8 WHERE id = ?9",
                           -1, &st, NULL) != SQLITE_OK) {
        free(json);
        return db_fail(db, err, "cannot update greetings");
    }
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    if (v.compliant >= 0) sqlite3_bind_int(st, 2, v.compliant);
    sqlite3_bind_text(st, 3, v.violations, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, v.missing_reason[0] ? v.missing_reason : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, v.absence_until[0] ? v.absence_until : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, prof->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, p->version[g->profile], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, g->id);
    rc = sqlite3_step(st) == SQLITE_DONE ? RV_OK : db_fail(db, err, "cannot update a greeting");
    sqlite3_finalize(st);
    free(json);
    return rc;
}

static rv_err reanalyse(rv_store *s, const rv_sweep_opts *o, const profiles *p, rv_sweep_counts *c, rv_error *err)
{
    sqlite3 *db = rv_store_sqlite(s);
    long total = count(db, "SELECT count(*) FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                           " WHERE g.removed = 0");
    stale_greeting *batch = calloc(BATCH, sizeof *batch);
    if (!batch) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    char after[24] = "";
    long seen = 0;
    rv_err rc = RV_OK;
    char **names = NULL, **units = NULL; /* the directory, read when a greeting is first analysed again */
    size_t n_names = 0;
    for (;;) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT m.ext, m.first_name, m.last_name, m.unit, m.org, m.profile, g.id,"
                               " g.models_version, g.audio_sha256, g.content_type, g.received_at"
                               " FROM mailboxes m JOIN greetings g ON g.id = m.greeting_id"
                               " WHERE g.removed = 0 AND m.ext > ?1 ORDER BY m.ext LIMIT ?2",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(db, err, "cannot read greetings");
            break;
        }
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, BATCH);
        int n = 0, rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            rows++;
            snprintf(after, sizeof after, "%s", col(st, 0));
            size_t pi = profile_of(p, col(st, 5));
            const char *ver = col(st, 7);
            if (ver && strcmp(ver, p->version[pi]) == 0) continue;
            c->out_of_date++;
            if (!o->asr || o->dry_run || !col(st, 8)) continue;
            stale_greeting *g = &batch[n++];
            memset(g, 0, sizeof *g);
            char *dst[] = {g->m.ext, g->m.first_name, g->m.last_name, g->m.unit, g->m.org, g->m.profile};
            size_t cap[] = {sizeof g->m.ext, sizeof g->m.first_name, sizeof g->m.last_name, sizeof g->m.unit,
                            sizeof g->m.org, sizeof g->m.profile};
            for (int i = 0; i < 6; i++) snprintf(dst[i], cap[i], "%s", col(st, i) ? col(st, i) : "");
            g->id = sqlite3_column_int64(st, 6);
            snprintf(g->sha, sizeof g->sha, "%s", col(st, 8));
            snprintf(g->ct, sizeof g->ct, "%s", col(st, 9) ? col(st, 9) : "");
            snprintf(g->received, sizeof g->received, "%s", col(st, 10) ? col(st, 10) : "");
            g->profile = pi;
        }
        sqlite3_finalize(st);
        if (n && !names && (rc = rv_store_directory_names(s, NULL, &names, &units, &n_names, err)) != RV_OK)
            break;
        for (int i = 0; i < n; i++) {
            rv_error e;
            if (reanalyse_one(s, o, p, &batch[i], (const char *const *)names, (const char *const *)units,
                              n_names, &e) == RV_OK)
                c->reanalysed++;
            else {
                c->reanalysis_failed++;
                if (o->progress) fprintf(o->progress, "\nsweep: greeting %lld of %s: %s\n", batch[i].id,
                                         batch[i].m.ext, e.msg);
            }
        }
        seen += rows;
        progress(o, "greetings checked", seen, total > seen ? total : seen);
        if (rows < BATCH) break;
    }
    rv_store_names_free(names, n_names);
    rv_store_names_free(units, n_names);
    free(batch);
    return rc;
}

/* ---- the greeting lists ---- */

static rv_err greeting_lists(sqlite3 *db, const rv_sweep_opts *o, writers *w, rv_sweep_counts *c, rv_error *err)
{
    char date[11];
    rv_format_date(o->date, date);
    static const char *const where[] = {
        /* missing: none, removed, or missing by analysis */
        "g.id IS NULL OR g.removed = 1 OR g.missing_reason IS NOT NULL",
        "g.removed = 0 AND g.missing_reason IS NULL AND g.compliant = 0",
        "g.removed = 0 AND g.absence_until IS NOT NULL AND substr(g.absence_until, 1, 10) < ?1",
    };
    for (int which = 0; which < 3; which++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT m.ext, m.first_name || ' ' || m.last_name, m.unit, g.id, g.removed, g.missing_reason,"
                 " g.violations, g.absence_until, g.received_at, m.profile"
                 " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id WHERE (%s)"
                 " ORDER BY m.unit, m.ext",
                 where[which]);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(db, err, "cannot read mailboxes");
        if (which == 2) sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
        w_list_begin(w, which);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *ext = col(st, 0), *name = col(st, 1), *unit = col(st, 2);
            long long gid = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
            json_t *item = json_pack("{s:s,s:s,s:s}", "ext", ext, "name", name ? name : "", "unit", unit ? unit : "");
            char detail[512] = "";
            if (item && gid) json_object_set_new(item, "greeting_id", json_integer(gid));
            if (which == 0) {
                const char *reason = !gid ? "no_greeting" : sqlite3_column_int(st, 4) ? "removed" : col(st, 5);
                if (item) {
                    json_object_set_new(item, "reason", json_string(reason));
                    json_object_set_new(item, "since", jstr_or_null(gid ? col(st, 8) : NULL));
                }
                snprintf(detail, sizeof detail, "%s", sv_reason(reason));
                c->missing++;
            } else if (which == 1) {
                const char *v = col(st, 6) ? col(st, 6) : "";
                json_t *a = json_array();
                for (const char *q = v; a && *q;) {
                    size_t k = strcspn(q, ",");
                    json_array_append_new(a, json_stringn(q, k));
                    char one[64];
                    snprintf(one, sizeof one, "%.*s", (int)k, q);
                    snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s%s", detail[0] ? ", " : "",
                             sv_reason(one));
                    q += k + (q[k] == ',');
                }
                if (item) {
                    json_object_set_new(item, "profile", jstr_or_null(col(st, 9)));
                    json_object_set_new(item, "violations", a ? a : json_array());
                } else json_decref(a);
                c->noncompliant++;
            } else {
                if (item) json_object_set_new(item, "until", json_string(col(st, 7)));
                snprintf(detail, sizeof detail, "frånvaro till %s", col(st, 7));
                c->stale_absence++;
            }
            w_item(w, item, ext, 0, name, unit, detail);
        }
        sqlite3_finalize(st);
        w_list_end(w);
    }
    return RV_OK;
}

/* ---- overdue call-backs ---- */

/* The last day a voicemail received on local day `day` may be called back:
 * n working days later, or with n == 0 the same day (the next working day
 * when it came on a day off). */
static long callback_deadline(rv_calendar cal, long day, int n)
{
    if (n > 0) return rv_add_workdays(cal, day, n);
    return rv_is_workday(cal, day) ? day : rv_add_workdays(cal, day, 1);
}

static rv_err overdue(sqlite3 *db, const rv_sweep_opts *o, const profiles *p, writers *w, rv_sweep_counts *c,
                      rv_error *err)
{
    long total = count(db, "SELECT count(*) FROM voicemails WHERE callback_at IS NULL AND disposed_at IS NULL"
                           " AND coalesce(classification, '') != 'empty'");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT v.id, v.ext, v.received_at, v.classification, v.caller,"
                           " m.first_name || ' ' || m.last_name, m.unit, m.profile"
                           " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                           " WHERE v.callback_at IS NULL AND v.disposed_at IS NULL"
                           " AND coalesce(v.classification, '') != 'empty' ORDER BY v.id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot read voicemails");
    w_list_begin(w, 3);
    long seen = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        seen++;
        progress(o, "call-backs checked", seen, total > seen ? total : seen);
        size_t pi = profile_of(p, col(st, 7));
        long day;
        if (!rv_local_date(col(st, 2), p->cal[pi], &day)) continue;
        long deadline = callback_deadline(p->cal[pi], day, p->all[pi].callback_working_days);
        if (o->date <= deadline) continue;
        long long id = sqlite3_column_int64(st, 0);
        char dl[11], detail[128];
        rv_format_date(deadline, dl);
        /* classification null: not analysed (yet, or it failed), so not known to be empty */
        json_t *item = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "id", (json_int_t)id, "ext", col(st, 1),
                                 "name", col(st, 5) ? col(st, 5) : "", "unit", col(st, 6) ? col(st, 6) : "",
                                 "received_at", col(st, 2), "deadline", dl, "classification", col(st, 3), "caller",
                                 col(st, 4) ? col(st, 4) : "");
        snprintf(detail, sizeof detail, "från %s, mottaget %.10s, skulle besvaras senast %s",
                 col(st, 4) && *col(st, 4) ? col(st, 4) : "okänt nummer", col(st, 2), dl);
        w_item(w, item, col(st, 1), id, col(st, 5), col(st, 6), detail);
        c->overdue++;
    }
    sqlite3_finalize(st);
    w_list_end(w);
    return RV_OK;
}

/* ---- disposal ---- */

typedef struct {
    long long id;
    char ext[24], sha[RV_SHA256_HEX + 1], cls[32], decision[32], received[32], unit[192];
    int retention;
} disposable;

/* Days a voicemail's audio is kept, or -2 for never: the latest decision
 * first, then the classification. */
static int retention_days(const rv_profile *p, const char *cls, const char *decision)
{
    if (decision) {
        if (strcmp(decision, "registered") == 0) return -2;
        if (strcmp(decision, "dispose") == 0) return -1; /* at the next sweep */
        if (strcmp(decision, "not_public_record") == 0) return p->retention_not_public_days;
    }
    if (!cls) return -2;
    if (strcmp(cls, "empty") == 0) return p->retention_empty_days;
    if (strcmp(cls, "ephemeral") == 0) return p->retention_ephemeral_days;
    return -2; /* possible_public_record without a decision: never */
}

/* Dispose of the batch in one transaction: mark, audit, and drop the audio's
 * index entry unless another voicemail or a greeting still points to it;
 * after the commit its bytes are erased. done[i] is set for those this run
 * disposed of. */
static rv_err dispose_batch(rv_store *s, const rv_sweep_opts *o, disposable *d, int n, int *done, rv_error *err)
{
    sqlite3 *db = rv_store_sqlite(s);
    sqlite3_stmt *mark = NULL, *aud = NULL, *refs = NULL;
    char now[32];
    rv_utc_now(now);
    rv_err rc = RV_OK;
    rv_audio_loc *gone = calloc((size_t)(n > 0 ? n : 1), sizeof *gone); /* audio to erase after the commit */
    int n_gone = 0;
    if (!gone) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        free(gone);
        return db_fail(db, err, "cannot begin");
    }
    if (sqlite3_prepare_v2(db, "UPDATE voicemails SET disposed_at = ?1 WHERE id = ?2 AND disposed_at IS NULL", -1,
                           &mark, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO audit (at, actor, remote, action, voicemail_id, ext, detail)"
                           " VALUES (?1, ?2, '', 'disposed', ?3, ?4, ?5)",
                           -1, &aud, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM voicemails WHERE audio_sha256 = ?1 AND disposed_at IS NULL)"
                           " + (SELECT count(*) FROM greetings WHERE audio_sha256 = ?1)",
                           -1, &refs, NULL) != SQLITE_OK) {
        rc = db_fail(db, err, "cannot prepare the disposal");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        done[i] = 0;
        sqlite3_reset(mark);
        sqlite3_bind_text(mark, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_int64(mark, 2, d[i].id);
        if (sqlite3_step(mark) != SQLITE_DONE) {
            rc = db_fail(db, err, "cannot mark a voicemail disposed of");
            goto out;
        }
        if (sqlite3_changes(db) == 0) continue; /* someone else did */
        char detail[160];
        snprintf(detail, sizeof detail, "%s%s%s, kept %d days", d[i].cls, d[i].decision[0] ? ", decision " : "",
                 d[i].decision, d[i].retention < 0 ? 0 : d[i].retention);
        sqlite3_reset(aud);
        sqlite3_bind_text(aud, 1, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(aud, 2, o->actor ? o->actor : "sweep", -1, SQLITE_STATIC);
        sqlite3_bind_int64(aud, 3, d[i].id);
        sqlite3_bind_text(aud, 4, d[i].ext, -1, SQLITE_STATIC);
        sqlite3_bind_text(aud, 5, detail, -1, SQLITE_STATIC);
        if (sqlite3_step(aud) != SQLITE_DONE) {
            rc = db_fail(db, err, "cannot write the audit");
            goto out;
        }
        done[i] = 1;
        sqlite3_reset(refs);
        sqlite3_bind_text(refs, 1, d[i].sha, -1, SQLITE_STATIC);
        if (sqlite3_step(refs) != SQLITE_ROW) {
            rc = db_fail(db, err, "cannot count references");
            goto out;
        }
        if (sqlite3_column_int64(refs, 0) > 0) continue; /* the same bytes are still someone's */
        rv_error pe;
        rv_err fr = rv_store_forget_audio(s, d[i].sha, &gone[n_gone], &pe);
        if (fr == RV_OK) n_gone++;
        else if (fr != RV_ERR_NOT_FOUND && fr != RV_ERR_ARG) {
            rc = fr;
            *err = pe;
            goto out;
        }
    }
out:
    sqlite3_finalize(mark);
    sqlite3_finalize(aud);
    sqlite3_finalize(refs);
    if (rc == RV_OK && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = db_fail(db, err, "cannot commit");
    if (rc != RV_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        for (int i = 0; i < n; i++) done[i] = 0;
    }
    /* the bytes go once nothing points to them any more: an upload of the
     * same bytes committed from now on indexes a copy of its own */
    for (int i = 0; rc == RV_OK && i < n_gone; i++) {
        rv_error pe;
        if (rv_store_erase_audio(s, &gone[i], &pe) != RV_OK && o->progress)
            fprintf(o->progress, "rostvakt: sweep: %s\n", pe.msg);
    }
    free(gone);
    return rc;
}

static rv_err disposal(rv_store *s, const rv_sweep_opts *o, const profiles *p, writers *w, rv_sweep_counts *c,
                       rv_error *err)
{
    sqlite3 *db = rv_store_sqlite(s);
    long total = count(db, "SELECT count(*) FROM voicemails WHERE disposed_at IS NULL AND state = 'analysed'");
    disposable *d = calloc(BATCH, sizeof *d);
    int *done = calloc(BATCH, sizeof *done);
    if (!d || !done) {
        free(d);
        free(done);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    w_list_begin(w, 4);
    long long after = 0;
    long seen = 0;
    rv_err rc = RV_OK;
    for (;;) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db,
                               "SELECT v.id, v.ext, v.received_at, v.classification, v.audio_sha256, m.profile, m.unit,"
                               " (SELECT d.decision FROM decisions d WHERE d.voicemail_id = v.id"
                               "  ORDER BY d.id DESC LIMIT 1)"
                               " FROM voicemails v JOIN mailboxes m ON m.ext = v.ext"
                               " WHERE v.disposed_at IS NULL AND v.state = 'analysed' AND v.id > ?1"
                               " ORDER BY v.id LIMIT ?2",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(db, err, "cannot read voicemails");
            break;
        }
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int(st, 2, BATCH);
        int n = 0, rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            rows++;
            after = sqlite3_column_int64(st, 0);
            size_t pi = profile_of(p, col(st, 5));
            int keep = retention_days(&p->all[pi], col(st, 3), col(st, 7));
            long day;
            if (keep == -2 || !rv_local_date(col(st, 2), p->cal[pi], &day)) continue;
            if (o->date - day <= keep) continue;
            disposable *x = &d[n++];
            memset(x, 0, sizeof *x);
            x->id = after;
            x->retention = keep;
            snprintf(x->ext, sizeof x->ext, "%s", col(st, 1));
            snprintf(x->received, sizeof x->received, "%s", col(st, 2));
            snprintf(x->cls, sizeof x->cls, "%s", col(st, 3));
            snprintf(x->sha, sizeof x->sha, "%s", col(st, 4) ? col(st, 4) : "");
            snprintf(x->unit, sizeof x->unit, "%s", col(st, 6) ? col(st, 6) : "");
            snprintf(x->decision, sizeof x->decision, "%s", col(st, 7) ? col(st, 7) : "");
        }
        sqlite3_finalize(st);
        if (n && !o->dry_run && (rc = dispose_batch(s, o, d, n, done, err)) != RV_OK) break;
        for (int i = 0; i < n; i++) {
            if (!o->dry_run && !done[i]) continue;
            char detail[256];
            snprintf(detail, sizeof detail, "%s%s%s, mottaget %.10s%s", sv_reason(d[i].cls),
                     d[i].decision[0] ? ", " : "", d[i].decision[0] ? sv_reason(d[i].decision) : "", d[i].received,
                     o->dry_run ? " (skulle gallras)" : "");
            json_t *item = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:i,s:b}", "id", (json_int_t)d[i].id, "ext", d[i].ext,
                                     "unit", d[i].unit, "classification", d[i].cls, "decision",
                                     d[i].decision[0] ? json_string(d[i].decision) : json_null(), "received_at",
                                     d[i].received, "retention_days", d[i].retention < 0 ? 0 : d[i].retention,
                                     "dry_run", o->dry_run);
            w_item(w, item, d[i].ext, d[i].id, "", d[i].unit, detail);
            c->disposed++;
        }
        seen += rows;
        progress(o, "voicemails checked for disposal", seen, total > seen ? total : seen);
        if (rows < BATCH) break;
    }
    w_list_end(w);
    free(d);
    free(done);
    return rc;
}

/* ---- the run ---- */

rv_err rv_sweep_run(rv_store *s, const rv_sweep_opts *o, const rv_sweep_output *outs, size_t n_outs,
                    rv_sweep_counts *c, rv_error *err)
{
    memset(c, 0, sizeof *c);
    if (n_outs < 1 || n_outs > 3) return rv_error_set(err, RV_ERR_ARG, "one to three reports a run");
    profiles p;
    rv_err rc = profiles_load(&p, o, err);
    if (rc != RV_OK) {
        profiles_free(&p);
        return rc;
    }
    sqlite3 *db = rv_store_sqlite(s);
    /* first what changes verdicts, then the report on the verdicts */
    rc = reanalyse(s, o, &p, c, err);
    char date[11];
    rv_format_date(o->date, date);
    writers w = {.n = n_outs};
    for (size_t i = 0; i < n_outs; i++) w.w[i] = (writer){outs[i].f, outs[i].fmt, NULL, 0};
    if (rc == RV_OK) {
        c->mailboxes = count(db, "SELECT count(*) FROM mailboxes");
        w_begin(&w, date, c->mailboxes);
        sqlite3_stmt *st;
        long units = count(db, "SELECT count(DISTINCT unit) FROM mailboxes");
        if (sqlite3_prepare_v2(db,
                               "SELECT m.unit, count(*), sum(coalesce(g.compliant, 0) = 1 AND g.removed = 0)"
                               " FROM mailboxes m LEFT JOIN greetings g ON g.id = m.greeting_id"
                               " GROUP BY m.unit ORDER BY m.unit",
                               -1, &st, NULL) != SQLITE_OK)
            rc = db_fail(db, err, "cannot count units");
        else {
            w_units_begin(&w, units);
            long row = 0;
            while (sqlite3_step(st) == SQLITE_ROW)
                w_unit(&w, row++, col(st, 0), (long)sqlite3_column_int64(st, 1), (long)sqlite3_column_int64(st, 2));
            w_units_end(&w);
            sqlite3_finalize(st);
        }
    }
    if (rc == RV_OK) rc = greeting_lists(db, o, &w, c, err);
    /* disposal before the call-backs: what it disposes of is no longer owed one */
    if (rc == RV_OK) rc = disposal(s, o, &p, &w, c, err);
    if (rc == RV_OK) rc = overdue(db, o, &p, &w, c, err);
    if (rc == RV_OK) w_end(&w, c);
    profiles_free(&p);
    for (size_t i = 0; rc == RV_OK && i < n_outs; i++)
        if (fflush(outs[i].f) != 0 || ferror(outs[i].f)) rc = rv_error_set(err, RV_ERR_IO, "cannot write the report");
    return rc;
}
