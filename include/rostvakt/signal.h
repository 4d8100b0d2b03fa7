/* Signal facts about a recording: levels, noise floor, voice activity,
 * steady tones (beeps, 425 Hz busy and dial tone) and DTMF digits. Built on
 * the STFT of dsp.h; knows nothing of files or speech recognition. */
#ifndef RV_SIGNAL_H
#define RV_SIGNAL_H

#include <stddef.h>

#include "rostvakt/audio.h"
#include "rostvakt/err.h"

typedef struct {
    double start_s, end_s;
} rv_segment;

typedef enum { RV_TONE_BEEP, RV_TONE_BUSY, RV_TONE_DIAL } rv_tone_kind;

typedef struct {
    double start_s, end_s;
    double freq_hz;
    rv_tone_kind kind;
} rv_tone;

typedef struct {
    double start_s, end_s;
    char digit; /* 0-9, *, #, A-D */
} rv_dtmf;

typedef struct {
    double duration_s;
    double speech_s;           /* sum of speech segments */
    double leading_silence_s;  /* before the first speech (all of it if none) */
    double trailing_silence_s; /* after the last speech */
    double peak_dbfs;          /* -inf reported as -120 */
    double rms_dbfs;
    double clipping_ratio;     /* share of samples at full scale */
    double noise_floor_dbfs;   /* 10th percentile of frame levels */
    double loud_dbfs;          /* 95th percentile of frame levels */
    double snr_db;             /* speech level over the floor; NAN if no speech */
    double silent_s;           /* frames under the silence threshold */
    double tone_s, dtmf_s;     /* frames classed as tone or DTMF */
    double other_s;            /* audible, but neither speech, tone nor DTMF */
    double flatness;           /* mean spectral flatness of audible frames */
    rv_segment *speech; size_t n_speech;  /* owned */
    rv_tone *tones;     size_t n_tones;   /* owned */
    rv_dtmf *dtmf;      size_t n_dtmf;    /* owned */
} rv_signal;

/* Analyse pcm at its own rate. Frames quieter than silence_dbfs are silent.
 * On RV_OK the caller owns out's arrays (rv_signal_free); on error *out is
 * zeroed. An empty pcm gives an all-zero result. Thread-safe. */
RV_MUST_USE rv_err rv_signal_analyze(const rv_pcm *pcm, double silence_dbfs, rv_signal *out,
                                     rv_error *err);

void rv_signal_free(rv_signal *s);

/* "beep", "busy", "dial". */
const char *rv_tone_kind_name(rv_tone_kind k);

#endif
