/* The store's audio: append-only segment files in audio/, the index that
 * maps each SHA-256 to its segment, offset and length, disposal's erasures,
 * and the clean-up of what a crash left behind. Rows that name a recording
 * are the table files'; the database itself is store_sqlite.c's. */
#include "store_int.h"

#include "rostvakt/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A segment is closed for appending once it holds this much. */
#define SEGMENT_MAX (256LL << 20)

void rv_audio_init(rv_store *s)
{
    s->seg.fd = -1;
    pthread_mutex_init(&s->seg.lock, NULL);
}

void rv_audio_fini(rv_store *s)
{
    free(s->staged);
    if (s->seg.fd >= 0) close(s->seg.fd);
    pthread_mutex_destroy(&s->seg.lock);
}

int rv_hexn(const char *h, size_t n)
{
    if (!h || strlen(h) != n) return 0;
    for (const char *c = h; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return 0;
    return 1;
}

static int is_hex64(const char *h) { return rv_hexn(h, RV_SHA256_HEX); }

void rv_audio_sha256(const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1], int *ok)
{
    unsigned char h[32];
    unsigned int hl = 0;
    *ok = EVP_Digest(bytes, len, h, &hl, EVP_sha256(), NULL) == 1 && hl == 32;
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", *ok ? h[i] : 0);
}

/* The end of the last indexed recording in segment name; -1 on error. */
static long long indexed_end(rv_store *s, const char *name)
{
    return rv_sql_int1(s, "SELECT coalesce(max(at + len), 0) FROM audio WHERE segment = ?1", V_ARGS(V_TEXT(name)));
}

/* A segment nobody appends to (its writer holds an exclusive lock on it
 * while it lives): cut what follows its last indexed recording, and remove
 * it when nothing in it is indexed. */
static void trim_segment(rv_store *s, const char *audio_dir, const char *file)
{
    char name[24], path[4500];
    snprintf(name, sizeof name, "%.16s", file);
    snprintf(path, sizeof path, "%s/%s", audio_dir, file);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    long long end = -1;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 && (end = indexed_end(s, name)) >= 0) {
        if (end == 0) {
            if (unlink(path) == 0) rv_sync_folder(audio_dir);
        } else if (end < st.st_size && ftruncate(fd, end) == 0) {
            fsync(fd);
        }
    }
    close(fd);
}

void rv_store_remove_leftovers(rv_store *s)
{
    long failed;
    rv_error fe;
    /* what a disposal left undone; what fails stays recorded, and the sweep
     * tries again and reports it */
    if (rv_store_finish_erasures(s, &failed, &fe) != RV_OK || failed)
        fprintf(stderr, "rostvakt: %ld recorded erasures not finished yet: %s\n", failed, fe.msg);
    char audio_dir[4200];
    snprintf(audio_dir, sizeof audio_dir, "%s/audio", s->dir);
    DIR *d = opendir(audio_dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (nl == 20 && strcmp(e->d_name + 16, ".seg") == 0) {
            char hex[17];
            snprintf(hex, sizeof hex, "%.16s", e->d_name);
            if (rv_hexn(hex, 16)) trim_segment(s, audio_dir, e->d_name);
            continue;
        }
        if (strncmp(e->d_name, ".tmp-seg-", 9) == 0) { /* a segment that never got its name */
            char path[4500];
            snprintf(path, sizeof path, "%s/%s", audio_dir, e->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) unlink(path);
            if (fd >= 0) close(fd);
            continue;
        }
        if (e->d_name[0] == '.' || nl != 2) continue;
        /* audio/<aa>/: recordings of schema 4 and older, one file each */
        char sub[4500];
        snprintf(sub, sizeof sub, "%s/%s", audio_dir, e->d_name);
        DIR *sd = opendir(sub);
        if (!sd) continue;
        struct dirent *f;
        while ((f = readdir(sd)))
            if (strncmp(f->d_name, ".tmp-", 5) == 0) {
                char path[4800];
                snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
                unlink(path);
            }
        closedir(sd);
    }
    closedir(d);
}

