/* The nightly sweep: greeting findings, overdue call-backs, disposal, and
 * the managers' report in JSON, CSV or HTML. */
#include "rostvakt/sweep.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rostvakt/calendar.h"
#include "rostvakt/decision.h"
#include "rostvakt/greeting.h"
#include "rostvakt/policy.h"
#include "rostvakt/template.h"

#define BATCH 500 /* rows held at a time: memory does not grow with the archive */

int rv_sweep_date_ahead(long date)
{
    char now[32];
    long today;
    rv_utc_now(now);
    return rv_local_date(now, RV_CAL_SE, &today) && date > today;
}

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
    rv_org *orgs;    /* every organisation, by id */
    size_t n_orgs;
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
    free(p->orgs);
}

static size_t profile_of(const profiles *p, const char *name)
{
    for (size_t i = 0; name && i < p->n; i++)
        if (strcmp(p->all[i].name, name) == 0) return i;
    return p->fallback;
}

/* The sweep's day in cal: its instant's local date there, else its date. */
static long day_in(const rv_sweep_opts *o, rv_calendar cal)
{
    long day;
    return o->at && rv_local_date(o->at, cal, &day) ? day : o->date;
}

/* Organisation id among those loaded, or NULL ("" or gone). */
static const rv_org *org_of(const profiles *p, const char *id)
{
    for (size_t i = 0; id && *id && i < p->n_orgs; i++)
        if (strcmp(p->orgs[i].id, id) == 0) return &p->orgs[i];
    return NULL;
}

/* ---- the report writers ---- */

typedef struct {
    FILE *f;
    rv_sweep_format fmt;
    const char *list;
    long items;
    int kept; /* the archive's copy: JSON with the units' shares too */
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
    {"needs_review", "Behöver granskas",
     "Lyssna på hälsningsfrasen och registrera vad som sägs: rostvakt är inte säker nog på det som anges."},
};

static const char *sv_reason(const char *r);

int rv_sweep_list_text(const char *key, const char **title, const char **action)
{
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (strcmp(lists[i].key, key) == 0) {
            *title = lists[i].title;
            *action = lists[i].action;
            return 1;
        }
    return 0;
}

const char *rv_sweep_reason_sv(const char *reason) { return sv_reason(reason); }

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
    if (w->kept) fputs(",\"units\":[", w->f);
    if (w->fmt != RV_SWEEP_HTML) return;
    fputs("<h2>Hälsningsfraser som följer policyn, per enhet</h2>\n", w->f);
    fprintf(w->f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"%ld\" role=\"img\" "
                  "aria-label=\"Andel godkända hälsningsfraser per enhet\">\n",
            n_units * 24 + 8);
}

/* One unit's share: of one organisation's mailboxes (org "" for none);
 * label is what the chart calls it. */
static void w_unit1(writer *w, long row, const char *unit, const char *org, const char *label, long total, long ok)
{
    if (w->kept) {
        json_t *u = json_pack("{s:s,s:o,s:I,s:I}", "unit", unit, "organisation", *org ? json_string(org) : json_null(),
                              "mailboxes", (json_int_t)total, "compliant", (json_int_t)ok);
        if (row) fputc(',', w->f);
        if (u) json_dumpf(u, w->f, JSON_COMPACT);
        json_decref(u);
    }
    if (w->fmt != RV_SWEEP_HTML) return;
    double share = total ? (double)ok / (double)total : 0;
    long y = row * 24 + 4;
    fprintf(w->f, "<text x=\"0\" y=\"%ld\" font-size=\"13\">", y + 15);
    html_text(w->f, label);
    fprintf(w->f, "</text><rect x=\"260\" y=\"%ld\" width=\"360\" height=\"18\" fill=\"#f2d0d0\"/>"
                  "<rect x=\"260\" y=\"%ld\" width=\"%.0f\" height=\"18\" fill=\"#3a7d44\"/>"
                  "<text x=\"630\" y=\"%ld\" font-size=\"13\">%ld av %ld (%.0f %%)</text>\n",
            y, y, 360 * share, y + 15, ok, total, 100 * share);
}

