/* Serialises reports and errors with jansson. Strings from outside (paths,
 * names) may not be UTF-8; invalid bytes become U+FFFD rather than failing. */
#include "rostvakt/report.h"

#include "rostvakt/policy.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *jstr(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    /* Not UTF-8: keep ASCII, replace the rest. */
    size_t n = strlen(s);
    char *buf = malloc(n * 3 + 1);
    if (!buf) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) buf[o++] = (char)c;
        else { memcpy(buf + o, "\xEF\xBF\xBD", 3); o += 3; }
    }
    buf[o] = '\0';
    j = json_string(buf);
    free(buf);
    return j;
}

static json_t *jnum(double x)
{
    if (!isfinite(x)) return json_null();
    return json_real(round(x * 1000.0) / 1000.0);
}

static json_t *segments(const rv_signal *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n_speech; i++)
        json_array_append_new(a, json_pack("{s:o,s:o}", "start_s", jnum(s->speech[i].start_s),
                                           "end_s", jnum(s->speech[i].end_s)));
    return a;
}

static json_t *tones(const rv_signal *s)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < s->n_tones; i++) {
        const rv_tone *t = &s->tones[i];
        json_array_append_new(a, json_pack("{s:o,s:o,s:o,s:s}", "start_s", jnum(t->start_s),
                                           "end_s", jnum(t->end_s), "freq_hz",
                                           jnum(round(t->freq_hz)), "kind",
                                           rv_tone_kind_name(t->kind)));
    }
    return a;
}

static json_t *dtmf(const rv_signal *s, char *digits, size_t cap)
{
    json_t *a = json_array();
    size_t o = 0;
    for (size_t i = 0; a && i < s->n_dtmf; i++) {
        const rv_dtmf *d = &s->dtmf[i];
        char dg[2] = {d->digit, 0};
        if (o + 1 < cap) digits[o++] = d->digit;
        json_array_append_new(a, json_pack("{s:o,s:o,s:s}", "start_s", jnum(d->start_s),
                                           "end_s", jnum(d->end_s), "digit", dg));
    }
    digits[o] = '\0';
    return a;
}

static json_t *expected(const rv_expect *e)
{
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "name", jstr(e->name));
    json_object_set_new(o, "unit", jstr(e->unit));
    json_object_set_new(o, "org", jstr(e->org));
    json_object_set_new(o, "profile", jstr(e->profile));
    json_t *p = json_array();
    for (size_t i = 0; p && i < e->n_phrases; i++) json_array_append_new(p, jstr(e->phrases[i]));
    json_object_set_new(o, "phrases", p ? p : json_null());
    return o;
}

static json_t *check_json(const rv_phrase_check *c)
{
    json_t *o = json_pack("{s:o,s:b,s:s,s:o,s:o,s:o}", "expected", jstr(c->expected), "stated", c->stated,
                          "verdict", rv_verdict_name(c->verdict), "confidence", jnum(c->confidence),
                          "score", c->score > -1e8 ? jnum(c->score) : json_null(),
                          "at_s", c->at_s >= 0 ? jnum(c->at_s) : json_null());
    if (o && c->unpronounceable) /* not sought: the lexicon cannot say it */
        json_object_set_new(o, "unpronounceable", json_true());
    if (o && c->has_template) /* the owner's own recording, matched */
        json_object_set_new(o, "template", json_pack("{s:o,s:o,s:s}", "distance", jnum(c->template_distance), "at_s",
                                                     c->template_at_s >= 0 ? jnum(c->template_at_s) : json_null(),
                                                     "features", c->template_posteriors ? "posteriorgram" : "mel"));
    if (o && c->n_cohort) /* the evidence of the comparison with the directory's other names */
        json_object_set_new(o, "cohort",
                            json_pack("{s:i,s:o,s:o,s:o}", "size", c->n_cohort,
                                      "raw_score", c->raw_score > -1e8 ? jnum(c->raw_score) : json_null(),
                                      "best", c->cohort_best[0] ? jstr(c->cohort_best) : json_null(),
                                      "best_score", c->cohort_score > -1e8 ? jnum(c->cohort_score) : json_null()));
    return o;
}

static void add_verification(json_t *root, const rv_report *r)
{
    json_object_set_new(root, "name", r->has_name ? check_json(&r->name) : json_null());
    json_object_set_new(root, "unit", r->has_unit ? check_json(&r->unit) : json_null());
    json_object_set_new(root, "org", r->has_org ? check_json(&r->org) : json_null());
    json_t *ph = json_array();
    for (size_t i = 0; ph && i < r->n_phrases; i++) json_array_append_new(ph, check_json(&r->phrases[i]));
    json_object_set_new(root, "phrases", ph ? ph : json_null());
    json_object_set_new(root, "closing_prompt",
                        json_pack("{s:b,s:s,s:o,s:o,s:o,s:o}", "stated", r->closing.stated, "verdict",
                                  rv_verdict_name(r->closing.verdict), "confidence", jnum(r->closing.confidence),
                                  "phrase", r->closing.stated ? jstr(r->closing.expected) : json_null(),
                                  "score", r->closing.score > -1e8 ? jnum(r->closing.score) : json_null(),
                                  "at_s", r->closing.at_s >= 0 ? jnum(r->closing.at_s) : json_null()));
    json_object_set_new(root, "absence",
                        json_pack("{s:b,s:o,s:o,s:o,s:o}", "absent", r->absence.stated, "phrase",
                                  r->absence.stated ? jstr(r->absence.expected) : json_null(),
                                  "score", r->absence.score > -1e8 ? jnum(r->absence.score) : json_null(),
                                  "at_s", r->absence.at_s >= 0 ? jnum(r->absence.at_s) : json_null(),
                                  "until", r->absence_until[0] ? jstr(r->absence_until) : json_null()));
    if (r->profile[0]) {
        json_t *v = json_array();
        for (int b = 0; v && b < RV_VIOL__COUNT; b++)
            if (r->violations & (1u << b)) json_array_append_new(v, json_string(rv_violation_name((rv_violation)b)));
        json_object_set_new(root, "profile", jstr(r->profile));
        json_object_set_new(root, "compliant",
                            r->violations ? json_false() : r->needs_review ? json_null() : json_true());
        json_object_set_new(root, "violations", v ? v : json_null());
        json_t *u = json_array();
        for (int e = 0; u && e < RV_ELEM__COUNT; e++)
            if (r->unsure & (1u << e)) json_array_append_new(u, json_string(rv_element_name((rv_element)e)));
        json_object_set_new(root, "unsure", u ? u : json_null());
        json_object_set_new(root, "needs_review", json_boolean(r->needs_review));
    }
}