/* A new segment for g, locked for as long as the store lives (so start-up
 * clean-up leaves it alone), created under a temporary name and renamed, the
 * directory fsync'ed. Called with g->lock held. */
static rv_err new_segment(rv_store *s, rv_seg_file *g, rv_error *err)
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return rv_error_set(err, RV_ERR_IO, "no random bytes for a segment name: %s", strerror(errno));
    char name[24], dir[4200], tmp[4300], path[4300];
    for (int i = 0; i < 8; i++) snprintf(name + 2 * i, 3, "%02x", r[i]);
    snprintf(dir, sizeof dir, "%s/audio", s->dir);
    snprintf(tmp, sizeof tmp, "%s/.tmp-seg-%s", dir, name);
    snprintf(path, sizeof path, "%s/%s.seg", dir, name);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return rv_error_set(err, RV_ERR_IO, "cannot create a segment in %s: %s", dir, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || rename(tmp, path) != 0 || rv_sync_folder(dir) != 0) {
        int e = errno;
        unlink(tmp);
        close(fd);
        return rv_error_set(err, RV_ERR_IO, "cannot create a segment in %s: %s", dir, strerror(e));
    }
    if (g->fd >= 0) close(g->fd);
    g->fd = fd;
    g->end = 0;
    snprintf(g->name, sizeof g->name, "%s", name);
    return RV_OK;
}

static void segment_path(const rv_store *s, const char *segment, char *path, size_t cap)
{
    snprintf(path, cap, "%s/audio/%.16s.seg", s->dir, segment);
}

rv_err rv_store_append_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    int ok;
    char hex[RV_SHA256_HEX + 1];
    rv_audio_sha256(bytes, len, hex, &ok);
    if (!ok) return rv_error_set(err, RV_ERR_INTERNAL, "SHA-256 failed");
    /* reserve the range; a dup of the descriptor keeps it open for this
     * write even if another thread starts the next segment meanwhile */
    rv_seg_file *g = &s->seg;
    pthread_mutex_lock(&g->lock);
    rv_err rc = RV_OK;
    if (g->fd < 0 || (g->end > 0 && g->end + (long long)len > SEGMENT_MAX)) rc = new_segment(s, g, err);
    long long at = g->end;
    int fd = rc == RV_OK ? dup(g->fd) : -1;
    if (rc == RV_OK && fd < 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write audio: %s", strerror(errno));
    if (rc == RV_OK) g->end += (long long)len;
    char name[24];
    snprintf(name, sizeof name, "%s", g->name);
    pthread_mutex_unlock(&g->lock);
    if (rc != RV_OK) return rc;
    const unsigned char *p = bytes;
    size_t left = len;
    long long pos = at;
    while (left) {
        ssize_t w = pwrite(fd, p, left, (off_t)pos);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        p += w;
        pos += w;
        left -= (size_t)w;
    }
    if (left) {
        int en = errno;
        rc = rv_error_set(err, en == ENOSPC || en == EDQUOT ? RV_ERR_FULL : RV_ERR_IO, "cannot store audio: %s",
                          strerror(en));
        /* give back at once what the write took: the segment's end when
         * nothing was reserved after this range, else a hole */
        pthread_mutex_lock(&g->lock);
        int last = strcmp(g->name, name) == 0 && g->end == at + (long long)len;
        if (last && ftruncate(fd, (off_t)at) == 0) g->end = at;
        else fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)len);
        pthread_mutex_unlock(&g->lock);
    }
    close(fd);
    if (rc != RV_OK) return rc;
    snprintf(out->sha256, sizeof out->sha256, "%s", hex);
    snprintf(out->segment, sizeof out->segment, "%s", name);
    out->at = at;
    out->len = len;
    return RV_OK;
}