static void w_units_end1(writer *w)
{
    if (w->kept) fputc(']', w->f);
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

/* One finding: json (item's text) for JSON, the columns for CSV and HTML. */
static void w_item1(writer *w, const char *json, const char *ext, long long id, const char *name, const char *unit,
                   const char *detail)
{
    if (w->fmt == RV_SWEEP_JSON) {
        if (json) {
            if (w->items) fputc(',', w->f);
            fputs(json, w->f);
        }
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
        fprintf(w->f, "<p>Hälsningsfraser analyserade på nytt (nya modeller, ändrad profil, nytt inspelat namn "
                      "eller ändrat namn, enhet eller organisation): %ld, misslyckade: %ld, kvar att analysera: "
                      "%ld.</p>\n<p>Skapad av rostvakt.</p></body></html>\n",
                c->reanalysed, c->reanalysis_failed, c->out_of_date - c->reanalysed - c->reanalysis_failed);
}


/* Every report of the run gets every line. */
typedef struct {
    writer w[4]; /* up to three reports and the one kept in the archive */
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
static void w_unit(writers *ws, long row, const char *unit, const char *org, const char *label, long total, long ok)
{
    for (size_t i = 0; i < ws->n; i++) w_unit1(&ws->w[i], row, unit, org, label, total, ok);
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
    char *json = NULL; /* written once, for every JSON report */
    for (size_t i = 0; item && !json && i < ws->n; i++)
        if (ws->w[i].fmt == RV_SWEEP_JSON) json = json_dumps(item, JSON_COMPACT | JSON_REAL_PRECISION(10));
    for (size_t i = 0; i < ws->n; i++) w_item1(&ws->w[i], json, ext, id, name, unit, detail);
    free(json);
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
        {"too_long", "för lång"}, {"no_closing_prompt", "uppmaning att lämna meddelande saknas"},
        {"absence_without_end", "frånvaro utan slutdatum och tid"}, {"missing", "hälsningsfras saknas"},
        {"empty", "tomt meddelande"}, {"ephemeral", "tillfälligt meddelande"},
        {"possible_public_record", "möjlig allmän handling"}, {"registered", "registrerad"},
        {"registrera", "registrerad"}, {"not_public_record", "hålls ordnad"}, {"halls_ordnad", "hålls ordnad"},
        {"dispose", "gallras"}, {"gallras", "gallras"}, {"privat", "privat"},
        {"name", "namn"}, {"unit", "enhet"}, {"org", "organisation"},
        {"closing", "uppmaning att lämna meddelande"}};
    for (size_t i = 0; r && i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i][0], r) == 0) return map[i][1];
    return r ? r : "";
}

/* ---- helpers ---- */

static json_t *jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static void progress(const rv_sweep_opts *o, const char *what, long done, long total)
{
    if (!o->progress || (done % 1000 != 0 && done != total)) return;
    fprintf(o->progress, "\rsweep: %s %ld/%ld\033[K", what, done, total);
    if (done == total) fputc('\n', o->progress);
    fflush(o->progress);
}

/* ---- re-analysis of out-of-date greetings ---- */

