/* Greeting verification: expected phrases through rv_asr, a closing prompt,
 * and the profile's rules through rv_policy_check. */
#include "rostvakt/verify.h"

#include <ctype.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rostvakt/swedish.h"
#include "rostvakt/postgram.h"
#include "rostvakt/template.h"

/* Ways Swedish greetings ask the caller to do something (DOMAIN.md). */
static const char *const closings[] = {
    "lämna ett meddelande", "tala in ett meddelande", "ring växeln", "kontakta växeln",
    "ring min kollega", "kontakta kundtjänst", "så ringer jag upp", "så återkommer jag"};
#define N_CLOSINGS (sizeof closings / sizeof closings[0])

/* How an absence greeting says so. */
static const char *const absences[] = {
    "är ledig", "är på semester", "är tjänstledig", "är föräldraledig", "är sjukskriven",
    "är sjuk", "är bortrest", "är på tjänsteresa", "är tillbaka", "är åter", "är borta",
    "är på utbildning", "är frånvarande", "är på konferens"};
#define N_ABSENCES (sizeof absences / sizeof absences[0])
#define DATE_HORIZON 62 /* days ahead an absence end is sought */

static double score_of(const rv_phrase_score *s)
{
    return s->found ? s->llr : -1e9;
}

/* The best of phrases into out (expected: the winner, whatever its score). */
static rv_err best_check(rv_asr *asr, const char *const *phrases, size_t n, double min,
                         rv_phrase_check *out, size_t *best, rv_error *err)
{
    rv_phrase_score s;
    rv_err rc = rv_asr_best_of(asr, phrases, n, best, &s, err);
    if (rc != RV_OK) return rc;
    snprintf(out->expected, sizeof out->expected, "%s", phrases[*best]);
    out->score = score_of(&s);
    out->threshold = min;
    out->stated = s.found && out->score >= min;
    out->at_s = s.found ? s.start_s : -1;
    return RV_OK;
}

/* An absence greeting, and the end it gives: the best of the next
 * DATE_HORIZON days said as "den fjärde december", then the best of that
 * date followed by "klockan ett" .. "klockan tjugofyra"; each must reach min. */
static rv_err absence_end(rv_asr *asr, const rv_expect *exp, double min, rv_report *r, rv_error *err)
{
    int y = exp ? exp->rec_year : 0, m = exp ? exp->rec_month : 0, d = exp ? exp->rec_day : 0;
    if (!y) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday;
    }
    char dates[DATE_HORIZON][64], hours[24][32];
    const char *dp[DATE_HORIZON];
    for (int i = 0; i < DATE_HORIZON; i++) {
        if (rv_sv_say_date(y, m, d, i, dates[i], sizeof dates[i]) != 0)
            return rv_error_set(err, RV_ERR_ARG, "impossible recording date %04d-%02d-%02d", y, m, d);
        dp[i] = dates[i];
    }
    for (int h = 1; h <= 24; h++) rv_sv_say_hour(h, hours[h - 1], sizeof hours[h - 1]);
    rv_phrase_check date, hour;
    size_t bd, bh;
    rv_err rc = best_check(asr, dp, DATE_HORIZON, min, &date, &bd, err);
    r->until_score = date.score;
    if (rc != RV_OK || !date.stated) return rc;
    /* The hour is sought right after the date found: alone, a short hour
     * ("klockan tio") anywhere in the greeting often beat the one said
     * (docs/verification.md). */
    char joint[24][112];
    const char *jp[24];
    for (int h = 0; h < 24; h++) {
        snprintf(joint[h], sizeof joint[h], "%s %s", dates[bd], hours[h]);
        jp[h] = joint[h];
    }
    rc = best_check(asr, jp, 24, min, &hour, &bh, err);
    if (rc != RV_OK) return rc;
    const char *said = hour.stated ? joint[bh] : dates[bd];
    rv_when w;
    rv_error perr;
    if (rv_sv_parse_until(said, y, m, d, &w, &perr) == RV_OK)
        snprintf(r->absence_until, sizeof r->absence_until, "%s", w.iso);
    return RV_OK;
}


