/* Decoding with libsndfile's virtual I/O and resampling with libsamplerate.
 * Everything from the input is distrusted: sizes in headers are checked
 * against the bytes present and buffers grow only as samples really arrive. */
#include "rostvakt/audio.h"

#include "rostvakt/fileio.h"

#include <ctype.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const unsigned char *data;
    sf_count_t len;
    sf_count_t pos;
} membuf;

static sf_count_t vio_len(void *user) { return ((membuf *)user)->len; }

static sf_count_t vio_seek(sf_count_t off, int whence, void *user)
{
    membuf *m = user;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
    sf_count_t p = base + off;
    if (p < 0) p = 0;
    if (p > m->len) p = m->len;
    m->pos = p;
    return p;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    membuf *m = user;
    if (count < 0) return 0;
    sf_count_t left = m->len - m->pos;
    if (count > left) count = left;
    memcpy(ptr, m->data + m->pos, (size_t)count);
    m->pos += count;
    return count;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr; (void)count; (void)user;
    return 0;
}

static sf_count_t vio_tell(void *user) { return ((membuf *)user)->pos; }

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

/* libsndfile quietly shortens a data chunk that claims more bytes than the
 * file holds; a PBX upload cut short must instead be reported. Sizes of 0 and
 * 0xFFFFFFFF are the placeholders streaming writers use and are accepted. */
static rv_err check_declared_length(const unsigned char *b, size_t len, rv_error *err)
{
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0) {
        size_t pos = 12;
        while (pos + 8 <= len) {
            uint32_t size = le32(b + pos + 4);
            if (memcmp(b + pos, "data", 4) == 0) {
                size_t have = len - pos - 8;
                if (size != 0 && size != 0xFFFFFFFFu && size > have)
                    return rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                                        "WAV header declares %lu bytes of audio data but "
                                        "only %zu are present (truncated upload?)",
                                        (unsigned long)size, have);
                return RV_OK;
            }
            if ((uint64_t)size + 8 > len - pos) {
                char id[5]; /* the chunk's id as text: its bytes may be anything */
                for (int i = 0; i < 4; i++) id[i] = b[pos + i] >= 0x20 && b[pos + i] < 0x7f ? (char)b[pos + i] : '?';
                id[4] = '\0';
                return rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                                    "WAV chunk '%s' declares %lu bytes but the file "
                                    "ends before them",
                                    id, (unsigned long)size);
            }
            pos += 8 + size + (size & 1u);
        }
        return rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                            "WAV file ends before its data chunk");
    } else if (len >= 24 && memcmp(b, ".snd", 4) == 0) {
        uint32_t off = be32(b + 4), size = be32(b + 8);
        if (off > len)
            return rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                                "AU header points to data at byte %lu beyond the end",
                                (unsigned long)off);
        if (size != 0xFFFFFFFFu && size > len - off)
            return rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                                "AU header declares %lu bytes of audio data but only "
                                "%zu are present",
                                (unsigned long)size, len - off);
    }
    return RV_OK;
}

/* Printable ASCII or valid UTF-8 text, as a misdirected upload would be. */
static int looks_like_text(const unsigned char *b, size_t len)
{
    size_t n = len < 512 ? len : 512, good = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = b[i];
        size_t extra = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
        if (c < 0x80) {
            if (isprint(c) || isspace(c)) good++;
            i++;
            continue;
        }
        if (extra == 0 || (c >= 0xF5)) { i++; continue; }
        size_t k = 1;
        while (k <= extra && i + k < n && (b[i + k] & 0xC0) == 0x80) k++;
        if (k == extra + 1) good += k;
        i += k;
    }
    return n > 0 && good * 100 >= n * 97;
}