rv_err rv_store_sync_audio(rv_store *s, const rv_audio_blob *const *b, size_t n, rv_error *err)
{
    rv_err rc = RV_OK;
    if (s->pg) return RV_OK; /* staged only until the database has its copy, durable by its commit */
    for (size_t i = 0; i < n && rc == RV_OK; i++) {
        if (!b[i]) continue;
        int seen = 0; /* one fdatasync a segment covers every append before it */
        for (size_t j = 0; j < i && !seen; j++) seen = b[j] && strcmp(b[j]->segment, b[i]->segment) == 0;
        if (seen) continue;
        if (!rv_hexn(b[i]->segment, 16)) return rv_error_set(err, RV_ERR_ARG, "not a segment");
        char path[4300];
        segment_path(s, b[i]->segment, path, sizeof path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || fdatasync(fd) != 0)
            rc = rv_error_set(err, RV_ERR_IO, "cannot store audio in %s: %s", path, strerror(errno));
        /* the pages are on disk now: give them back, so that the next uploads
         * write into recently used memory rather than ever more fresh pages
         * (each range alone: between them other uploads may still write) */
        for (size_t j = i; rc == RV_OK && j < n; j++)
            if (b[j] && b[j]->len && strcmp(b[j]->segment, b[i]->segment) == 0)
                posix_fadvise(fd, (off_t)b[j]->at, (off_t)b[j]->len, POSIX_FADV_DONTNEED);
        if (fd >= 0) close(fd);
    }
    return rc;
}

rv_err rv_store_stage_audio(rv_store *s, const void *bytes, size_t len, rv_audio_blob *out, rv_error *err)
{
    rv_err rc = rv_store_append_audio(s, bytes, len, out, err);
    const rv_audio_blob *one = out;
    if (rc == RV_OK) rc = rv_store_sync_audio(s, &one, 1, err);
    if (rc != RV_OK) memset(out, 0, sizeof *out);
    return rc;
}

static int punch(rv_store *s, const rv_audio_blob *b, int sync);

/* The bytes are gone either way. */
int rv_audio_release(rv_store *s, const rv_audio_blob *b) { return punch(s, b, 1); }

/* b's range given back; synced when sync (a staged copy the database has
 * taken needs no sync: a crash leaves it to the next start's cleanup). */
static int punch(rv_store *s, const rv_audio_blob *b, int sync)
{
    if (!b->len) return 0;
    char path[4300];
    segment_path(s, b->segment, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)b->at, (off_t)b->len);
    struct stat sb;
    if (rc != 0 && fstat(fd, &sb) == 0) {
        static const unsigned char zeros[65536];
        /* no further than the end: a segment cut short since keeps its size */
        long long end = b->at + (long long)b->len < sb.st_size ? b->at + (long long)b->len : sb.st_size;
        size_t left = end > b->at ? (size_t)(end - b->at) : 0;
        long long pos = b->at;
        rc = 0;
        while (left && rc == 0) {
            size_t k = left < sizeof zeros ? left : sizeof zeros;
            ssize_t w = pwrite(fd, zeros, k, (off_t)pos);
            if (w <= 0) rc = -1;
            else pos += w, left -= (size_t)w;
        }
    }
    if (rc == 0 && sync) rc = fdatasync(fd);
    close(fd);
    return rc;
}

static void legacy_path(const rv_store *s, const char *hex, char *path, size_t cap);

/* ---- audio in the database (PostgreSQL) ---- */

/* Room in s->staged for n more. 0, or -1 out of memory. */
static int staged_room(rv_store *s, size_t n)
{
    if (s->n_staged + n <= s->cap_staged) return 0;
    size_t nc = s->cap_staged ? s->cap_staged : 16;
    while (nc < s->n_staged + n) nc *= 2;
    rv_audio_blob *ns = realloc(s->staged, nc * sizeof *ns);
    if (!ns) return -1;
    s->staged = ns;
    s->cap_staged = nc;
    return 0;
}

/* want bytes of staged b from offset at into buf (fd: its segment). 0 or -1. */
static int read_staged(int fd, const rv_audio_blob *b, size_t at, unsigned char *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(fd, buf + got, want - got, (off_t)(b->at + (long long)(at + got)));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    return got == want ? 0 : -1;
}

/* The audio's row and its first chunk in one statement; nothing is
 * written when the recording was stored before. */
#define FIRST_CHUNK                                                                                  \
    "WITH a AS (INSERT INTO audio (sha256, segment, at, len) VALUES (?1, NULL, 0, ?2)"              \
    " ON CONFLICT DO NOTHING RETURNING sha256)"                                                      \
    " INSERT INTO audio_chunks (sha256, n, bytes) SELECT sha256, 0, ?3 FROM a"