static rv_err check(rv_asr *asr, const char *text, double min, rv_phrase_check *out, rv_error *err)
{
    rv_phrase_score s;
    snprintf(out->expected, sizeof out->expected, "%s", text);
    int say = 0;
    rv_err rc = rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, text, &say, err);
    if (rc != RV_OK) return rc;
    if (!say) { /* a directory entry no map says ("a=b") */
        out->unpronounceable = 1;
        out->score = -1e9;
        out->threshold = min;
        out->stated = 0;
        out->at_s = -1;
        return RV_OK;
    }
    size_t best;
    rc = rv_asr_best_of_in(asr, RV_VOCAB_DIRECTORY, &text, 1, &best, &s, err);
    if (rc != RV_OK) return rc;
    out->total = s.found ? s.total : -1e9;
    out->frames = s.frames;
    out->phones = s.phones;
    out->score = score_of(&s);
    out->threshold = min;
    out->stated = s.found && out->score >= min;
    out->at_s = s.found ? s.start_s : -1;
    return RV_OK;
}

/* A name against the directory's other names: its ratio less
 * th->name_cohort_weight times the best of theirs (a cohort, as speaker
 * verification normalises by impostors). A greeting saying a colleague's
 * name fits the colleague better; a voice or line the model fits badly fits
 * every name worse, so the difference says more than the ratio alone.
 * Units gained nothing from the same weighing and are not weighed. The
 * floor caps the credit a name gets when no competitor fits. Weight and
 * floor were chosen on the tune split (docs/verification.md). */
/* The other names to weigh exp's against (rv_cohort_pick) into pick, *n of
 * them, leaving out those the lexicon cannot pronounce: one odd entry in the
 * directory must not fail its unit's greetings. Picked again without them
 * until every one picked can be said. */
static rv_err pick_sayable(rv_asr *asr, const rv_expect *exp, const char **pick, size_t *n_out, rv_error *err)
{
    const char **all = NULL;
    size_t n = rv_cohort_pick(exp->name, exp->unit, exp->cohort, exp->cohort_units, exp->n_cohort, pick,
                              RV_COHORT_MAX);
    for (;;) {
        size_t kept = 0, bad = 0;
        for (size_t i = 0; i < n; i++) {
            int say = 0;
            rv_err rc = rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, pick[i], &say, err);
            if (rc != RV_OK) {
                free(all);
                return rc;
            }
            if (say) {
                pick[kept++] = pick[i];
                continue;
            }
            bad++;
            if (!all) {
                if (!(all = malloc(exp->n_cohort * sizeof *all))) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
                memcpy(all, exp->cohort, exp->n_cohort * sizeof *all);
            }
            for (size_t j = 0; j < exp->n_cohort; j++)
                if (all[j] == pick[i]) all[j] = NULL;
        }
        if (!bad) {
            free(all);
            *n_out = kept;
            return RV_OK;
        }
        n = rv_cohort_pick(exp->name, exp->unit, all, exp->cohort_units, exp->n_cohort, pick, RV_COHORT_MAX);
    }
}

