/* The missing-greeting verdict: combines the decoder, the signal facts and
 * the fingerprint search. The decision rules live in decide(). */
#include "rostvakt/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Less audible time than this is silence whatever else is found. */
#define MIN_AUDIBLE_S 0.1

const char *rv_missing_reason_name(rv_missing_reason r)
{
    switch (r) {
    case RV_MISSING_NONE: return NULL;
    case RV_MISSING_EMPTY: return "empty_recording";
    case RV_MISSING_SILENCE: return "silence";
    case RV_MISSING_NOISE: return "noise";
    case RV_MISSING_TONE: return "tone";
    case RV_MISSING_DTMF: return "dtmf";
    case RV_MISSING_SYSTEM_PROMPT: return "system_prompt";
    case RV_MISSING_TOO_LITTLE_SPEECH: return "too_little_speech";
    }
    return NULL;
}

const char *rv_kind_name(rv_kind k) { return k == RV_KIND_VOICEMAIL ? "voicemail" : "greeting"; }

int rv_kind_parse(const char *s)
{
    if (strcmp(s, "greeting") == 0) return RV_KIND_GREETING;
    if (strcmp(s, "voicemail") == 0) return RV_KIND_VOICEMAIL;
    return -1;
}

void rv_report_free(rv_report *r)
{
    if (!r) return;
    rv_signal_free(&r->signal);
    free(r->phrases);
    r->phrases = NULL;
    free(r->keywords);
    r->keywords = NULL;
    r->n_keywords = 0;
    r->n_phrases = 0;
}

/* Why there is too little speech: whatever filled most of the audible time. */
static rv_missing_reason dominant(const rv_config *cfg, const rv_signal *s)
{
    double audible = s->duration_s - s->silent_s;
    if (audible < MIN_AUDIBLE_S) return RV_MISSING_SILENCE;
    if (s->speech_s <= 0 && s->tone_s <= 0 && s->dtmf_s <= 0 && s->loud_dbfs < cfg->quiet_dbfs)
        return RV_MISSING_SILENCE; /* a faint line, nothing a caller would hear */
    rv_missing_reason r = RV_MISSING_TOO_LITTLE_SPEECH;
    double most = s->speech_s;
    if (s->tone_s > most) { most = s->tone_s; r = RV_MISSING_TONE; }
    if (s->dtmf_s > most) { most = s->dtmf_s; r = RV_MISSING_DTMF; }
    if (s->other_s > most) { most = s->other_s; r = RV_MISSING_NOISE; }
    if (r == RV_MISSING_TOO_LITTLE_SPEECH && s->speech_s <= 0) r = RV_MISSING_NOISE;
    return r;
}

static void decide(const rv_config *cfg, rv_report *r)
{
    const rv_signal *s = &r->signal;
    double min_speech = r->kind == RV_KIND_GREETING ? cfg->greeting_min_speech_s
                                                    : cfg->voicemail_min_speech_s;
    r->missing = 1;
    if (s->duration_s <= 0) r->reason = RV_MISSING_EMPTY;
    else if (r->prompt_found) r->reason = RV_MISSING_SYSTEM_PROMPT;
    else if (s->speech_s < min_speech || s->speech_s <= 0) r->reason = dominant(cfg, s);
    else { r->missing = 0; r->reason = RV_MISSING_NONE; }
    if (r->kind == RV_KIND_VOICEMAIL)
        r->vm_class = rv_classify_voicemail(!r->missing, s->speech_s, 0,
                                            cfg->voicemail_long_speech_s, &r->vm_reasons);
}

rv_err rv_analyze_pcm(const rv_analyzer *a, const rv_pcm *pcm, rv_kind kind,
                      rv_report *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->rate = pcm->source_rate ? pcm->source_rate : pcm->rate;
    out->channels = pcm->channels;
    out->bytes = pcm->bytes;
    memcpy(out->format, pcm->format, sizeof out->format);
    out->codec = pcm->codec;
    rv_err rc = rv_signal_analyze(pcm, a->cfg->silence_dbfs, &out->signal, err);
    if (rc != RV_OK) goto done;
    if (kind == RV_KIND_GREETING && a->prompts && pcm->n > 0) {
        rc = rv_fpdb_match(a->prompts, pcm, a->cfg->prompt_max_seconds,
                           a->cfg->prompt_min_score, (size_t)a->cfg->prompt_min_hashes,
                           &out->prompt, err);
        if (rc != RV_OK) goto done;
        out->prompt_found = out->prompt.name[0] != '\0';
    }
    decide(a->cfg, out);
done:
    if (rc != RV_OK) {
        rv_report_free(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

rv_err rv_analyze_bytes(const rv_analyzer *a, const void *bytes, size_t len,
                        rv_audio_hint hint, rv_kind kind, rv_report *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_audio_limits lim = {a->cfg->max_audio_bytes, a->cfg->max_audio_seconds};
    rv_pcm pcm;
    rv_err rc = rv_audio_decode(bytes, len, hint, &lim, &pcm, err);
    if (rc != RV_OK) return rc;
    rc = rv_analyze_pcm(a, &pcm, kind, out, err);
    rv_pcm_free(&pcm);
    return rc;
}

rv_fpdb *rv_prompts_load(const rv_config *cfg, FILE *warn)
{
    rv_fpdb *db = rv_fpdb_new();
    if (!db) return NULL;
    rv_audio_limits lim = {cfg->max_audio_bytes, cfg->max_audio_seconds};
    rv_fp_load_report rep;
    rv_error err;
    rv_error_clear(&err);
    if (rv_fpdb_load(db, cfg->prompt_refs, &lim, cfg->prompt_min_ref_seconds, &rep, &err) != RV_OK && warn)
        fprintf(warn, "rostvakt: warning: reference prompts: %s\n", err.msg);
    if (rep.skipped && warn)
        fprintf(warn, "rostvakt: warning: %zu reference prompt(s) skipped; first: %s\n", rep.skipped,
                rep.first_problem);
    if (rep.loaded == 0 && cfg->prompt_refs[0] && warn)
        fprintf(warn,
                "rostvakt: warning: no reference prompts found at '%s': system_prompt "
                "detection is off (install asterisk-core-sounds-en-wav or set prompt_refs)\n",
                cfg->prompt_refs);
    return db;
}