/* The chunks of b after its first (fd: its segment), in the caller's
 * transaction. 0 or -1. */
static int later_chunks(rv_store *s, int fd, const rv_audio_blob *b, unsigned char *buf)
{
    rv_sql *q = NULL;
    int rc = 0;
    for (size_t at = RV_AUDIO_CHUNK, n = 1; rc == 0 && at < b->len; n++) {
        size_t want = b->len - at < RV_AUDIO_CHUNK ? b->len - at : RV_AUDIO_CHUNK;
        if (read_staged(fd, b, at, buf, want) != 0) rc = -1;
        else if (!q && rv_sql_prepare(s, &q, "INSERT INTO audio_chunks (sha256, n, bytes) VALUES (?1, ?2, ?3)", V_NONE,
                                      "cannot store the audio", NULL) != RV_OK)
            rc = -1;
        else {
            rv_sql_rebind(q, V_ARGS(V_TEXT(b->sha256), V_INT(n), V_BLOB(buf, want)));
            if (rv_sql_step(q, NULL) != 0) rc = -1;
        }
        at += want;
    }
    rv_sql_done(q);
    return rc;
}

/* Recordings a pipeline of first chunks holds at most (their bytes are
 * in memory at once). */
#define INDEX_GROUP 16

/* On PostgreSQL each recording is copied into the database's chunks, in
 * the caller's transaction, its row and first chunk one statement of the
 * group's pipeline; nothing is written for one stored before (its staged
 * copy released now), and the staged ranges of the others are released
 * once the transaction commits (rv_audio_tx_ended). */
int rv_audio_index_many(rv_store *s, const rv_audio_blob *const *b, size_t n, unsigned char *fresh)
{
    if (!s->pg) {
        for (size_t i = 0; i < n; i++) {
            if (rv_audio_index(s, b[i]) != 0) return -1;
            if (fresh) fresh[i] = 1;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_hex64(b[i]->sha256) || !rv_hexn(b[i]->segment, 16)) return -1;
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < n; g += INDEX_GROUP) {
        size_t m = n - g < INDEX_GROUP ? n - g : INDEX_GROUP;
        unsigned char *buf[INDEX_GROUP] = {0};
        int fd[INDEX_GROUP];
        rv_sqlv vals[INDEX_GROUP * 3];
        long long rows[INDEX_GROUP] = {0};
        if (staged_room(s, m) != 0) rc = -1;
        for (size_t i = 0; i < m; i++) {
            const rv_audio_blob *x = b[g + i];
            char path[4300];
            segment_path(s, x->segment, path, sizeof path);
            fd[i] = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
            size_t want = x->len < RV_AUDIO_CHUNK ? x->len : RV_AUDIO_CHUNK;
            buf[i] = fd[i] >= 0 ? malloc(want ? want : 1) : NULL;
            if (!buf[i] || read_staged(fd[i], x, 0, buf[i], want) != 0) rc = -1;
            vals[i * 3] = V_TEXT(x->sha256);
            vals[i * 3 + 1] = V_INT(x->len);
            vals[i * 3 + 2] = V_BLOB(buf[i], want);
        }
        rv_error e;
        if (rc == 0 && rv_pg_batch(s, FIRST_CHUNK, vals, 3, m, rows, NULL, 0, "cannot store the audio", &e) != RV_OK)
            rc = -1;
        for (size_t i = 0; i < m; i++) {
            const rv_audio_blob *x = b[g + i];
            if (rc == 0 && rows[i] && x->len > RV_AUDIO_CHUNK) {
                unsigned char *more = realloc(buf[i], RV_AUDIO_CHUNK);
                if (!more) rc = -1;
                else {
                    buf[i] = more;
                    rc = later_chunks(s, fd[i], x, more);
                }
            }
            if (rc == 0 && !rows[i]) punch(s, x, 0); /* stored before */
            else if (rc == 0) s->staged[s->n_staged++] = *x;
            if (fresh && rc == 0) fresh[g + i] = rows[i] != 0;
            free(buf[i]);
            if (fd[i] >= 0) close(fd[i]);
        }
    }
    return rc;
}