static rv_err reanalyse_one(rv_store *s, const rv_sweep_opts *o, const profiles *p, const rv_current_greeting *g,
                            size_t pi, const char *const *directory, const char *const *units, size_t n_directory,
                            rv_error *err)
{
    unsigned char *bytes = NULL;
    size_t len = 0;
    rv_err rc = rv_store_read_audio(s, g->sha256, (size_t)o->lim->max_bytes, &bytes, &len, err);
    if (rc != RV_OK) return rc;
    rv_pcm pcm;
    rc = rv_audio_decode(bytes, len, rv_audio_hint_for_type(g->content_type), o->lim, &pcm, err);
    free(bytes);
    if (rc != RV_OK) return rc;
    char *json = NULL;
    rv_greeting_verdict v;
    /* the dates a greeting says ("till och med fredag") are counted in its
     * organisation's calendar, else its profile's */
    rv_profile own = p->all[pi];
    const rv_org *org = org_of(p, g->m.organisation);
    rv_calendar oc;
    if (org && rv_calendar_parse(org->calendar, &oc)) snprintf(own.calendar, sizeof own.calendar, "%s", org->calendar);
    const rv_profile *prof = &own;
    rv_features name; /* the owner's recorded name, when there is one that can be used */
    rc = rv_greeting_name_template(s, g->m.ext, o->lim, &name, err);
    int has_name = rc == RV_OK;
    if (rc != RV_OK && !rv_greeting_template_unusable(rc)) {
        rv_pcm_free(&pcm);
        return rc;
    }
    rc = rv_greeting_analyse(o->an, o->asr, o->th, &g->m, prof, &pcm, g->received_at, directory, units, n_directory,
                             has_name ? &name : NULL, &json, &v, err);
    if (has_name) rv_features_free(&name);
    rv_pcm_free(&pcm);
    if (rc != RV_OK) return rc;
    /* what a person heard in this recording still decides: the verdict is
     * made again from the new analysis with the latest review's answers */
    char sought[3][RV_SOUGHT_MAX];
    int known;
    rc = rv_greeting_heard_before(s, g->m.ext, g->sha256, prof, json, sought, &known, &v, err);
    if (rc != RV_OK) {
        free(json);
        return rc;
    }
    char now[32];
    rv_utc_now(now);
    rv_greeting_row row = {.report = json, .compliance = v.compliance, .violations = v.violations,
                           .missing_reason = v.missing_reason[0] ? v.missing_reason : NULL,
                           .absence_until = v.absence_until[0] ? v.absence_until : NULL, .profile = prof->name,
                           .models_version = p->version[pi], .review = v.review,
                           .sought = {known ? sought[0] : NULL, known ? sought[1] : NULL, known ? sought[2] : NULL}};
    rc = rv_store_reanalysed_greeting(s, g->id, &row, now, err);
    free(json);
    return rc;
}

static rv_err reanalyse(rv_store *s, const rv_sweep_opts *o, const profiles *p, rv_sweep_counts *c, rv_error *err)
{
    long total = (long)rv_store_count(s, RV_COUNT_CURRENT_GREETINGS);
    rv_current_greeting *batch = calloc(BATCH, sizeof *batch);
    size_t *pis = calloc(BATCH, sizeof *pis);
    int *todo = calloc(BATCH, sizeof *todo);
    rv_err rc = RV_OK;
    if (!batch || !pis || !todo) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto out;
    }
    char after[24] = "";
    long seen = 0;
    char **names = NULL, **units = NULL; /* the directory, read when a greeting is first analysed again */
    size_t n_names = 0;
    for (;;) {
        size_t rows = 0, n = 0;
        if ((rc = rv_store_current_greetings(s, after, batch, BATCH, &rows, err)) != RV_OK) break;
        for (size_t i = 0; i < rows; i++) {
            const rv_current_greeting *g = &batch[i];
            snprintf(after, sizeof after, "%s", g->m.ext);
            todo[i] = 0;
            pis[i] = profile_of(p, g->m.profile);
            if (strcmp(g->models_version, p->version[pis[i]]) == 0 && !g->renamed) continue;
            c->out_of_date++;
            if (!o->asr || o->dry_run || !g->sha256[0]) continue;
            todo[i] = 1;
            n++;
        }
        if (n && !names && (rc = rv_store_directory_names(s, NULL, &names, &units, &n_names, err)) != RV_OK)
            break;
        for (size_t i = 0; i < rows; i++) {
            if (!todo[i]) continue;
            rv_error e;
            if (reanalyse_one(s, o, p, &batch[i], pis[i], (const char *const *)names, (const char *const *)units,
                              n_names, &e) == RV_OK)
                c->reanalysed++;
            else {
                c->reanalysis_failed++;
                if (o->progress) fprintf(o->progress, "\nsweep: greeting %lld of %s: %s\n", batch[i].id,
                                         batch[i].m.ext, e.msg);
            }
        }
        seen += (long)rows;
        progress(o, "greetings checked", seen, total > seen ? total : seen);
        if (rows < BATCH) break;
    }
    rv_store_names_free(names, n_names);
    rv_store_names_free(units, n_names);
