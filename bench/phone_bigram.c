/* A phone bigram of a language, for the phone loop's grammar: text (one
 * sentence or phrase a line, UTF-8) pronounced by espeak-ng's voice and a
 * phone map, as a phrase is, then every pair of phones counted across the
 * line (its first phone after "<s>", its last before "</s>"), smoothed by
 * adding k to every count. Writes "PREV NEXT P" lines, every pair.
 * Usage: phone_bigram MAP VOICE [K] < text > bigram */
#include "rostvakt/lexicon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const phones[] = {
    "AA", "AE", "AH", "AO", "AW", "AY", "B",  "CH", "D",  "DH", "EH", "ER", "EY",
    "F",  "G",  "HH", "IH", "IY", "JH", "K",  "L",  "M",  "N",  "NG", "OW", "OY",
    "P",  "R",  "S",  "SH", "T",  "TH", "UH", "UW", "V",  "W",  "Y",  "Z",  "ZH"};
#define N (int)(sizeof phones / sizeof *phones)
#define START N /* "<s>" as a previous phone */
#define END N   /* "</s>" as a next one */

static int phone_index(const char *p)
{
    for (int i = 0; i < N; i++)
        if (!strcmp(phones[i], p)) return i;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: phone_bigram MAP VOICE [K] < text > bigram\n");
        return 64;
    }
    double k = argc > 3 ? atof(argv[3]) : 0.5;
    rv_lexicon *lex;
    rv_error e;
    if (rv_lexicon_open_voice(argv[1], argv[2], &lex, &e) != RV_OK) {
        fprintf(stderr, "phone_bigram: %s\n", e.msg);
        return 1;
    }
    static double count[N + 1][N + 1];
    static rv_word_pron w[256];
    char line[8192];
    long lines = 0, pairs = 0, failed = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        size_t nw;
        if (rv_lexicon_pronounce(lex, line, 1, w, 256, &nw, &e) != RV_OK) {
            failed++;
            continue;
        }
        int prev = START;
        for (size_t i = 0; i < nw; i++) {
            if (!w[i].n_prons) continue;
            char buf[RV_PRON_MAX];
            snprintf(buf, sizeof buf, "%s", w[i].prons[0]);
            for (char *save, *p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
                int j = phone_index(p);
                if (j < 0) continue;
                count[prev][j]++;
                prev = j;
                pairs++;
            }
        }
        count[prev][END]++;
        lines++;
    }
    rv_lexicon_free(lex);
    for (int i = 0; i <= N; i++) {
        double total = 0;
        for (int j = 0; j <= N; j++) total += count[i][j] + k;
        for (int j = 0; j <= N; j++)
            printf("%s %s %.6g\n", i == START ? "<s>" : phones[i], j == END ? "</s>" : phones[j],
                   (count[i][j] + k) / total);
    }
    fprintf(stderr, "phone_bigram: %ld lines, %ld phones, %ld not pronounced\n", lines, pairs, failed);
    return 0;
}
