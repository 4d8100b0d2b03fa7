/* Landmark audio fingerprints (pairs of spectral peaks) of the PBX's own
 * default prompts, and the search for them inside a recording. Robust to
 * G.711/GSM coding, level changes and moderate added noise. */
#ifndef RV_FINGERPRINT_H
#define RV_FINGERPRINT_H

#include <stddef.h>

#include "rostvakt/audio.h"
#include "rostvakt/err.h"

typedef struct rv_fpdb rv_fpdb;

typedef struct {
    char name[128];       /* reference file name without directory */
    double score;         /* matched hashes / the reference's hashes */
    size_t matched;       /* hashes agreeing on one time offset */
    size_t ref_hashes;
    double at_s;          /* where the reference starts in the recording */
    double ref_seconds;   /* the reference's length */
} rv_fp_match;

typedef struct {
    size_t loaded, skipped;
    char first_problem[320]; /* why the first skipped file was skipped */
} rv_fp_load_report;

/* A new, empty database (rv_fpdb_free). NULL when out of memory. */
rv_fpdb *rv_fpdb_new(void);
void rv_fpdb_free(rv_fpdb *db);

/* Fingerprint pcm (any rate) and add it under name. Not thread-safe; build
 * the database before sharing it. */
RV_MUST_USE rv_err rv_fpdb_add(rv_fpdb *db, const char *name, const rv_pcm *pcm, rv_error *err);

/* Add every audio file named by spec: ':'-separated directories (all files
 * in them) or glob patterns. Files that cannot be decoded or are shorter than
 * min_seconds are skipped and counted in rep. A pattern that matches nothing
 * is not an error. */
RV_MUST_USE rv_err rv_fpdb_load(rv_fpdb *db, const char *spec, const rv_audio_limits *lim,
                                double min_seconds, rv_fp_load_report *rep, rv_error *err);

size_t rv_fpdb_count(const rv_fpdb *db);

/* Find the reference that best explains part of pcm (its first max_seconds).
 * best->name is "" when nothing reaches min_score and min_hashes; best->score
 * is still the highest seen. Thread-safe on a database no longer modified. */
RV_MUST_USE rv_err rv_fpdb_match(const rv_fpdb *db, const rv_pcm *pcm, double max_seconds,
                                 double min_score, size_t min_hashes, rv_fp_match *best,
                                 rv_error *err);

#endif
