/* The decoder pool (decoders.h): idle decoders on a stack under one lock. */
#include "decoders.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rv_decoders {
    rv_asr **idle;
    unsigned n_idle, n_decoders, max;
    char *mllr;
    rv_lexicon *lex;
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

rv_err rv_decoders_new(unsigned max, const char *mllr, rv_lexicon *lex, rv_decoders **out, rv_error *err)
{
    *out = NULL;
    rv_decoders *p = calloc(1, sizeof *p);
    if (p) p->idle = calloc(max ? max : 1, sizeof *p->idle);
    if (p && mllr) p->mllr = strdup(mllr);
    if (!p || !p->idle || (mllr && !p->mllr)) {
        if (p) free(p->idle), free(p->mllr);
        free(p);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    p->max = max;
    p->lex = lex;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    *out = p;
    return RV_OK;
}

void rv_decoders_free(rv_decoders *p)
{
    if (!p) return;
    for (unsigned i = 0; i < p->n_idle; i++) rv_asr_free(p->idle[i]);
    free(p->idle);
    free(p->mllr);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->freed);
    free(p);
}

unsigned rv_decoders_max(const rv_decoders *p) { return p->max; }

rv_asr *rv_decoders_take(rv_decoders *p, rv_error *err)
{
    pthread_mutex_lock(&p->lock);
    while (p->n_idle == 0 && p->n_decoders >= p->max) pthread_cond_wait(&p->freed, &p->lock);
    if (p->n_idle) {
        rv_asr *a = p->idle[--p->n_idle];
        pthread_mutex_unlock(&p->lock);
        return a;
    }
    p->n_decoders++;
    pthread_mutex_unlock(&p->lock);
    rv_asr *a = NULL;
    if (rv_asr_open(NULL, p->mllr, p->lex, &a, err) != RV_OK) {
        pthread_mutex_lock(&p->lock);
        p->n_decoders--;
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    return a;
}

void rv_decoders_give(rv_decoders *p, rv_asr *a)
{
    pthread_mutex_lock(&p->lock);
    p->idle[p->n_idle++] = a;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}