void rv_audio_tx_ended(rv_store *s, int committed)
{
    for (size_t i = 0; committed && i < s->n_staged; i++) punch(s, &s->staged[i], 0);
    s->n_staged = 0;
}

/* Chunks first..last of the recording hex, appended to out from offset
 * skip of the first one, at most n bytes. 0 or -1 (err set). */
static int read_chunks(rv_store *s, const char *hex, size_t first, size_t last, size_t skip, unsigned char *out,
                       size_t n, size_t *got, rv_error *err)
{
    rv_sql *q;
    *got = 0;
    if (rv_sql_prepare(s, &q, "SELECT n, bytes FROM audio_chunks WHERE sha256 = ?1 AND n >= ?2 AND n <= ?3 ORDER BY n",
                       V_ARGS(V_TEXT(hex), V_INT(first), V_INT(last)), "cannot read the audio", err) != RV_OK)
        return -1;
    int r;
    size_t expect = first;
    while ((r = rv_sql_step(q, err)) == 1) {
        size_t len;
        const unsigned char *p = rv_sql_blob(q, 1, &len);
        if ((size_t)rv_sql_int(q, 0) != expect++) break; /* a chunk missing */
        if (skip >= len) {
            skip -= len;
            continue;
        }
        size_t k = len - skip < n - *got ? len - skip : n - *got;
        memcpy(out + *got, p + skip, k);
        *got += k;
        skip = 0;
    }
    rv_sql_done(q);
    return r < 0 ? -1 : 0;
}

rv_err rv_store_load_audio_range(rv_store *s, const rv_audio_loc *loc, size_t from, size_t n, unsigned char **out,
                                 rv_error *err)
{
    *out = NULL;
    if (from > loc->blob.len || n > loc->blob.len - from) return rv_error_set(err, RV_ERR_ARG, "not in the recording");
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t got = 0;
    int why = 0;
    if (loc->in_db) {
        if (n && read_chunks(s, loc->blob.sha256, from / RV_AUDIO_CHUNK, (from + n - 1) / RV_AUDIO_CHUNK,
                             from % RV_AUDIO_CHUNK, buf, n, &got, err) != 0) {
            free(buf);
            return err->code;
        }
    } else {
        char path[4400];
        if (loc->legacy) legacy_path(s, loc->blob.sha256, path, sizeof path);
        else segment_path(s, loc->blob.segment, path, sizeof path);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT) why = errno;
        while (fd >= 0 && got < n) {
            ssize_t r = pread(fd, buf + got, n - got, (off_t)(loc->blob.at + (long long)(from + got)));
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) why = errno;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (fd >= 0) close(fd);
    }
    if (why) { /* the disk's error, not a recording that is gone */
        free(buf);
        return rv_error_set(err, RV_ERR_IO, "cannot read stored audio %s: %s", loc->blob.sha256, strerror(why));
    }
    if (got != n) {
        free(buf);
        return rv_error_set(err, RV_ERR_NOT_FOUND, "stored audio %s cannot be read back", loc->blob.sha256);
    }
    *out = buf;
    return RV_OK;
}

int rv_audio_index(rv_store *s, const rv_audio_blob *b)
{
    if (!is_hex64(b->sha256) || !rv_hexn(b->segment, 16)) return -1;
    if (s->pg) return rv_audio_index_many(s, &b, 1, NULL); /* copied into the database's chunks */
    if (rv_sql_exec(s, "INSERT OR IGNORE INTO audio (sha256, segment, at, len) VALUES (?1, ?2, ?3, ?4)",
                    V_ARGS(V_TEXT(b->sha256), V_TEXT(b->segment), V_INT(b->at), V_INT(b->len)),
                    "cannot index the audio", NULL) != RV_OK)
        return -1;
    if (rv_sql_changes(s) == 0) rv_audio_release(s, b); /* stored before */
    return 0;
}