out:
    free(batch);
    free(pis);
    free(todo);
    return rc;
}

/* ---- the greeting lists ---- */

typedef struct {
    rv_finding_kind kind;
    writers *w;
    rv_sweep_counts *c;
    const rv_sweep_opts *o;
    const profiles *p;
} finding_ctx;

/* "a,b" as a JSON array, and in Swedish after detail's text (lead before
 * the first word when detail is empty). */
static json_t *swedish_list(const char *list, const char *lead, char *detail, size_t cap)
{
    json_t *a = json_array();
    for (const char *q = list ? list : ""; a && *q;) {
        size_t k = strcspn(q, ",");
        json_array_append_new(a, json_stringn(q, k));
        char one[64];
        snprintf(one, sizeof one, "%.*s", (int)k, q);
        snprintf(detail + strlen(detail), cap - strlen(detail), "%s%s", detail[0] ? ", " : lead, sv_reason(one));
        q += k + (q[k] == ',');
    }
    return a;
}

static void one_finding(void *user, const rv_greeting_finding *f)
{
    finding_ctx *x = user;
    if (x->kind == RV_FINDING_STALE_ABSENCE) { /* past by the sweep's day of its organisation's calendar */
        char today[11];
        rv_format_date(day_in(x->o, rv_calendar_or(f->calendar, x->p->cal[profile_of(x->p, f->profile)])), today);
        if (strncmp(f->absence_until, today, 10) >= 0) return;
    }
    const char *name = f->name ? f->name : "", *unit = f->unit ? f->unit : "";
    json_t *item = json_pack("{s:s,s:s,s:s}", "ext", f->ext, "name", name, "unit", unit);
    char detail[512] = "";
    if (item && f->greeting_id) json_object_set_new(item, "greeting_id", json_integer(f->greeting_id));
    if (x->kind == RV_FINDING_MISSING) {
        const char *reason = !f->greeting_id ? "no_greeting" : f->removed ? "removed" : f->missing_reason;
        if (item) {
            json_object_set_new(item, "reason", json_string(reason));
            json_object_set_new(item, "since", jstr_or_null(f->greeting_id ? f->received_at : NULL));
        }
        snprintf(detail, sizeof detail, "%s", sv_reason(reason));
        x->c->missing++;
    } else if (x->kind == RV_FINDING_NONCOMPLIANT) {
        json_t *a = swedish_list(f->violations, "", detail, sizeof detail);
        if (item) {
            json_object_set_new(item, "profile", jstr_or_null(f->profile));
            json_object_set_new(item, "violations", a ? a : json_array());
        } else json_decref(a);
        x->c->noncompliant++;
    } else if (x->kind == RV_FINDING_STALE_ABSENCE) {
        if (item) json_object_set_new(item, "until", json_string(f->absence_until));
        snprintf(detail, sizeof detail, "frånvaro till %s", f->absence_until);
        x->c->stale_absence++;
    } else {
        json_t *a = swedish_list(f->review, "osäkert: ", detail, sizeof detail);
        if (item) json_object_set_new(item, "unsure", a ? a : json_array());
        else json_decref(a);
        x->c->needs_review++;
    }
    w_item(x->w, item, f->ext, 0, name, unit, detail);
}