static void describe_format(SNDFILE *sf, const SF_INFO *info, char *out, size_t cap)
{
    SF_FORMAT_INFO major = {.format = info->format & SF_FORMAT_TYPEMASK};
    SF_FORMAT_INFO sub = {.format = info->format & SF_FORMAT_SUBMASK};
    const char *mn = "unknown container", *sn = "unknown encoding";
    if (sf_command(sf, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.name)
        mn = major.name;
    if (sf_command(sf, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name)
        sn = sub.name;
    snprintf(out, cap, "%s, %s", mn, sn);
}

void rv_pcm_free(rv_pcm *pcm)
{
    if (!pcm) return;
    free(pcm->samples);
    pcm->samples = NULL;
    pcm->n = 0;
}

/* Every byte of these is a sample: a recording whose data is all there
 * cannot fail to decode later. */
static int fixed_width(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: case SF_FORMAT_PCM_16: case SF_FORMAT_PCM_24:
    case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: case SF_FORMAT_DOUBLE: case SF_FORMAT_ULAW:
    case SF_FORMAT_ALAW:
        return 1;
    default:
        return 0;
    }
}

static rv_err decode(const void *bytes, size_t len, rv_audio_hint hint, const rv_audio_limits *lim, rv_pcm *out,
                     int check_only, rv_error *err);

rv_err rv_audio_decode(const void *bytes, size_t len, rv_audio_hint hint,
                       const rv_audio_limits *lim, rv_pcm *out, rv_error *err)
{
    return decode(bytes, len, hint, lim, out, 0, err);
}

static rv_audio_hint by_header(const unsigned char *b, size_t len, rv_audio_hint hint);

int rv_audio_is_quick(const void *bytes, size_t len, rv_audio_hint hint)
{
    hint = by_header(bytes, len, hint);
    if (len == 0 || !bytes || hint == RV_AUDIO_RAW_ULAW || hint == RV_AUDIO_RAW_ALAW) return 1;
    if (hint == RV_AUDIO_RAW_GSM) return 0; /* every frame must be decoded to know */
    SF_INFO info;
    memset(&info, 0, sizeof info);
    membuf mb = {bytes, (sf_count_t)len, 0};
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &mb);
    if (!sf) return 1; /* refused at once */
    int major = info.format & SF_FORMAT_TYPEMASK; /* FLAC says PCM_16 of what it decodes to */
    int quick = fixed_width(info.format) && major != SF_FORMAT_FLAC && major != SF_FORMAT_OGG && info.frames > 0 &&
                info.frames != SF_COUNT_MAX;
    sf_close(sf);
    return quick;
}

rv_err rv_audio_check(const void *bytes, size_t len, rv_audio_hint hint, const rv_audio_limits *lim,
                      rv_error *err)
{
    rv_pcm pcm;
    rv_err rc = decode(bytes, len, hint, lim, &pcm, 1, err);
    rv_pcm_free(&pcm);
    return rc;
}

/* The container b begins like ("WAV", "FLAC", ...), or NULL. */
static const char *container_of(const unsigned char *b, size_t len)
{
    static const char *const magic[][2] = {
        {"RIFF", "WAV"}, {".snd", "AU"}, {"fLaC", "FLAC"}, {"OggS", "Ogg"}, {"FORM", "AIFF"}};
    for (size_t i = 0; i < sizeof magic / sizeof magic[0]; i++)
        if (len >= 4 && memcmp(b, magic[i][0], 4) == 0) return magic[i][1];
    return NULL;
}

/* A file with a header of its own declared as headerless audio (a PBX
 * that sends WAV as audio/x-gsm, an AU file as audio/basic) is decoded by
 * its header: read as raw samples it would be noise. */
static rv_audio_hint by_header(const unsigned char *b, size_t len, rv_audio_hint hint)
{
    return hint != RV_AUDIO_AUTO && b && container_of(b, len) ? RV_AUDIO_AUTO : hint;
}

