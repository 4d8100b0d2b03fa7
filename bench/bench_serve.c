/* Load on rostvakt serve over loopback: 64 concurrent PBX connections posting
 * a 30 s mu-law voicemail each, several times; prints throughput and the p50
 * and p99 latency of the 201 while the analysis queue drains behind. Every
 * post is a different recording (a few bytes of its audio changed), so each
 * one is written and fsync'ed like a real voicemail.
 * RATE 0: each connection posts again as soon as it has its answer (the most
 * the service takes); RATE > 0: the connections together start RATE posts a
 * second on a fixed schedule, and latency counts from the scheduled start (a
 * slow answer delays nothing it should not).
 * Each connection first posts once to open its connection (TCP connect, the
 * service's first buffers); those cold posts are reported apart, and the
 * measured posts start together once every connection is open.
 * URL may be several, comma-separated (nodes sharing one database): the
 * connections are dealt out over them in turn.
 * usage: bench_serve URL[,URL...] TOKEN FILE [CONNECTIONS] [POSTS_EACH] [RATE] */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *token;
static char *urls[16];
static int n_urls;
static char *data;
static long data_len;
static int posts_each, conns;
static double rate, t_start;
static double *lat, *cold;
static int n_lat, n_cold, errors;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t opened;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static size_t sink(char *p, size_t s, size_t n, void *u) { (void)p, (void)u; return s * n; }

static void *client(void *arg)
{
    int me = (int)(long)arg;
    CURL *c = curl_easy_init();
    char auth[128];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: audio/wav");
    char *mine = malloc((size_t)data_len);
    memcpy(mine, data, (size_t)data_len);
    curl_easy_setopt(c, CURLOPT_URL, urls[me % n_urls]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, mine);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, data_len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    for (int i = -1; i < posts_each; i++) {
        /* a different recording each time: the last samples carry who and which */
        int stamp[2] = {me, i};
        if (data_len > 64) memcpy(mine + data_len - sizeof stamp, stamp, sizeof stamp);
        if (i == 0 && pthread_barrier_wait(&opened) == PTHREAD_BARRIER_SERIAL_THREAD) t_start = now() + (rate > 0 ? 0.05 : 0);
        if (i == 0) pthread_barrier_wait(&opened); /* t_start is set */
        double t0 = now();
        if (rate > 0 && i >= 0) { /* this post's place on the schedule */
            double at = t_start + (i * conns + me) / rate;
            if (at > t0) {
                struct timespec d = {(time_t)(at - t0), (long)((at - t0 - (time_t)(at - t0)) * 1e9)};
                nanosleep(&d, NULL);
            }
            t0 = at;
        }
        long status = 0;
        CURLcode rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        double d = now() - t0;
        pthread_mutex_lock(&lock);
        if (rc != CURLE_OK || status != 201) errors++;
        else if (i < 0) cold[n_cold++] = d;
        else lat[n_lat++] = d;
        pthread_mutex_unlock(&lock);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(mine);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_serve URL[,URL...] TOKEN FILE [CONNECTIONS] [POSTS_EACH] [RATE]\n");
        return 64;
    }
    token = argv[2];
    for (char *u = strtok(argv[1], ","); u && n_urls < 16; u = strtok(NULL, ",")) urls[n_urls++] = u;
    if (!n_urls) return 64;
    conns = argc > 4 ? atoi(argv[4]) : 64;
    posts_each = argc > 5 ? atoi(argv[5]) : 4;
    rate = argc > 6 ? atof(argv[6]) : 0;
    FILE *f = fopen(argv[3], "rb");
    if (!f) { perror(argv[3]); return 1; }
    fseek(f, 0, SEEK_END);
    data_len = ftell(f);
    rewind(f);
    data = malloc((size_t)data_len);
    if (!data || fread(data, 1, (size_t)data_len, f) != (size_t)data_len) return 1;
    fclose(f);
    lat = calloc((size_t)conns * posts_each, sizeof *lat);
    cold = calloc((size_t)conns, sizeof *cold);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t *th = calloc((size_t)conns, sizeof *th);
    pthread_barrier_init(&opened, NULL, (unsigned)conns);
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, client, (void *)(long)i);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    double wall = now() - t_start;
    pthread_barrier_destroy(&opened);
    qsort(cold, (size_t)n_cold, sizeof *cold, cmp);
    qsort(lat, (size_t)n_lat, sizeof *lat, cmp);
    if (rate > 0) printf("  offered load %.0f voicemails/s on a fixed schedule:\n", rate);
    else printf("  as fast as it answers (each connection posts again on its answer):\n");
    if (n_cold)
        printf("  opening: one post on each of %d new connections at once: p50 %.1f ms, slowest %.1f ms\n", n_cold,
               cold[n_cold / 2] * 1e3, cold[n_cold - 1] * 1e3);
    printf("  %d connections x %d posts of %.0f KB: %d acknowledged (201), %d errors, %.1f s\n", conns, posts_each,
           data_len / 1024.0, n_lat, errors, wall);
    double mean = 0;
    for (int i = 0; i < n_lat; i++) mean += lat[i] / n_lat;
    if (n_lat)
        printf("  throughput %.0f voicemails/s; latency of the 201: p50 %.1f ms, p99 %.1f ms, mean %.1f ms"
               " (target p99 <= 50 ms)\n",
               n_lat / wall, lat[n_lat / 2] * 1e3, lat[(int)(n_lat * 0.99) < n_lat ? (int)(n_lat * 0.99) : n_lat - 1] * 1e3,
               mean * 1e3);
    /* Little's law: with every connection always waiting for an answer, the
     * mean latency is the connections over the throughput, whatever the
     * service does; a p99 of 50 ms needs at least conns / 0.05 a second */
    if (n_lat && rate <= 0)
        printf("  Little's law: mean latency = %d connections / throughput = %.1f ms; a p99 <= 50 ms at saturation"
               " needs >= %.0f voicemails/s\n",
               conns, conns / (n_lat / wall) * 1e3, conns / 0.05);
    if (n_lat && rate > 0)
        printf("  offered %.0f/s, answered %.1f/s (%d posts on the schedule over %.1f s)\n", rate, n_lat / wall,
               conns * posts_each, conns * posts_each / rate);
    curl_global_cleanup();
    free(th);
    free(lat);
    free(cold);
    free(data);
    return errors ? 1 : 0;
}