rv_err rv_store_put_audio(rv_store *s, const void *bytes, size_t len, char hex[RV_SHA256_HEX + 1],
                          rv_error *err)
{
    rv_audio_blob b;
    hex[0] = '\0';
    rv_err rc = rv_store_stage_audio(s, bytes, len, &b, err);
    if (rc != RV_OK) return rc;
    if ((rc = rv_store_begin(s, err)) != RV_OK) return rc;
    if (rv_audio_index(s, &b) != 0) rc = rv_sql_error(s, err, "cannot index the audio");
    if ((rc = rv_store_end(s, rc, err)) != RV_OK) return rc;
    memcpy(hex, b.sha256, sizeof b.sha256);
    return RV_OK;
}

static void legacy_path(const rv_store *s, const char *hex, char *path, size_t cap)
{
    snprintf(path, cap, "%s/audio/%.2s/%s", s->dir, hex, hex);
}

rv_err rv_store_locate_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err)
{
    memset(loc, 0, sizeof *loc);
    if (!is_hex64(hex)) return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    rv_sql *q;
    rv_err rc = rv_sql_prepare(s, &q, "SELECT segment, at, len FROM audio WHERE sha256 = ?1", V_ARGS(V_TEXT(hex)),
                               "cannot read the audio index", err);
    if (rc != RV_OK) return rc;
    int r = rv_sql_step(q, err);
    snprintf(loc->blob.sha256, sizeof loc->blob.sha256, "%s", hex);
    if (r == 1) {
        rv_sql_copy(q, 0, loc->blob.segment, sizeof loc->blob.segment);
        loc->blob.at = rv_sql_int(q, 1);
        loc->blob.len = (size_t)rv_sql_int(q, 2);
        loc->in_db = s->pg && rv_sql_null(q, 0);
        if ((!loc->in_db && !rv_hexn(loc->blob.segment, 16)) || loc->blob.at < 0)
            rc = rv_error_set(err, RV_ERR_IO, "the audio index is damaged for %s", hex);
    } else if (r == 0) {
        char path[4400];
        struct stat sb;
        legacy_path(s, hex, path, sizeof path);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            loc->legacy = 1;
            loc->blob.len = (size_t)sb.st_size;
        } else rc = rv_error_set(err, RV_ERR_NOT_FOUND, "no stored audio %s", hex);
    } else rc = err->code;
    rv_sql_done(q);
    if (rc != RV_OK) memset(loc, 0, sizeof *loc);
    return rc;
}

rv_err rv_store_load_audio(rv_store *s, const char *hex, const rv_audio_loc *loc, size_t max, unsigned char **out,
                           size_t *len, rv_error *err)
{
    *out = NULL;
    *len = 0;
    if (!is_hex64(hex) || strcmp(hex, loc->blob.sha256) != 0)
        return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    if (loc->blob.len > max) return rv_error_set(err, RV_ERR_TOO_LARGE, "stored audio of %zu bytes is over %zu",
                                                 loc->blob.len, max);
    if (loc->in_db) {
        unsigned char *all;
        rv_error e;
        if (rv_store_load_audio_range(s, loc, 0, loc->blob.len, &all, &e) != RV_OK) {
            if (e.code != RV_ERR_NOT_FOUND) { /* the database's error, said as it is */
                *err = e;
                return e.code;
            }
            return rv_error_set(err, RV_ERR_NOT_FOUND, "stored audio %s cannot be read back", hex);
        }
        char h[RV_SHA256_HEX + 1];
        int ok = 0;
        rv_audio_sha256(all, loc->blob.len, h, &ok);
        if (!ok || strcmp(h, hex) != 0) {
            free(all);
            return rv_error_set(err, RV_ERR_NOT_FOUND, "stored audio %s cannot be read back", hex);
        }
        *out = all;
        *len = loc->blob.len;
        return RV_OK;
    }
    char path[4400];
    if (loc->legacy) legacy_path(s, hex, path, sizeof path);
    else segment_path(s, loc->blob.segment, path, sizeof path);
    unsigned char *buf = malloc(loc->blob.len ? loc->blob.len : 1);
    if (!buf) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC), why = fd < 0 && errno != ENOENT ? errno : 0;
    size_t got = 0;
    while (fd >= 0 && got < loc->blob.len) {
        ssize_t r = pread(fd, buf + got, loc->blob.len - got, (off_t)(loc->blob.at + (long long)got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) why = errno;
        if (r <= 0) break;
        got += (size_t)r;
    }
    if (fd >= 0) close(fd);
    if (why) { /* the disk's error, not a recording disposed of or damaged */
        free(buf);
        return rv_error_set(err, RV_ERR_IO, "cannot read stored audio %s: %s", hex, strerror(why));
    }
    char h[RV_SHA256_HEX + 1];
    int ok = 0;
    if (got == loc->blob.len) rv_audio_sha256(buf, got, h, &ok);
    if (!ok || strcmp(h, hex) != 0) { /* disposed of while it was read, or damaged */
        free(buf);
        return rv_error_set(err, RV_ERR_NOT_FOUND, "stored audio %s cannot be read back", hex);
    }
    *out = buf;
    *len = got;
    return RV_OK;
}