static rv_err decode(const void *bytes, size_t len, rv_audio_hint hint, const rv_audio_limits *lim, rv_pcm *out,
                     int check_only, rv_error *err)
{
    const unsigned char *b = bytes;
    SNDFILE *sf = NULL;
    SRC_STATE *src = NULL;
    float *buf = NULL, *mono = NULL, *tmp = NULL;
    rv_err rc = RV_OK;

    memset(out, 0, sizeof *out);
    hint = by_header(b, len, hint);
    if (lim && lim->max_bytes > 0 && (uint64_t)len > (uint64_t)lim->max_bytes)
        return rv_error_set(err, RV_ERR_TOO_LARGE,
                            "recording is %zu bytes; the limit is %lld bytes", len,
                            (long long)lim->max_bytes);
    if (len == 0) {
        out->rate = 8000;
        out->channels = 1;
        snprintf(out->format, sizeof out->format, "empty");
        return RV_OK;
    }
    if (!bytes) return rv_error_set(err, RV_ERR_ARG, "no audio bytes given");

    SF_INFO info;
    memset(&info, 0, sizeof info);
    if (hint == RV_AUDIO_RAW_ULAW || hint == RV_AUDIO_RAW_ALAW || hint == RV_AUDIO_RAW_GSM) {
        info.samplerate = 8000;
        info.channels = 1;
        info.format = SF_FORMAT_RAW | (hint == RV_AUDIO_RAW_ULAW   ? SF_FORMAT_ULAW
                                       : hint == RV_AUDIO_RAW_ALAW ? SF_FORMAT_ALAW
                                                                   : SF_FORMAT_GSM610);
    } else {
        rc = check_declared_length(b, len, err);
        if (rc != RV_OK) return rc;
    }

    membuf mb = {b, (sf_count_t)len, 0};
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    sf = sf_open_virtual(&vio, SFM_READ, &info, &mb);
    if (!sf) {
        const char *container = container_of(b, len);
        if (container)
            rc = rv_error_set(err, RV_ERR_AUDIO_CORRUPT, "damaged %s header: %s", container,
                              sf_strerror(NULL));
        else if (looks_like_text(b, len))
            rc = rv_error_set(err, RV_ERR_AUDIO_FORMAT,
                              "not audio: the %zu bytes look like text", len);
        else
            rc = rv_error_set(err, RV_ERR_AUDIO_FORMAT,
                              "not a recognised audio format (%s)", sf_strerror(NULL));
        goto done;
    }
    if (info.channels < 1 || info.channels > 16 || info.samplerate < 2000 ||
        info.samplerate > 384000) {
        rc = rv_error_set(err, RV_ERR_AUDIO_CORRUPT,
                          "implausible header: %d channels at %d Hz", info.channels,
                          info.samplerate);
        goto done;
    }
    /* a few hundred KB of FLAC at 384 kHz would decode to gigabytes: the
     * telephone needs no more than 48 kHz */
    if (info.samplerate > RV_AUDIO_MAX_RATE) {
        rc = rv_error_set(err, RV_ERR_AUDIO_FORMAT, "%d Hz: recordings above %d Hz are not accepted",
                          info.samplerate, RV_AUDIO_MAX_RATE);
        goto done;
    }
    describe_format(sf, &info, out->format, sizeof out->format);
    switch (info.format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_ULAW: case SF_FORMAT_ALAW: out->codec = RV_CODEC_G711; break;
    case SF_FORMAT_GSM610: out->codec = RV_CODEC_GSM; break;
    default: out->codec = RV_CODEC_OTHER;
    }

    double max_s = lim && lim->max_seconds > 0 ? lim->max_seconds : 1e9;
    sf_count_t cap = (sf_count_t)(max_s * info.samplerate);
    if (info.frames > 0 && info.frames != SF_COUNT_MAX && info.frames > cap) {
        rc = rv_error_set(err, RV_ERR_TOO_LONG,
                          "recording is %.1f s long; the limit is %.0f s",
                          (double)info.frames / info.samplerate, max_s);
        goto done;
    }

    if (check_only && fixed_width(info.format) && info.frames > 0 && info.frames != SF_COUNT_MAX) {
        /* the last frame is there, so every one is */
        float last[16];
        if (sf_seek(sf, info.frames - 1, SEEK_SET) != info.frames - 1 || sf_readf_float(sf, last, 1) != 1)
            rc = rv_error_set(err, RV_ERR_AUDIO_TRUNCATED, "%s: header promises %lld samples but the data is shorter",
                              out->format, (long long)info.frames);
        goto done;
    }

    /* Grow as samples arrive, so a header that lies cannot force a big
     * allocation; a chunk at a time, downmixing as we go. Recordings above
     * RV_AUDIO_DECODE_RATE are resampled to it as they stream, so that the
     * samples kept are bounded by max_seconds at that rate whatever the
     * recording's own. */
    const sf_count_t chunk = 4096;
    size_t mono_cap = 0, n = 0, frames = 0;
    int out_rate = info.samplerate;
    double ratio = 1;
    if (info.samplerate > RV_AUDIO_DECODE_RATE) {
        int se = 0;
        if (!(src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &se))) {
            rc = rv_error_set(err, RV_ERR_NOMEM, "cannot resample: %s", src_strerror(se));
            goto done;
        }
        out_rate = RV_AUDIO_DECODE_RATE;
        ratio = (double)out_rate / info.samplerate;
    }
    buf = malloc((size_t)chunk * (size_t)info.channels * sizeof *buf);
    tmp = malloc((size_t)chunk * sizeof *tmp);
    if (!buf || !tmp) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
    for (int last = 0; !last;) {
        sf_count_t got = sf_readf_float(sf, buf, chunk);
        if (got <= 0) {
            if (!src) break;
            got = 0, last = 1; /* the resampler's tail */
        }
        if ((sf_count_t)frames + got > cap) {
            rc = rv_error_set(err, RV_ERR_TOO_LONG,
                              "recording is longer than the limit of %.0f s", max_s);
            goto done;
        }
        size_t room = src ? (size_t)((double)got * ratio) + 256 : (size_t)got;
        if (n + room > mono_cap) {
            size_t nc = mono_cap ? mono_cap * 2 : (size_t)chunk * 16;
            while (nc < n + room) nc *= 2;
            float *nm = realloc(mono, nc * sizeof *nm);
            if (!nm) { rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory"); goto done; }
            mono = nm;
            mono_cap = nc;
        }
        float *dst = src ? tmp : mono + n;
        for (sf_count_t i = 0; i < got; i++) {
            float s = 0;
            for (int c = 0; c < info.channels; c++) s += buf[i * info.channels + c];
            s /= (float)info.channels;
            if (s != s) s = 0; /* NaN in float WAV */
            if (s > 1.0f) s = 1.0f;
            if (s < -1.0f) s = -1.0f;
            dst[i] = s;
        }
        frames += (size_t)got;
        if (!src) {
            n += (size_t)got;
            continue;
        }
        SRC_DATA d = {.data_in = tmp, .data_out = mono + n, .input_frames = (long)got,
                      .output_frames = (long)(mono_cap - n), .end_of_input = last, .src_ratio = ratio};
        int se = src_process(src, &d);
        if (se != 0) {
            rc = rv_error_set(err, RV_ERR_INTERNAL, "resampling failed: %s", src_strerror(se));
            goto done;
        }
        n += (size_t)d.output_frames_gen;
    }
    int sferr = sf_error(sf);
    if (info.frames > 0 && info.frames != SF_COUNT_MAX && (sf_count_t)frames < info.frames) {
        rc = rv_error_set(err, RV_ERR_AUDIO_TRUNCATED,
                          "%s: header promises %lld samples but the data ends after %zu (%s)",
                          out->format, (long long)info.frames, frames,
                          sferr ? sf_strerror(sf) : "no more data");
        goto done;
    }
    if (sferr != SF_ERR_NO_ERROR) {
        rc = rv_error_set(err, RV_ERR_AUDIO_CORRUPT, "%s: decoding failed after %zu samples: %s",
                          out->format, frames, sf_strerror(sf));
        goto done;
    }
    out->samples = mono;
    out->bytes = len;
    mono = NULL;
    out->n = n;
    out->rate = out_rate;
    out->source_rate = info.samplerate;
    out->channels = info.channels;

done:
    if (sf) sf_close(sf);
    if (src) src_delete(src);
    free(buf);
    free(tmp);
    free(mono);
    if (rc != RV_OK) memset(out, 0, sizeof *out);
    return rc;
}