static rv_err greeting_lists(rv_store *s, const rv_sweep_opts *o, const profiles *p, writers *w, rv_sweep_counts *c,
                             rv_error *err)
{
    /* the latest of the calendars' days: one_finding keeps each its own */
    char date[11];
    long se = day_in(o, RV_CAL_SE), ax = day_in(o, RV_CAL_AX);
    rv_format_date(se > ax ? se : ax, date);
    static const rv_finding_kind kinds[] = {RV_FINDING_MISSING, RV_FINDING_NONCOMPLIANT, RV_FINDING_STALE_ABSENCE,
                                            RV_FINDING_REVIEW};
    static const int list_of[] = {0, 1, 2, 5}; /* their places in lists[] */
    for (int which = 0; which < 4; which++) {
        finding_ctx x = {kinds[which], w, c, o, p};
        w_list_begin(w, list_of[which]);
        rv_err rc = rv_store_greeting_findings(s, kinds[which], date, one_finding, &x, err);
        if (rc != RV_OK) return rc;
        w_list_end(w);
    }
    return RV_OK;
}

/* ---- overdue call-backs ---- */

/* The last day a voicemail received on local day `day` may be called back:
 * n working days later, or with n == 0 the same day (the next working day
 * when it came on a day off). */

typedef struct {
    const rv_sweep_opts *o;
    const profiles *p;
    writers *w;
    rv_sweep_counts *c;
    long seen, total;
} overdue_ctx;

static void one_open_callback(void *user, const rv_open_callback *v)
{
    overdue_ctx *x = user;
    x->seen++;
    progress(x->o, "call-backs checked", x->seen, x->total > x->seen ? x->total : x->seen);
    size_t pi = profile_of(x->p, v->profile);
    /* the dates of the organisation's calendar and zone; of the profile's without one */
    rv_calendar cal = rv_calendar_or(v->calendar, x->p->cal[pi]);
    long day;
    if (!rv_local_date(v->received_at, cal, &day)) return;
    long deadline = rv_callback_deadline(cal, day, x->p->all[pi].callback_working_days);
    if (day_in(x->o, cal) <= deadline) return;
    char dl[11], detail[128];
    rv_format_date(deadline, dl);
    /* classification null: not analysed (yet, or it failed), so not known to be empty */
    json_t *item = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s}", "id", (json_int_t)v->id, "ext", v->ext, "name",
                             v->name ? v->name : "", "unit", v->unit ? v->unit : "", "received_at", v->received_at,
                             "deadline", dl, "classification", v->classification, "caller",
                             v->caller ? v->caller : "");
    char got[11], local[17];
    rv_format_date(day, got);
    rv_local_time(v->received_at, cal, local);
    if (item) json_object_set_new(item, "received_local", json_string(local));
    snprintf(detail, sizeof detail, "från %s, mottaget %s, skulle besvaras senast %s",
             v->caller && *v->caller ? v->caller : "okänt nummer", got, dl);
    w_item(x->w, item, v->ext, v->id, v->name, v->unit, detail);
    x->c->overdue++;
}

static rv_err overdue(rv_store *s, const rv_sweep_opts *o, const profiles *p, writers *w, rv_sweep_counts *c,
                      rv_error *err)
{
    overdue_ctx x = {o, p, w, c, 0, (long)rv_store_count(s, RV_COUNT_OPEN_CALLBACKS)};
    w_list_begin(w, 3);
    rv_err rc = rv_store_open_callbacks(s, one_open_callback, &x, err);
    if (rc == RV_OK) w_list_end(w);
    return rc;
}

/* ---- disposal ---- */

/* Days a voicemail's audio is kept, or -2 for never: the latest decision
 * first, then the classification. Registrera: kept until the e-archive has
 * confirmed it took the package, then retention_archived_days from that
 * confirmation. Hålls ordnad: kept. Gallras: at the next sweep. Privat: not
 * an allmän handling, so retention_not_public_days. Undecided: kept, unless
 * there is a gallringsbeslut gb (the organisation's own, or without an
 * organisation the profile's) and the profile says (gallra_automatiskt) that
 * it lets empty or ephemeral recordings go after their days without a
 * person's decision; the classifier's flag alone never disposes of anything. */
