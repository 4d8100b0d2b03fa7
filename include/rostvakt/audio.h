/* Audio decoding (from memory or a path) to mono float samples, and
 * resampling. Owns libsndfile and libsamplerate; nothing else includes them. */
#ifndef RV_AUDIO_H
#define RV_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#include "rostvakt/err.h"

/* The telephone codec a recording was encoded with, from its header (or the
 * headerless hint): the phrase thresholds depend on it (rv_verify_thresholds). */
typedef enum {
    RV_CODEC_OTHER = 0, /* linear PCM, FLAC, anything else: no known codec */
    RV_CODEC_G711,      /* G.711 mu-law or A-law */
    RV_CODEC_GSM,       /* GSM 06.10 */
    RV_CODECS
} rv_codec;

/* Mono samples in [-1, 1] at the recording's own rate, or at
 * RV_AUDIO_DECODE_RATE for recordings above it. */
typedef struct {
    float *samples;   /* owned; rv_pcm_free releases it */
    size_t n;         /* number of samples (0 for an empty recording) */
    int rate;         /* samples per second */
    int source_rate;  /* the recording's own rate (0: as rate) */
    int channels;     /* channels in the source before the downmix */
    char format[96];  /* human-readable container and encoding */
    size_t bytes;     /* size of the encoded input */
    rv_codec codec;   /* the codec the samples were decoded from */
} rv_pcm;

/* How to read bytes that carry no header. */
typedef enum {
    RV_AUDIO_AUTO = 0,   /* detect from the header */
    RV_AUDIO_RAW_ULAW,   /* headerless 8 kHz G.711 mu-law (.ul, audio/basic) */
    RV_AUDIO_RAW_ALAW,   /* headerless 8 kHz G.711 A-law (.al) */
    RV_AUDIO_RAW_GSM     /* headerless 8 kHz GSM 06.10 frames (.gsm, audio/x-gsm: Asterisk's "gsm" format) */
} rv_audio_hint;

typedef struct {
    int64_t max_bytes;    /* larger input fails with RV_ERR_TOO_LARGE */
    double max_seconds;   /* longer audio fails with RV_ERR_TOO_LONG */
} rv_audio_limits;

/* Recordings at a higher sample rate are refused (RV_ERR_AUDIO_FORMAT), so
 * that decoding one is bounded by max_seconds at this rate. */
#define RV_AUDIO_MAX_RATE 48000
/* Recordings above this rate are resampled to it while they are decoded:
 * the analysis needs no more than 16 kHz, and memory stays bounded by
 * max_seconds at this rate. */
#define RV_AUDIO_DECODE_RATE 16000

/* Decode an in-memory recording. Zero bytes is not an error: it yields an
 * empty rv_pcm (n == 0, format "empty"). On RV_OK the caller owns out->samples
 * (rv_pcm_free). On error *out is zeroed and err->msg names the format, limit
 * or defect: RV_ERR_TOO_LARGE, RV_ERR_TOO_LONG, RV_ERR_AUDIO_FORMAT (not audio,
 * unknown container), RV_ERR_AUDIO_TRUNCATED (fewer bytes than the header
 * promises), RV_ERR_AUDIO_CORRUPT. Thread-safe. */
RV_MUST_USE rv_err rv_audio_decode(const void *bytes, size_t len, rv_audio_hint hint,
                                   const rv_audio_limits *lim, rv_pcm *out, rv_error *err);

/* Whether rv_audio_decode would succeed, without decoding when it need not:
 * for uncompressed and G.711 data with a known length, the header and that
 * the data is all there; anything else is decoded and dropped. The same
 * errors as rv_audio_decode. Thread-safe. */
RV_MUST_USE rv_err rv_audio_check(const void *bytes, size_t len, rv_audio_hint hint, const rv_audio_limits *lim,
                                  rv_error *err);

/* 1 when rv_audio_check of these bytes reads headers only (G.711 and linear
 * PCM with a known length, or bytes it refuses at once); 0 when it must
 * decode them (FLAC, Ogg, GSM, ADPCM), which takes time. */
int rv_audio_is_quick(const void *bytes, size_t len, rv_audio_hint hint);

/* Read a file (refusing one larger than lim->max_bytes before reading it) and
 * decode it as rv_audio_decode does. RV_ERR_IO when it cannot be read. */
RV_MUST_USE rv_err rv_audio_decode_file(const char *path, rv_audio_hint hint,
                                        const rv_audio_limits *lim, rv_pcm *out, rv_error *err);

/* Resample in to rate into a new out (same ownership rule). fast selects a
 * cheaper filter, good enough for analysis but not for speech recognition. */
RV_MUST_USE rv_err rv_audio_resample(const rv_pcm *in, int rate, int fast, rv_pcm *out,
                                     rv_error *err);

/* Release the samples; accepts NULL and an already freed pcm. */
void rv_pcm_free(rv_pcm *pcm);

/* The hint a file name's extension implies (".ul" → RAW_ULAW ...). */
rv_audio_hint rv_audio_hint_for_path(const char *path);

/* The hint an HTTP Content-Type implies: audio/basic is headerless µ-law,
 * anything else says what it is itself. */
rv_audio_hint rv_audio_hint_for_type(const char *content_type);

#endif