static rv_err check_name(rv_asr *asr, const rv_expect *exp, const rv_verify_thresholds *th,
                         rv_phrase_check *out, rv_error *err)
{
    const char *pick[RV_COHORT_MAX];
    int say = 0;
    rv_err rc = rv_asr_sayable(asr, RV_VOCAB_DIRECTORY, exp->name, &say, err);
    if (rc != RV_OK) return rc;
    if (!say) /* unsure: for a person to hear */
        return check(asr, exp->name, th->name_min_score, out, err);
    size_t n = 0;
    if (th->name_cohort_weight > 0 && exp->n_cohort && (rc = pick_sayable(asr, exp, pick, &n, err)) != RV_OK)
        return rc;
    if (!n) return check(asr, exp->name, th->name_min_score, out, err);
    rc = check(asr, exp->name, -1e300, out, err);
    if (rc != RV_OK) return rc;
    out->threshold = th->name_cohort_min_score;
    out->n_cohort = (int)n;
    out->raw_score = out->score;
    out->cohort_score = -1e9;
    out->stated = 0;
    if (!(out->score > -1e8)) return RV_OK; /* the name fits nowhere */
    size_t best;
    rv_phrase_score s;
    rc = rv_asr_best_of_in(asr, RV_VOCAB_DIRECTORY, pick, n, &best, &s, err);
    if (rc != RV_OK) return rc;
    out->cohort_total = s.found ? s.total : -1e9;
    if (s.found) {
        out->cohort_score = s.llr;
        snprintf(out->cohort_best, sizeof out->cohort_best, "%s", pick[best]);
    }
    double c = s.found && s.llr > RV_COHORT_FLOOR ? s.llr : RV_COHORT_FLOOR;
    out->score = out->raw_score - th->name_cohort_weight * c;
    out->threshold = th->name_cohort_min_score;
    out->stated = out->score >= th->name_cohort_min_score;
    return RV_OK;
}

rv_err rv_verify_closing(rv_asr *asr, const rv_verify_thresholds *th, rv_phrase_check *out, rv_error *err)
{
    size_t best;
    rv_phrase_score s;
    rv_err rc = rv_asr_best_of(asr, closings, N_CLOSINGS, &best, &s, err);
    if (rc != RV_OK) return rc;
    snprintf(out->expected, sizeof out->expected, "%s", closings[best]);
    out->score = score_of(&s);
    out->threshold = th->closing_min_score;
    out->stated = s.found && out->score >= th->closing_min_score;
    out->at_s = s.found ? s.start_s : -1;
    return RV_OK;
}

static int lower_eq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0; /* ASCII case; å and Å differ, which only keeps a twin */
}

/* Levenshtein distance of two byte strings, ASCII case folded; both
 * shorter than 192 bytes. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 191) la = 191;
    if (lb > 191) lb = 191;
    size_t row[192];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t v = diag + cost;
            if (row[j] + 1 < v) v = row[j] + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[lb];
}

size_t rv_cohort_pick(const char *name, const char *unit, const char *const *all, const char *const *units,
                      size_t n, const char **out, size_t max)
{
    size_t k = 0;
    size_t dist[RV_COHORT_MAX]; /* the rank: 0 for the same unit, then 1 + the distance */
    if (!name || !*name || max > RV_COHORT_MAX) max = !name || !*name ? 0 : RV_COHORT_MAX;
    for (size_t i = 0; i < n && max; i++) {
        const char *c = all[i];
        if (!c || !*c || strlen(c) > 191 || lower_eq(c, name)) continue;
        int seen = 0;
        for (size_t j = 0; j < k && !seen; j++) seen = lower_eq(out[j], c);
        if (seen) continue;
        int same = unit && *unit && units && units[i] && lower_eq(units[i], unit);
        size_t d = same ? 0 : 1 + distance(name, c);
        if (k == max && d >= dist[k - 1]) continue; /* no nearer than the farthest kept */
        size_t at = k < max ? k++ : k - 1;
        while (at > 0 && dist[at - 1] > d) { /* insertion, stable for equal distances */
            dist[at] = dist[at - 1];
            out[at] = out[at - 1];
            at--;
        }
        dist[at] = d;
        out[at] = c;
    }
    return k;
}

/* Give asr only the stretch from the first speech to the last, with a margin:
 * the search costs time in proportion to the audio it is given. *offset_s
 * gets where that stretch starts in pcm. */