static int retention_days(const rv_profile *p, const char *gb, const char *cls, const char *decision,
                          const char *archived_at)
{
    rv_decision_kind k;
    if (decision && *decision && rv_decision_from_legacy(decision, &k)) {
        switch (k) {
        case RV_DECISION_REGISTRERA: return archived_at && *archived_at ? p->retention_archived_days : -2;
        case RV_DECISION_GALLRAS: return -1;
        case RV_DECISION_PRIVAT: return p->retention_not_public_days;
        default: return -2;
        }
    }
    if (!cls || !*cls || !gb[0]) return -2;
    if (strcmp(cls, "empty") == 0 && p->gallra_empty) return p->retention_empty_days;
    if (strcmp(cls, "ephemeral") == 0 && p->gallra_ephemeral) return p->retention_ephemeral_days;
    return -2; /* possible_public_record without a decision: never */
}

/* The civil date of a UTC instant in cal, "YYYY-MM-DD"; the instant's own
 * date when it is not one. */
static void local_day_text(const char *utc_iso, rv_calendar cal, char out[11])
{
    long day;
    if (rv_local_date(utc_iso, cal, &day)) rv_format_date(day, out);
    else snprintf(out, 11, "%.10s", utc_iso ? utc_iso : "");
}

/* The units' names as the report spells them, by the organisation and the
 * name a mailbox's row writes (rv_store_unit_spellings), read once a run
 * and sorted by those. */
typedef struct {
    char *org, *raw, *spelled;
} spelling;
typedef struct {
    spelling *a;
    size_t n, cap;
    int failed;
} spellings;

static void one_spelling(void *user, const char *org, const char *raw, const char *spelled)
{
    spellings *u = user;
    if (u->failed) return;
    if (u->n == u->cap) {
        size_t nc = u->cap ? u->cap * 2 : 64;
        spelling *na = realloc(u->a, nc * sizeof *na);
        if (!na) {
            u->failed = 1;
            return;
        }
        u->a = na;
        u->cap = nc;
    }
    spelling *x = &u->a[u->n];
    x->org = strdup(org ? org : "");
    x->raw = strdup(raw);
    x->spelled = strdup(spelled ? spelled : raw);
    if (!x->org || !x->raw || !x->spelled) {
        free(x->org);
        free(x->raw);
        free(x->spelled);
        u->failed = 1;
        return;
    }
    u->n++;
}

static void spellings_free(spellings *u)
{
    for (size_t i = 0; i < u->n; i++) free(u->a[i].org), free(u->a[i].raw), free(u->a[i].spelled);
    free(u->a);
}

static int by_raw(const void *a, const void *b)
{
    const spelling *x = a, *y = b;
    int c = strcmp(x->org, y->org);
    return c ? c : strcmp(x->raw, y->raw);
}

static const char *spelled_unit(const spellings *u, const char *org, const char *raw)
{
    spelling key = {(char *)(org ? org : ""), (char *)raw, NULL};
    const spelling *x = u->n ? bsearch(&key, u->a, u->n, sizeof *u->a, by_raw) : NULL;
    return x ? x->spelled : raw;
}