static char *dump(json_t *root)
{
    char *s = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(root);
    return s;
}

char *rv_report_to_json(const rv_report *r, const char *file, const rv_expect *exp)
{
    const rv_signal *s = &r->signal;
    char digits[64];
    json_t *prompt = json_pack("{s:b,s:o,s:o,s:I,s:o}", "matched", r->prompt_found,
                               "reference", r->prompt.name[0] ? jstr(r->prompt.name) : json_null(),
                               "score", jnum(r->prompt.score), "hashes",
                               (json_int_t)r->prompt.matched, "at_s",
                               r->prompt_found ? jnum(r->prompt.at_s) : json_null());
    json_t *sig = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o}",
        "peak_dbfs", jnum(s->peak_dbfs), "rms_dbfs", jnum(s->rms_dbfs),
        "loud_dbfs", jnum(s->loud_dbfs),
        "clipping_ratio", jnum(s->clipping_ratio), "noise_floor_dbfs", jnum(s->noise_floor_dbfs),
        "snr_db", jnum(s->snr_db), "leading_silence_s", jnum(s->leading_silence_s),
        "trailing_silence_s", jnum(s->trailing_silence_s), "silent_s", jnum(s->silent_s),
        "tone_s", jnum(s->tone_s), "dtmf_s", jnum(s->dtmf_s), "other_s", jnum(s->other_s),
        "spectral_flatness", jnum(s->flatness), "speech_segments", segments(s),
        "tones", tones(s), "dtmf", dtmf(s, digits, sizeof digits), "dtmf_digits", digits,
        "system_prompt", prompt);
    const char *reason = rv_missing_reason_name(r->reason);
    static const char *const codec_names[RV_CODECS] = {NULL, "g711", "gsm"};
    const char *codec = (unsigned)r->codec < RV_CODECS ? codec_names[r->codec] : NULL;
    json_t *root = json_pack("{s:o,s:s,s:o,s:o,s:b,s:o,s:{s:s,s:o,s:i,s:i,s:I},s:o}",
                             "file", jstr(file), "kind", rv_kind_name(r->kind),
                             "duration_s", jnum(s->duration_s), "speech_s", jnum(s->speech_s),
                             "missing", r->missing, "missing_reason",
                             reason ? json_string(reason) : json_null(), "audio", "format",
                             r->format, "codec", codec ? json_string(codec) : json_null(), "sample_rate", r->rate, "channels", r->channels,
                             "bytes", (json_int_t)r->bytes, "signal", sig);
    if (root && r->kind == RV_KIND_VOICEMAIL) {
        json_t *reasons = json_array();
        for (int b = 0; reasons && b < 32; b++)
            if (r->vm_reasons & (1u << b))
                json_array_append_new(reasons, json_string(rv_vm_reason_name((rv_vm_reason)b)));
        json_object_set_new(root, "classification", json_string(rv_vm_class_name(r->vm_class)));
        json_object_set_new(root, "reasons", reasons ? reasons : json_null());
        json_t *kw = json_array();
        for (size_t i = 0; kw && i < r->n_keywords; i++)
            json_array_append_new(kw, json_pack("{s:s,s:o,s:o}", "word", r->keywords[i].word, "at_s",
                                                jnum(r->keywords[i].at_s), "score",
                                                jnum(r->keywords[i].score)));
        /* null: keywords were not searched (no decoder, e.g. --no-keywords) */
        json_object_set_new(root, "keywords", r->keywords_searched && kw ? kw : json_null());
        if (!r->keywords_searched) json_decref(kw);
    }
    if (root && !file) json_object_del(root, "file"); /* stored analyses: no file to name */
    if (root && r->verified) add_verification(root, r);
    if (root && exp) json_object_set_new(root, "expected", expected(exp));
    return dump(root);
}

char *rv_error_to_json(const char *file, const rv_error *e)
{
    json_t *root = json_object();
    if (root && file) json_object_set_new(root, "file", jstr(file));
    if (root)
        json_object_set_new(root, "error",
                            json_pack("{s:s,s:o}", "code", rv_err_slug(e->code), "message",
                                      jstr(e->msg[0] ? e->msg : rv_err_text(e->code))));
    return dump(root);
}
