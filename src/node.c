/* Names of processes for the rows they claim (node.h). */
#include "node.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static char me[RV_NODE_NAME_MAX];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void name_once(void)
{
    char host[64] = "";
    unsigned nonce = 0;
    if (gethostname(host, sizeof host - 1) != 0 || !host[0]) snprintf(host, sizeof host, "localhost");
    if (getrandom(&nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) nonce = (unsigned)time(NULL);
    snprintf(me, sizeof me, "%s:%ld:%08x", host, (long)getpid(), nonce);
}

void rv_node_name(char out[RV_NODE_NAME_MAX])
{
    pthread_once(&once, name_once);
    memcpy(out, me, RV_NODE_NAME_MAX);
}

int rv_node_gone(const char *name)
{
    char mine[RV_NODE_NAME_MAX];
    rv_node_name(mine);
    size_t hl = strcspn(mine, ":");
    if (!name || strncmp(name, mine, hl) != 0 || name[hl] != ':' || strcmp(name, mine) == 0) return 0;
    char *end;
    long p = strtol(name + hl + 1, &end, 10);
    if (end == name + hl + 1 || *end != ':' || p <= 0) return 0;
    if (p == (long)getpid()) return 1; /* this pid, another nonce: a process before this one */
    return kill((pid_t)p, 0) != 0 && errno == ESRCH;
}