static rv_err disposal(rv_store *s, const rv_sweep_opts *o, const profiles *p, writers *w, rv_sweep_counts *c,
                       rv_error *err)
{
    long total = (long)rv_store_count(s, RV_COUNT_DISPOSABLE);
    rv_disposal_candidate *cand = calloc(BATCH, sizeof *cand);
    rv_disposal *d = calloc(BATCH, sizeof *d);
    int *keep = calloc(BATCH, sizeof *keep);
    char (*detail)[160] = calloc(BATCH, sizeof *detail);
    spellings units = {0};
    rv_err rc = RV_OK;
    if (!cand || !d || !keep || !detail) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = rv_store_unit_spellings(s, one_spelling, &units, err)) != RV_OK) goto out;
    if (units.failed) {
        rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (units.n) qsort(units.a, units.n, sizeof *units.a, by_raw);
    w_list_begin(w, 4);
    long long after = 0;
    long seen = 0;
    char now[32];
    rv_utc_now(now);
    long unerased = 0; /* first what an earlier disposal left recorded but not erased (a crash) */
    rv_error ee;
    if (!o->dry_run && (rc = rv_store_finish_erasures(s, &unerased, &ee)) != RV_OK) {
        *err = ee;
        goto out;
    }
    c->not_erased = unerased;
    if (unerased && o->log)
        fprintf(o->log, "rostvakt: sweep: %ld recordings disposed of earlier are still not erased: %s\n", unerased,
                ee.msg);
    for (;;) {
        size_t rows = 0, n = 0;
        if ((rc = rv_store_disposal_candidates(s, after, cand, BATCH, &rows, err)) != RV_OK) break;
        for (size_t i = 0; i < rows; i++) {
            const rv_disposal_candidate *x = &cand[i];
            after = x->id;
            /* an organisation's gallringsbeslut and its profile's days decide
             * for its mailboxes; the mailbox's profile for one of none */
            const rv_org *org = org_of(p, x->organisation);
            size_t pi = profile_of(p, org ? org->profile : x->profile);
            const rv_profile *pr = &p->all[pi];
            const char *own = org ? org->gallringsbeslut : pr->gallringsbeslut;
            int days = retention_days(pr, own, x->classification, x->decision, x->archived_at);
            /* an archived voicemail's days count from the archive's confirmation */
            rv_decision_kind k = RV_DECISION_NONE;
            rv_decision_from_legacy(x->decision, &k);
            const char *since = k == RV_DECISION_REGISTRERA ? x->archived_at : x->received_at;
            long day;
            rv_calendar cal = rv_calendar_or(x->calendar, p->cal[pi]);
            if (days == -2 || !rv_local_date(since, cal, &day)) continue;
            if (day_in(o, cal) - day <= days) continue;
            keep[n] = days;
            /* gallras: the gallringsbeslut the decision followed */
            const char *gb = k == RV_DECISION_GALLRAS && x->gallringsbeslut[0] ? x->gallringsbeslut : own;
            snprintf(detail[n], sizeof detail[n], "%s%s%s, kept %d days%s%.60s", x->classification,
                     x->decision[0] ? ", decision " : "", x->decision, days < 0 ? 0 : days,
                     gb[0] && k != RV_DECISION_PRIVAT && k != RV_DECISION_REGISTRERA ? ", gallringsbeslut " : "",
                     k != RV_DECISION_PRIVAT && k != RV_DECISION_REGISTRERA ? gb : "");
            if (n != i) cand[n] = *x; /* the batch is compacted to those due */
            snprintf(cand[n].unit, sizeof cand[n].unit, "%s", spelled_unit(&units, x->organisation, x->unit));
            d[n] = (rv_disposal){.id = cand[n].id, .ext = cand[n].ext, .sha256 = cand[n].sha256, .detail = detail[n]};
            n++;
        }
        if (n && !o->dry_run) {
            if ((rc = rv_store_dispose(s, d, n, o->actor ? o->actor : "sweep", now, err)) != RV_OK) break;
            for (size_t i = 0; i < n; i++)
                if (d[i].erase_rc != RV_OK) {
                    c->not_erased++; /* recorded: the next sweep erases it */
                    if (o->log)
                        fprintf(o->log, "rostvakt: sweep: voicemail %lld disposed of, its audio not erased yet: %s\n",
                                d[i].id, d[i].erase_err.msg);
                }
        }
        for (size_t i = 0; i < n; i++) {
            const rv_disposal_candidate *x = &cand[i];
            if (!o->dry_run && !d[i].done) continue;
            char line[256], got[11];
            local_day_text(x->received_at, rv_calendar_or(x->calendar, p->cal[profile_of(p, x->profile)]), got);
            snprintf(line, sizeof line, "%s%s%s, mottaget %s%s", sv_reason(x->classification),
                     x->decision[0] ? ", " : "", x->decision[0] ? sv_reason(x->decision) : "", got,
                     o->dry_run ? " (skulle gallras)" : "");
            json_t *item = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:i,s:b}", "id", (json_int_t)x->id, "ext", x->ext,
                                     "unit", x->unit, "classification", x->classification, "decision",
                                     x->decision[0] ? json_string(x->decision) : json_null(), "received_at",
                                     x->received_at, "retention_days", keep[i] < 0 ? 0 : keep[i], "dry_run",
                                     o->dry_run);
            w_item(w, item, x->ext, x->id, "", x->unit, line);
            c->disposed++;
        }
        seen += (long)rows;
        progress(o, "voicemails checked for disposal", seen, total > seen ? total : seen);
        if (rows < BATCH) break;
    }
    if (rc == RV_OK) w_list_end(w);
