/* Speed of the signal path on files given on the command line: decode from
 * memory, signal analysis and the system-prompt search, each as a multiple
 * of real time on one thread, plus peak memory. Prints; never fails on a
 * timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "rostvakt/analyze.h"
#include "rostvakt/audio.h"
#include "rostvakt/config.h"
#include "rostvakt/fileio.h"
#include "rostvakt/fingerprint.h"
#include "rostvakt/signal.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_analyze FILE...\n");
        return 64;
    }
    rv_config cfg;
    rv_config_defaults(&cfg);
    rv_error err;
    rv_audio_limits lim = {cfg.max_audio_bytes, cfg.max_audio_seconds};

    double t0 = cpu_now();
    rv_fpdb *db = rv_fpdb_new();
    rv_fp_load_report rep;
    if (rv_fpdb_load(db, cfg.prompt_refs, &lim, cfg.prompt_min_ref_seconds, &rep, &err) != RV_OK) {
        fprintf(stderr, "bench_analyze: the system prompts: %s\n", err.msg);
        return 1;
    }
    double t_load = cpu_now() - t0;

    double audio_s = 0, t_dec = 0, t_sig = 0, t_fp = 0;
    const int reps = 3;
    for (int i = 1; i < argc; i++) {
        size_t len;
        unsigned char *b;
        if (rv_file_read(argv[i], 0, &b, &len, &err) != RV_OK) {
            fprintf(stderr, "%s: %s\n", argv[i], err.msg);
            return 1;
        }
        for (int r = 0; r < reps; r++) {
            rv_pcm pcm;
            double a = cpu_now();
            if (rv_audio_decode(b, len, rv_audio_hint_for_path(argv[i]), &lim, &pcm, &err) != RV_OK) {
                fprintf(stderr, "%s: %s\n", argv[i], err.msg);
                return 1;
            }
            double bt = cpu_now();
            rv_signal sig;
            if (rv_signal_analyze(&pcm, cfg.silence_dbfs, &sig, &err) != RV_OK) {
                fprintf(stderr, "%s: %s\n", argv[i], err.msg);
                return 1;
            }
            double c = cpu_now();
            rv_fp_match m;
            if (rv_fpdb_match(db, &pcm, cfg.prompt_max_seconds, cfg.prompt_min_score, (size_t)cfg.prompt_min_hashes,
                              &m, &err) != RV_OK) {
                fprintf(stderr, "%s: %s\n", argv[i], err.msg);
                return 1;
            }
            double d = cpu_now();
            t_dec += bt - a;
            t_sig += c - bt;
            t_fp += d - c;
            audio_s += (double)pcm.n / pcm.rate;
            rv_signal_free(&sig);
            rv_pcm_free(&pcm);
        }
        free(b);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  audio analysed            %8.1f s (%d files x %d runs)\n", audio_s, argc - 1, reps);
    printf("  decode                    %8.0fx real time\n", audio_s / t_dec);
    printf("  signal analysis           %8.0fx real time\n", audio_s / t_sig);
    printf("  decode + signal           %8.0fx real time  (target >= 300x)\n", audio_s / (t_dec + t_sig));
    printf("  system-prompt search      %8.0fx real time  (first %.0f s of each file)\n",
           audio_s / t_fp, cfg.prompt_max_seconds);
    printf("  full greeting path        %8.0fx real time\n", audio_s / (t_dec + t_sig + t_fp));
    printf("  reference prompts loaded  %8zu in %.2f s CPU (once per process)\n", rep.loaded, t_load);
    printf("  peak resident memory      %8.1f MB\n", ru.ru_maxrss / 1024.0);
    rv_fpdb_free(db);
    return 0;
}