#define SPEECH_MARGIN_S 0.5
rv_err rv_verify_set_speech(rv_asr *asr, const rv_pcm *pcm, const rv_signal *sig, double *offset_s,
                            rv_error *err)
{
    *offset_s = 0;
    if (!sig->n_speech || !pcm->rate) return rv_asr_set_audio(asr, pcm, err);
    double from = sig->speech[0].start_s - SPEECH_MARGIN_S;
    double to = sig->speech[sig->n_speech - 1].end_s + SPEECH_MARGIN_S;
    size_t a = from > 0 ? (size_t)(from * pcm->rate) : 0;
    size_t b = (size_t)(to * pcm->rate);
    if (b > pcm->n) b = pcm->n;
    if (b <= a) return rv_asr_set_audio(asr, pcm, err);
    rv_pcm part = *pcm;
    part.samples = pcm->samples + a;
    part.n = b - a;
    *offset_s = (double)a / pcm->rate;
    return rv_asr_set_audio(asr, &part, err);
}

static void shift(rv_phrase_check *c, double offset_s)
{
    if (c->at_s >= 0) c->at_s += offset_s;
}

static int by_time(const void *x, const void *y)
{
    const rv_keyword_hit *a = x, *b = y;
    return (a->at_s > b->at_s) - (a->at_s < b->at_s);
}

rv_err rv_spot_keywords(rv_asr *asr, const rv_pcm *pcm, const char (*words)[64], size_t n_words,
                        double min_score, double long_speech_s, rv_report *r, rv_error *err)
{
    free(r->keywords);
    r->keywords = NULL;
    r->n_keywords = 0;
    r->keywords_searched = 1;
    if (r->missing || !n_words) return RV_OK;
    size_t n_groups = (n_words + 15) / 16;
    rv_keyword_hit *hits = calloc(n_groups, sizeof *hits);
    if (!hits) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    double offset = 0;
    rv_err rc = rv_verify_set_speech(asr, pcm, &r->signal, &offset, err);
    size_t n = 0;
    for (size_t g = 0; rc == RV_OK && g < n_groups; g++) {
        const char *alts[16];
        size_t k = 0;
        for (size_t i = g * 16; i < n_words && k < 16; i++) alts[k++] = words[i];
        size_t best;
        rv_phrase_score s;
        rc = rv_asr_best_of_in(asr, RV_VOCAB_DIRECTORY, alts, k, &best, &s, err);
        if (rc == RV_OK && s.found && s.llr >= min_score) {
            snprintf(hits[n].word, sizeof hits[n].word, "%s", alts[best]);
            hits[n].at_s = s.start_s + offset;
            hits[n].score = s.llr;
            n++;
        }
    }
    if (rc != RV_OK) {
        free(hits);
        return rc;
    }
    qsort(hits, n, sizeof *hits, by_time);
    r->keywords = hits;
    r->n_keywords = n;
    r->vm_class = rv_classify_voicemail(!r->missing, r->signal.speech_s, n, long_speech_s, &r->vm_reasons);
    return RV_OK;
}