out:
    spellings_free(&units);
    free(cand);
    free(d);
    free(keep);
    free(detail);
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
    if (rc == RV_OK) rc = rv_store_list_orgs(s, "", &p.orgs, &p.n_orgs, err);
    if (rc != RV_OK) {
        profiles_free(&p);
        return rc;
    }
    /* first what changes verdicts, then the report on the verdicts */
    rc = reanalyse(s, o, &p, c, err);
    char date[11];
    rv_format_date(o->date, date);
    writers w = {.n = n_outs};
    for (size_t i = 0; i < n_outs; i++) w.w[i] = (writer){outs[i].f, outs[i].fmt, NULL, 0, 0};
    /* a sweep that changes things keeps its JSON report in the archive */
    char *kept = NULL;
    size_t kept_len = 0;
    FILE *kf = NULL;
    if (rc == RV_OK && !o->dry_run) {
        if (!(kf = open_memstream(&kept, &kept_len))) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        else w.w[w.n++] = (writer){kf, RV_SWEEP_JSON, NULL, 0, 1};
    }
    if (rc == RV_OK && (c->mailboxes = (long)rv_store_count(s, RV_COUNT_MAILBOXES)) < 0)
        rc = rv_error_set(err, RV_ERR_IO, "cannot count the mailboxes"); /* not a report of -1 of them */
    if (rc == RV_OK) {
        w_begin(&w, date, c->mailboxes);
        rv_unit_share *units = NULL;
        size_t n_units = 0;
        rc = rv_store_unit_shares(s, &units, &n_units, err);
        if (rc == RV_OK) {
            w_units_begin(&w, (long)n_units);
            /* the chart names each unit's authority when there are several */
            int several = 0;
            for (size_t i = 1; i < n_units; i++) several |= strcmp(units[i].organisation, units[0].organisation) != 0;
            for (size_t i = 0; i < n_units; i++) {
                char label[400];
                if (several && units[i].org_name[0]) snprintf(label, sizeof label, "%s, %s", units[i].unit, units[i].org_name);
                else snprintf(label, sizeof label, "%s", units[i].unit);
                w_unit(&w, (long)i, units[i].unit, units[i].organisation, label, units[i].mailboxes, units[i].compliant);
            }
            w_units_end(&w);
        }
        free(units);
    }
    if (rc == RV_OK) rc = greeting_lists(s, o, &p, &w, c, err);
    /* disposal before the call-backs: what it disposes of is no longer owed one */
    if (rc == RV_OK) rc = disposal(s, o, &p, &w, c, err);
    if (rc == RV_OK) rc = overdue(s, o, &p, &w, c, err);
    if (rc == RV_OK) w_end(&w, c);
    profiles_free(&p);
    for (size_t i = 0; rc == RV_OK && i < n_outs; i++)
        if (fflush(outs[i].f) != 0 || ferror(outs[i].f)) rc = rv_error_set(err, RV_ERR_IO, "cannot write the report");
    if (kf) {
        if (fclose(kf) != 0 && rc == RV_OK) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        char now[32];
        rv_utc_now(now);
        if (rc == RV_OK) rc = rv_store_add_sweep(s, date, now, kept, err);
        free(kept);
    }
    return rc;
}
