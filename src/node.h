/* What names this process among the nodes sharing one database, for the
 * rows it claims (analyses, a sweep's run), and whether the process a name
 * names is gone. Not installed. */
#ifndef RV_NODE_H
#define RV_NODE_H

#define RV_NODE_NAME_MAX 128

/* "host:pid:nonce" into out: the same for the life of the process, another
 * for the next one even with the same pid. */
void rv_node_name(char out[RV_NODE_NAME_MAX]);
/* 1 when name is another process's on this host that no longer runs (or
 * that had this process's id: a container's first process started again),
 * 0 when it runs, is this process, or is another host's. */
int rv_node_gone(const char *name);

#endif