rv_err rv_verify_greeting(rv_asr *asr, const rv_pcm *pcm, const rv_expect *exp,
                          const rv_profile *prof, const rv_verify_thresholds *th,
                          rv_report *r, rv_error *err)
{
    rv_verify_thresholds by_codec = rv_verify_thresholds_for(th, pcm->codec);
    th = &by_codec;
    rv_greeting_facts f = {0};
    f.duration_s = r->signal.duration_s;
    f.missing = r->missing && r->reason != RV_MISSING_SYSTEM_PROMPT;
    f.system_prompt = r->missing && r->reason == RV_MISSING_SYSTEM_PROMPT;
    rv_err rc = RV_OK;
    rv_phrase_check *phrases = NULL;
    r->has_name = exp && exp->name && *exp->name;
    r->has_unit = exp && exp->unit && *exp->unit;
    r->has_org = exp && exp->org && *exp->org;
    size_t n_phr = exp ? exp->n_phrases : 0;
    if (n_phr) {
        phrases = calloc(n_phr, sizeof *phrases);
        if (!phrases) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    double offset = 0; /* where the decoder's audio starts in pcm */
    if (!r->missing) {
        rc = rv_verify_set_speech(asr, pcm, &r->signal, &offset, err);
        if (rc == RV_OK && r->has_name) rc = check_name(asr, exp, th, &r->name, err);
        if (rc == RV_OK && r->has_unit) rc = check(asr, exp->unit, rv_phrase_threshold(th, exp->unit), &r->unit, err);
        if (rc == RV_OK && r->has_org) rc = check(asr, exp->org, rv_phrase_threshold(th, exp->org), &r->org, err);
        for (size_t i = 0; rc == RV_OK && i < n_phr; i++)
            rc = check(asr, exp->phrases[i], rv_phrase_threshold(th, exp->phrases[i]), &phrases[i], err);
        if (rc == RV_OK && !th->phrases_only) rc = rv_verify_closing(asr, th, &r->closing, err);
        r->until_score = -1e9;
        r->absence.at_s = -1;
        r->absence.score = -1e9;
        if (rc == RV_OK && !th->phrases_only) {
            size_t best;
            rc = best_check(asr, absences, N_ABSENCES, th->absence_min_score, &r->absence, &best, err);
        }
        /* A stated end date also makes it an absence greeting: the date is a
         * longer, surer phrase than the cue, which alone hardly tells an
         * absence greeting from an ordinary one, so it is always sought. */
        if (rc == RV_OK && !th->phrases_only) {
            rc = absence_end(asr, exp, th->date_min_score, r, err);
            if (rc == RV_OK && r->absence_until[0] && !r->absence.stated) r->absence.stated = 1;
        }
        shift(&r->name, offset);
        shift(&r->unit, offset);
        shift(&r->org, offset);
        shift(&r->closing, offset);
        shift(&r->absence, offset);
        for (size_t i = 0; i < n_phr; i++) shift(&phrases[i], offset);
    } else {
        r->name.at_s = r->unit.at_s = r->org.at_s = r->closing.at_s = r->absence.at_s = -1;
        r->name.score = r->unit.score = r->org.score = r->closing.score = r->absence.score = -1e9;
        r->until_score = -1e9;
        if (r->has_name) snprintf(r->name.expected, sizeof r->name.expected, "%s", exp->name);
        if (r->has_unit) snprintf(r->unit.expected, sizeof r->unit.expected, "%s", exp->unit);
        if (r->has_org) snprintf(r->org.expected, sizeof r->org.expected, "%s", exp->org);
        for (size_t i = 0; i < n_phr; i++) {
            snprintf(phrases[i].expected, sizeof phrases[i].expected, "%s", exp->phrases[i]);
            phrases[i].at_s = -1;
            phrases[i].score = -1e9;
        }
    }
    /* the owner's own recording of the name, said again in the greeting
     * (applied below): on posteriorgrams of the decoder's senone scores
     * (which leaves the decoder on the recording: nothing after this
     * searches the greeting), or on mel cepstra where there are none (a
     * decoder without scores of its own, a greeting too long to keep them).
     * A greeting with no sound to match, or shorter than half the
     * recording, has no fit; any other failure is an error. */
    int has_template = 0, on_posteriors = 0;
    double t_dist = 0, t_at = -1;
    if (rc == RV_OK && r->has_name && !r->missing && exp->name_template) {
        if (rv_asr_own_scores(asr) && exp->name_template->rec.samples) {
            rc = rv_postgram_find(asr, exp->name_template, offset, &t_dist, &t_at, err);
            has_template = on_posteriors = rc == RV_OK;
            if (rc == RV_ERR_ARG) rc = RV_OK;
        }
        if (rc == RV_OK && !on_posteriors) {
            rv_features g;
            rc = rv_features_of(pcm, &g, err);
            if (rc == RV_OK) {
                rc = rv_template_match(exp->name_template, &g, &t_dist, &t_at, err);
                has_template = rc == RV_OK;
                rv_features_free(&g);
            }
        }
        if (rc == RV_ERR_ARG) rc = RV_OK;
    }
    if (rc != RV_OK) {
        free(phrases);
        return rc;
    }
    r->phrases = phrases;
    r->n_phrases = n_phr;
    r->verified = 1;
    rv_phrase_check *elems[RV_ELEM__COUNT] = {&r->name, &r->unit, &r->org, &r->closing};
    int has[RV_ELEM__COUNT] = {r->has_name, r->has_unit, r->has_org, !th->phrases_only};
    double slopes[RV_ELEM__COUNT] = {th->name_slope, th->phrase_slope, th->phrase_slope, th->closing_slope};
    r->unsure = 0;
    for (int e = 0; e < RV_ELEM__COUNT; e++) {
        if (!has[e]) continue;
        rv_verdict_decide(elems[e], slopes[e], th->min_confidence);
        if (elems[e]->verdict == RV_VERDICT_UNSURE) r->unsure |= 1u << e;
    }
    for (size_t i = 0; i < n_phr; i++) rv_verdict_decide(&phrases[i], th->phrase_slope, th->min_confidence);
    /* the owner's own recording of the name, said again in the greeting:
     * a close fit confirms the name whatever the recogniser heard; a poor
     * one proves nothing (docs/verification.md) */
    if (has_template) {
        r->name.has_template = 1;
        r->name.template_distance = t_dist;
        r->name.template_at_s = t_at;
        r->name.template_posteriors = on_posteriors;
        if (t_dist <= (on_posteriors ? th->template_max_posterior_distance : th->template_max_distance)) {
            r->name.stated = 1;
            r->name.verdict = RV_VERDICT_STATED;
            if (r->name.confidence < th->min_confidence) r->name.confidence = th->min_confidence;
            r->unsure &= ~(1u << RV_ELEM_NAME);
        }
    }
    if (prof) {
        snprintf(r->profile, sizeof r->profile, "%s", prof->name);
        f.name_at_s = r->name.at_s;
        f.unit_at_s = r->unit.at_s;
        f.org_at_s = r->org.at_s;
        f.absence = r->absence.stated;
        f.absence_has_end = strchr(r->absence_until, 'T') != NULL; /* a date and a time */
        /* violations come from confident verdicts only: an unsure element
         * counts as said; the greeting needs a person to listen when it
         * would break the policy were an unsure name, unit or organisation
         * not said. The closing prompt never reaches 95 % right on the tune
         * split (docs/verification.md): unsure, it neither breaks the
         * policy nor sends a greeting for review by itself. */
        f.closing_prompt = r->closing.verdict != RV_VERDICT_NOT_STATED;
        for (int pessimist = 0; pessimist < 2; pessimist++) {
            f.name_stated = r->name.verdict == RV_VERDICT_STATED || (!pessimist && r->name.verdict == RV_VERDICT_UNSURE);
            f.unit_stated = r->unit.verdict == RV_VERDICT_STATED || (!pessimist && r->unit.verdict == RV_VERDICT_UNSURE);
            f.org_stated = r->org.verdict == RV_VERDICT_STATED || (!pessimist && r->org.verdict == RV_VERDICT_UNSURE);
            uint32_t v = rv_policy_check(prof, &f);
            if (!pessimist) r->violations = v;
            else r->needs_review = r->violations == 0 && v != 0;
        }
    }
    return RV_OK;
}

void rv_verdict_decide(rv_phrase_check *c, double slope, double min_confidence)
{
    if (c->unpronounceable) { /* never sought: nothing said either way */
        c->verdict = RV_VERDICT_UNSURE;
        c->confidence = 0.5;
        return;
    }
    if (!(c->score > -1e8)) { /* it fits nowhere */
        c->verdict = RV_VERDICT_NOT_STATED;
        c->confidence = 1;
        return;
    }
    double p = 1 / (1 + exp(-slope * (c->score - c->threshold)));
    if (p >= min_confidence) c->verdict = RV_VERDICT_STATED, c->confidence = p;
    else if (1 - p >= min_confidence) c->verdict = RV_VERDICT_NOT_STATED, c->confidence = 1 - p;
    else c->verdict = RV_VERDICT_UNSURE, c->confidence = p > 0.5 ? p : 1 - p;
}

const char *rv_verdict_name(rv_verdict v)
{
    static const char *const names[] = {"not_stated", "stated", "unsure"};
    return (unsigned)v < 3 ? names[v] : "unsure";
}

const char *rv_element_name(rv_element e)
{
    static const char *const names[RV_ELEM__COUNT] = {"name", "unit", "org", "closing"};
    return (unsigned)e < RV_ELEM__COUNT ? names[e] : "";
}

/* What a greeting verdict depends on besides the profile. Bump when the
 * analysis itself changes in a way that changes verdicts. */
#define ANALYSIS_REVISION "rostvakt-analysis-7"

void rv_models_version(const rv_config *cfg, char out[17])
{
    rv_config_fingerprint(cfg, ANALYSIS_REVISION, out);
}

rv_verify_thresholds rv_verify_thresholds_of(const rv_config *cfg)
{
    rv_verify_thresholds th = {.name_min_score = cfg->asr_name_min_score,
                               .name_cohort_weight = cfg->asr_name_cohort_weight,
                               .name_cohort_min_score = cfg->asr_name_cohort_min_score,
                               .phrase_min_score = cfg->asr_phrase_min_score,
                               .phrase_per_char = cfg->asr_phrase_min_score_per_char,
                               .closing_min_score = cfg->asr_closing_min_score,
                               .absence_min_score = cfg->asr_absence_min_score,
                               .date_min_score = cfg->asr_date_min_score,
                               .name_slope = cfg->asr_name_confidence_slope,
                               .phrase_slope = cfg->asr_phrase_confidence_slope,
                               .closing_slope = cfg->asr_closing_confidence_slope,
                               .min_confidence = cfg->verdict_min_confidence,
                               .template_max_distance = cfg->name_template_max_distance,
                               .template_max_posterior_distance = cfg->name_template_max_posterior_distance};
    th.by_codec[RV_CODEC_G711].name = cfg->asr_name_min_score_g711;
    th.by_codec[RV_CODEC_G711].name_cohort = cfg->asr_name_cohort_min_score_g711;
    th.by_codec[RV_CODEC_G711].phrase = cfg->asr_phrase_min_score_g711;
    th.by_codec[RV_CODEC_GSM].name = cfg->asr_name_min_score_gsm;
    th.by_codec[RV_CODEC_GSM].name_cohort = cfg->asr_name_cohort_min_score_gsm;
    th.by_codec[RV_CODEC_GSM].phrase = cfg->asr_phrase_min_score_gsm;
    return th;
}

rv_verify_thresholds rv_verify_thresholds_for(const rv_verify_thresholds *th, rv_codec codec)
{
    rv_verify_thresholds t = *th;
    if (codec == RV_CODEC_G711 || codec == RV_CODEC_GSM) {
        t.name_min_score = th->by_codec[codec].name;
        t.name_cohort_min_score = th->by_codec[codec].name_cohort;
        t.phrase_min_score = th->by_codec[codec].phrase;
    }
    return t;
}

double rv_phrase_threshold(const rv_verify_thresholds *th, const char *text)
{
    size_t chars = 0; /* UTF-8 characters: "förvaltningen" is 13 */
    for (const unsigned char *c = (const unsigned char *)text; c && *c; c++) chars += (*c & 0xC0) != 0x80;
    return th->phrase_min_score + th->phrase_per_char * (double)chars;
}