rv_err rv_audio_decode_file(const char *path, rv_audio_hint hint,
                            const rv_audio_limits *lim, rv_pcm *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    unsigned char *data;
    size_t len;
    rv_err rc = rv_file_read(path, lim ? lim->max_bytes : 0, &data, &len, err);
    if (rc != RV_OK) return rc;
    rc = rv_audio_decode(data, len, hint, lim, out, err);
    free(data);
    return rc;
}

rv_err rv_audio_resample(const rv_pcm *in, int rate, int fast, rv_pcm *out,
                         rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (rate < 1000 || rate > 384000 || in->rate < 1000)
        return rv_error_set(err, RV_ERR_ARG, "cannot resample %d Hz to %d Hz", in->rate, rate);
    *out = *in;
    out->samples = NULL;
    out->rate = rate;
    if (in->n == 0) return RV_OK;
    double ratio = (double)rate / in->rate;
    size_t cap = (size_t)((double)in->n * ratio) + 16;
    out->samples = malloc(cap * sizeof *out->samples);
    if (!out->samples) {
        memset(out, 0, sizeof *out);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    if (rate == in->rate) {
        memcpy(out->samples, in->samples, in->n * sizeof *in->samples);
        out->n = in->n;
        return RV_OK;
    }
    SRC_DATA d = {
        .data_in = in->samples,
        .data_out = out->samples,
        .input_frames = (long)in->n,
        .output_frames = (long)cap,
        .src_ratio = ratio,
    };
    int e = src_simple(&d, fast ? SRC_SINC_FASTEST : SRC_SINC_MEDIUM_QUALITY, 1);
    if (e != 0) {
        rv_pcm_free(out);
        memset(out, 0, sizeof *out);
        return rv_error_set(err, RV_ERR_INTERNAL, "resampling failed: %s", src_strerror(e));
    }
    out->n = (size_t)d.output_frames_gen;
    return RV_OK;
}

rv_audio_hint rv_audio_hint_for_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return RV_AUDIO_AUTO;
    if (strcasecmp(dot, ".ul") == 0 || strcasecmp(dot, ".ulaw") == 0 ||
        strcasecmp(dot, ".mulaw") == 0 || strcasecmp(dot, ".pcmu") == 0)
        return RV_AUDIO_RAW_ULAW;
    if (strcasecmp(dot, ".al") == 0 || strcasecmp(dot, ".alaw") == 0 ||
        strcasecmp(dot, ".pcma") == 0)
        return RV_AUDIO_RAW_ALAW;
    if (strcmp(dot, ".gsm") == 0) return RV_AUDIO_RAW_GSM; /* Asterisk's; WAV49 is .WAV */
    return RV_AUDIO_AUTO;
}

rv_audio_hint rv_audio_hint_for_type(const char *content_type)
{
    if (content_type && strcasecmp(content_type, "audio/basic") == 0) return RV_AUDIO_RAW_ULAW;
    if (content_type && strcasecmp(content_type, "audio/x-gsm") == 0) return RV_AUDIO_RAW_GSM;
    return RV_AUDIO_AUTO;
}
