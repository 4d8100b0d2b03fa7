/* The authorities one installation serves: what an organisation's id and
 * organisationsnummer look like, and the id a name is given when an
 * archive's free-text organisations become organisations. Pure functions. */
#ifndef RV_ORGANISATION_H
#define RV_ORGANISATION_H

#include <stddef.h>

#define RV_ORG_ID_MAX 40
/* A caller's organisations as ",a,b," (RV_ORGS_TEXT_MAX bytes with its NUL). */
#define RV_ORGS_TEXT_MAX 256

/* 1 when id is 1 to 40 of a-z 0-9 '-'. */
int rv_org_id_valid(const char *id);
/* 1 when s is an organisationsnummer NNNNNN-NNNN whose last digit is the
 * Luhn check digit of the nine before it. */
int rv_orgnr_valid(const char *s);
/* The id a name is given: lower case, å ä → a, ö → o, é → e, other letters
 * and digits kept, anything else one '-', at most 40 bytes, no '-' at
 * either end; "org" when nothing is left. */
void rv_org_slug(const char *name, char out[RV_ORG_ID_MAX + 1]);
/* A list of organisations "a,b" (or "*": every one) checked and made
 * ",a,b," into out (""
 * for "*"). 0 for an empty list, a bad id or one too long. */
int rv_orgs_norm(const char *list, char out[RV_ORGS_TEXT_MAX]);
/* 1 when org is in orgs (",a,b," as rv_orgs_norm makes it; "" holds every one). */
int rv_orgs_has(const char *orgs, const char *org);

/* The proxy's groups mapped by a setting: entries "group=target" separated
 * by ';', spaces around each part ignored. Calls each(target, user) (a
 * trimmed copy) for every entry whose group is among groups (names
 * separated by ',' or ';', compared ignoring case); groups NULL: for every
 * entry. 1 when map is well formed (each entry a group and a target), else
 * 0. */
int rv_group_map_each(const char *map, const char *groups, void (*each)(const char *target, void *user), void *user);

#endif