rv_err rv_store_read_audio(rv_store *s, const char *hex, size_t max, unsigned char **out, size_t *len,
                           rv_error *err)
{
    rv_audio_loc loc;
    rv_err rc = rv_store_locate_audio(s, hex, &loc, err);
    if (rc == RV_OK) rc = rv_store_load_audio(s, hex, &loc, max, out, len, err);
    return rc;
}

rv_err rv_store_forget_audio(rv_store *s, const char *hex, rv_audio_loc *loc, rv_error *err)
{
    rv_err rc = rv_store_locate_audio(s, hex, loc, err);
    if (rc != RV_OK || loc->legacy) return rc;
    if (loc->in_db) /* disposal deletes the bytes themselves, in its transaction */
        rc = rv_sql_exec(s, "DELETE FROM audio_chunks WHERE sha256 = ?1", V_ARGS(V_TEXT(hex)),
                         "cannot delete the audio", err);
    if (rc != RV_OK) return rc;
    return rv_sql_exec(s, "DELETE FROM audio WHERE sha256 = ?1", V_ARGS(V_TEXT(hex)), "cannot write the audio index", err);
}

rv_err rv_store_erase_audio(rv_store *s, const rv_audio_loc *loc, rv_error *err)
{
    if (!is_hex64(loc->blob.sha256)) return rv_error_set(err, RV_ERR_ARG, "not a SHA-256 in hex");
    if (loc->in_db) return RV_OK; /* deleted with the rows (rv_store_forget_audio) */
    if (loc->legacy) {
        char path[4400], dir[4400];
        legacy_path(s, loc->blob.sha256, path, sizeof path);
        snprintf(dir, sizeof dir, "%s/audio/%.2s", s->dir, loc->blob.sha256);
        if (unlink(path) != 0 && errno != ENOENT)
            return rv_error_set(err, RV_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        if (rv_sync_folder(dir) != 0 && errno != ENOENT) /* the erasure's record stays, for the next try */
            return rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", dir, strerror(errno));
        return RV_OK;
    }
    if (!rv_hexn(loc->blob.segment, 16)) return rv_error_set(err, RV_ERR_ARG, "not a segment");
    if (rv_audio_release(s, &loc->blob) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot erase audio %s: %s", loc->blob.sha256, strerror(errno));
    return RV_OK;
}

/* ---- erasures: what disposal has still to destroy ---- */

/* A test hook, compiled in but inert unless RV_TEST_KILL_AFTER_ERASURES=N
 * is set: the process kills itself (SIGKILL) once it has erased N
 * recordings, before its next erasure or before it drops the records of
 * those done, so that the tests can crash a disposal at a chosen point. */
static _Atomic long erased;

static void crash_point(void)
{
    const char *v = getenv("RV_TEST_KILL_AFTER_ERASURES");
    if (v && *v && atol(v) == atomic_load(&erased)) kill(getpid(), SIGKILL);
}

/* Erase the bytes a record names (rv_store_erase_audio), counting it done
 * when its segment is gone: start-up removes a segment nothing in it is
 * indexed any more. */
rv_err rv_audio_erase_recorded(rv_store *s, const rv_audio_loc *loc, rv_error *err)
{
    crash_point();
    rv_err rc = rv_store_erase_audio(s, loc, err);
    if (rc == RV_ERR_IO && !loc->legacy) {
        char path[4300];
        segment_path(s, loc->blob.segment, path, sizeof path);
        if (access(path, F_OK) != 0 && errno == ENOENT) rc = RV_OK;
    }
    if (rc == RV_OK) atomic_fetch_add(&erased, 1);
    return rc;
}

rv_err rv_audio_record_erasure(rv_store *s, const rv_audio_loc *loc, long long *id, rv_error *err)
{
    *id = 0;
    if (loc->in_db) return RV_OK; /* nothing is left outside the transaction */
    rv_err rc = rv_sql_exec(s, "INSERT INTO erasures (sha256, segment, at, len) VALUES (?1, ?2, ?3, ?4)",
                            V_ARGS(V_TEXT(loc->blob.sha256), V_TEXT(loc->legacy ? NULL : loc->blob.segment),
                                   V_INT(loc->blob.at), V_INT(loc->blob.len)),
                            "cannot record an erasure", err);
    *id = rc == RV_OK ? rv_sql_last_id(s) : 0;
    return rc;
}

rv_err rv_audio_drop_erasures(rv_store *s, const long long *ids, size_t n, rv_error *err)
{
    if (!n) return RV_OK;
    crash_point();
    rv_err rc = rv_store_begin(s, err);
    if (rc != RV_OK) return rc;
    rv_sql *q = NULL;
    rc = rv_sql_prepare(s, &q, "DELETE FROM erasures WHERE id = ?1", V_NONE, "cannot drop erasures", err);
    for (size_t i = 0; rc == RV_OK && i < n; i++) {
        rv_sql_rebind(q, V_ARGS(V_INT(ids[i])));
        if (rv_sql_step(q, err) != 0) rc = err->code;
    }
    rv_sql_done(q);
    return rv_store_end(s, rc, err);
}

rv_err rv_store_finish_erasures(rv_store *s, long *failed, rv_error *err)
{
    enum { ROUND = 256 };
    *failed = 0;
    struct {
        long long id;
        rv_audio_loc loc;
    } *x = calloc(ROUND, sizeof *x);
    long long *done = calloc(ROUND, sizeof *done);
    rv_err rc = x && done ? RV_OK : rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    long long after = 0;
    while (rc == RV_OK) {
        rv_sql *q;
        size_t n = 0, n_done = 0;
        rc = rv_sql_prepare(s, &q, "SELECT id, sha256, segment, at, len FROM erasures WHERE id > ?1 ORDER BY id LIMIT ?2",
                            V_ARGS(V_INT(after), V_INT(ROUND)), "cannot read erasures", err);
        if (rc != RV_OK) break;
        int r;
        while ((r = rv_sql_step(q, err)) == 1) {
            memset(&x[n], 0, sizeof x[n]);
            x[n].id = after = rv_sql_int(q, 0);
            rv_sql_copy(q, 1, x[n].loc.blob.sha256, sizeof x[n].loc.blob.sha256);
            x[n].loc.legacy = rv_sql_null(q, 2);
            rv_sql_copy(q, 2, x[n].loc.blob.segment, sizeof x[n].loc.blob.segment);
            x[n].loc.blob.at = rv_sql_int(q, 3);
            long long len = rv_sql_int(q, 4);
            x[n].loc.blob.len = len > 0 ? (size_t)len : 0;
            n++;
        }
        if (r != 0) rc = err->code;
        rv_sql_done(q);
        for (size_t i = 0; rc == RV_OK && i < n; i++) {
            rv_error e;
            if (x[i].loc.blob.at >= 0 && rv_audio_erase_recorded(s, &x[i].loc, &e) == RV_OK) done[n_done++] = x[i].id;
            else {
                ++*failed; /* stays recorded, for the next try */
                if (x[i].loc.blob.at < 0) rv_error_set(err, RV_ERR_IO, "a damaged erasure record (%lld)", x[i].id);
                else *err = e;
            }
        }
        if (rc == RV_OK) rc = rv_audio_drop_erasures(s, done, n_done, err);
        if (n < ROUND) break;
    }
    free(x);
    free(done);
    return rc;
}

