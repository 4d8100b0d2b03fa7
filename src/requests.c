/* Request bodies of the API, from JSON to the store's structs. */
#include "rostvakt/requests.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rostvakt/decision.h"
#include "rostvakt/mail.h"
#include "rostvakt/organisation.h"
#include "rostvakt/strbuf.h"

rv_err rv_json_body(const char *json, size_t len, json_t **out, rv_error *err)
{
    json_error_t je;
    *out = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!*out) return rv_error_set(err, RV_ERR_ARG, "body is not JSON: %s (line %d)", je.text, je.line);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return rv_error_set(err, RV_ERR_ARG, "body must be a JSON object");
    }
    return RV_OK;
}

rv_err rv_mailbox_parse(const char *ext, const char *json, size_t len, rv_mailbox *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    snprintf(out->ext, sizeof out->ext, "%s", ext);
    snprintf(out->profile, sizeof out->profile, "default");
    json_t *root;
    rv_err rc = rv_json_body(json, len, &root, err);
    if (rc != RV_OK) return rc;
    struct {
        const char *key;
        char *dst;
        size_t cap;
        int required;
    } f[] = {{"first_name", out->first_name, sizeof out->first_name, 1},
             {"last_name", out->last_name, sizeof out->last_name, 1},
             {"unit", out->unit, sizeof out->unit, 1},
             {"org", out->org, sizeof out->org, 0},
             {"profile", out->profile, sizeof out->profile, 0},
             {"mobile", out->mobile, sizeof out->mobile, 0},
             {"email", out->email, sizeof out->email, 0},
             {"organisation", out->organisation, RV_ORG_ID_MAX + 1, 0}};
    size_t nf = sizeof f / sizeof f[0];
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t k = 0;
        while (k < nf && strcmp(key, f[k].key) != 0) k++;
        if (k == nf) { rc = rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key); goto done; }
        if (!json_is_string(v)) { rc = rv_error_set(err, RV_ERR_ARG, "%s must be a string", key); goto done; }
        const char *sv = json_string_value(v);
        size_t sl = json_string_length(v);
        if (sl == 0 || sl >= f[k].cap || strlen(sv) != sl) {
            rc = rv_error_set(err, RV_ERR_ARG, "%s must be 1 to %zu bytes of text", key, f[k].cap - 1);
            goto done;
        }
        if (rv_text_has_control(sv, 0)) { /* reports, mails and the e-archive's XML show it as given */
            rc = rv_error_set(err, RV_ERR_ARG, "%s: no control characters", key);
            goto done;
        }
        memcpy(f[k].dst, sv, sl + 1);
    }
    if (out->email[0]) { /* one @ with something on each side, no spaces */
        const char *at = strchr(out->email, '@');
        if (!at || at == out->email || !at[1] || strchr(at + 1, '@') || strpbrk(out->email, " \t\r\n<>,;")) {
            rc = rv_error_set(err, RV_ERR_ARG, "email must be one address, name@domain");
            goto done;
        }
    }
    if (out->organisation[0] && !rv_org_id_valid(out->organisation)) {
        rc = rv_error_set(err, RV_ERR_ARG, "organisation must be an organisation's id (1 to 40 of a-z 0-9 -)");
        goto done;
    }
    for (size_t k = 0; k < nf; k++)
        if (f[k].required && !f[k].dst[0]) {
            rc = rv_error_set(err, RV_ERR_ARG, "%s is missing", f[k].key);
            goto done;
        }
done:
    json_decref(root);
    if (rc != RV_OK) {
        memset(out, 0, sizeof *out);
        snprintf(out->ext, sizeof out->ext, "%s", ext);
    }
    return rc;
}

/* Parse json as an object whose fields are among names[0..n) and strings
 * of at most max_len bytes: v[k] points at field k's value inside *doc (new,
 * json_decref) or is NULL. RV_ERR_ARG (nothing to free) for anything else. */
static rv_err string_fields(const char *json, size_t len, const char *const *names, int n, size_t max_len,
                            const char **v, json_t **doc, rv_error *err)
{
    *doc = NULL;
    for (int k = 0; k < n; k++) v[k] = NULL;
    json_t *b;
    rv_err brc = rv_json_body(json, len, &b, err);
    if (brc != RV_OK) return brc;
    const char *key;
    json_t *val;
    json_object_foreach(b, key, val) {
        int k = 0;
        while (k < n && strcmp(key, names[k])) k++;
        rv_err rc = k == n ? rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key)
                    : !json_is_string(val) ? rv_error_set(err, RV_ERR_ARG, "%s must be a string", key)
                    : json_string_length(val) > max_len
                        ? rv_error_set(err, RV_ERR_ARG, "%s must be at most %zu bytes", key, max_len)
                        : RV_OK;
        if (rc != RV_OK) {
            for (int i = 0; i < n; i++) v[i] = NULL;
            json_decref(b);
            return rc;
        }
        v[k] = json_string_value(val);
    }
    *doc = b;
    return RV_OK;
}

rv_err rv_decision_parse(const char *json, size_t len, rv_decision_req *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    static const char *const names[7] = {"decision", "diarienummer", "note", "arendemening",
                                         "sekretess", "ground", "reason"};
    const char *v[7];
    json_t *b;
    rv_err rc = string_fields(json, len, names, 7, 500, v, &b, err);
    if (rc != RV_OK) return rc;
    if (!v[0]) {
        json_decref(b);
        return rv_error_set(err, RV_ERR_ARG, "decision is missing");
    }
    *out = (rv_decision_req){v[0], v[1], v[2], v[3], v[4], v[5], v[6], b};
    return RV_OK;
}

void rv_decision_free(rv_decision_req *d)
{
    if (!d) return;
    json_decref(d->json_doc);
    memset(d, 0, sizeof *d);
}

rv_err rv_review_parse(const char *json, size_t len, rv_review *out, rv_error *err)
{
    out->name = out->unit = out->org = out->closing = NULL;
    static const char *const names[4] = {"name", "unit", "org", "closing"};
    const char *v[4], **dst[4] = {&out->name, &out->unit, &out->org, &out->closing};
    json_t *b;
    rv_err rc = string_fields(json, len, names, 4, (size_t)-1, v, &b, err);
    if (rc != RV_OK) return rc;
    for (int k = 0; rc == RV_OK && k < 4; k++) {
        if (!v[k]) continue;
        if (strcmp(v[k], "stated") == 0) *dst[k] = "stated";
        else if (strcmp(v[k], "not_stated") == 0) *dst[k] = "not_stated";
        else rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "%s must be \"stated\" or \"not_stated\"", names[k]);
    }
    if (rc == RV_OK && !out->name && !out->unit && !out->org && !out->closing)
        rc = rv_error_set(err, RV_ERR_ARG, "say what was heard: name, unit, org or closing");
    json_decref(b);
    if (rc != RV_OK) out->name = out->unit = out->org = out->closing = NULL;
    return rc;
}

rv_err rv_unit_parse(const char *json, size_t len, char *list, size_t cap, rv_error *err)
{
    if (cap) list[0] = '\0';
    if (cap < RV_UNIT_LIST_MAX) return rv_error_set(err, RV_ERR_ARG, "no room for the managers");
    json_t *j;
    rv_err rc = rv_json_body(json, len, &j, err);
    if (rc != RV_OK) return rc;
    json_t *m = json_object_get(j, "managers");
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
        if (rc == RV_OK && strcmp(key, "managers") != 0 && strcmp(key, "organisation") != 0)
            rc = rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key);
    if (rc == RV_OK && (!json_is_array(m) || json_array_size(m) > RV_UNIT_MANAGERS_MAX))
        rc = rv_error_set(err, RV_ERR_ARG, "the body must be {\"managers\": [\"address\", ...]} (at most %d)",
                          RV_UNIT_MANAGERS_MAX);
    size_t i, l = 0;
    json_array_foreach(m, i, v) {
        const char *a = json_string_value(v);
        if (rc != RV_OK) break;
        if (!a || !rv_mail_address_valid(a)) { /* at most 254 bytes: 20 of them fit */
            rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "managers: each must be an e-mail address");
            break;
        }
        for (size_t k = 0; k < i; k++)
            if (strcasecmp(a, json_string_value(json_array_get(m, k))) == 0) {
                rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "managers: %s is named twice", a);
                break;
            }
        if (rc != RV_OK) break;
        l += (size_t)snprintf(list + l, cap - l, "%s%s", l ? "," : "", a);
    }
    json_decref(j);
    if (rc != RV_OK) list[0] = '\0';
    return rc;
}

/* A string field of o (NULL when absent) into dst; 0 with err set when it
 * is not a string of 1..cap-1 bytes. */
static int org_text(json_t *o, const char *key, const char *name, char *dst, size_t cap, rv_error *err)
{
    json_t *v = json_object_get(o, key);
    if (!v) return 1;
    const char *t = json_string_value(v);
    size_t n = t ? json_string_length(v) : 0;
    if (!t || n == 0 || n >= cap || strlen(t) != n) {
        rv_error_set(err, RV_ERR_ARG, "%s must be 1 to %zu bytes of text", name, cap - 1);
        return 0;
    }
    if (rv_text_has_control(t, 0)) {
        rv_error_set(err, RV_ERR_ARG, "%s: no control characters", name);
        return 0;
    }
    memcpy(dst, t, n + 1);
    return 1;
}

rv_err rv_org_parse(const char *id, const char *json, size_t len, rv_org *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_org_id_valid(id)) return rv_error_set(err, RV_ERR_ARG, "an organisation's id is 1 to 40 of a-z 0-9 -");
    snprintf(out->id, sizeof out->id, "%s", id);
    json_t *j;
    rv_err rc = rv_json_body(json, len, &j, err);
    if (rc != RV_OK) return rc;
    static const char *const keys[] = {"name", "organisationsnummer", "calendar", "time_zone", "profile",
                                       "diarienummer_pattern", "gallringsbeslut", "gallring_covers",
                                       "archival_creator", "mail", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        size_t k = 0;
        while (keys[k] && strcmp(keys[k], key) != 0) k++;
        if (!keys[k]) { rc = rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key); goto done; }
    }
    json_t *ac = json_object_get(j, "archival_creator"), *mail = json_object_get(j, "mail");
    if ((ac && !json_is_object(ac)) || (mail && !json_is_object(mail))) {
        rc = rv_error_set(err, RV_ERR_ARG, "archival_creator and mail must be objects");
        goto done;
    }
    if (!org_text(j, "name", "name", out->name, sizeof out->name, err) ||
        !org_text(j, "organisationsnummer", "organisationsnummer", out->orgnr, sizeof out->orgnr, err) ||
        !org_text(j, "calendar", "calendar", out->calendar, sizeof out->calendar, err) ||
        !org_text(j, "time_zone", "time_zone", out->time_zone, sizeof out->time_zone, err) ||
        !org_text(j, "profile", "profile", out->profile, sizeof out->profile, err) ||
        !org_text(j, "diarienummer_pattern", "diarienummer_pattern", out->diarienummer_pattern,
                  sizeof out->diarienummer_pattern, err) ||
        !org_text(j, "gallringsbeslut", "gallringsbeslut", out->gallringsbeslut, sizeof out->gallringsbeslut, err) ||
        !org_text(ac, "name", "archival_creator.name", out->creator_name, sizeof out->creator_name, err) ||
        !org_text(ac, "identifier", "archival_creator.identifier", out->creator_id, sizeof out->creator_id, err) ||
        !org_text(mail, "from", "mail.from", out->mail_from, sizeof out->mail_from, err)) {
        rc = err->code;
        goto done;
    }
    if (!out->name[0]) { rc = rv_error_set(err, RV_ERR_ARG, "name is missing"); goto done; }
    if (out->orgnr[0] && !rv_orgnr_valid(out->orgnr)) {
        rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "organisationsnummer must be NNNNNN-NNNN with its check digit");
        goto done;
    }
    if (!out->calendar[0]) snprintf(out->calendar, sizeof out->calendar, "SE");
    const char *tz = strcmp(out->calendar, "AX") == 0 ? "Europe/Mariehamn" : "Europe/Stockholm";
    if (strcmp(out->calendar, "SE") != 0 && strcmp(out->calendar, "AX") != 0) {
        rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "calendar must be SE or AX");
        goto done;
    }
    if (!out->time_zone[0]) snprintf(out->time_zone, sizeof out->time_zone, "%s", tz);
    if (strcmp(out->time_zone, tz) != 0) {
        rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "time_zone: the %s calendar's is %s", out->calendar, tz);
        goto done;
    }
    if (!out->profile[0]) snprintf(out->profile, sizeof out->profile, "default");
    if (out->diarienummer_pattern[0] && rv_decision_pattern_check(out->diarienummer_pattern, err) != RV_OK) {
        rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "diarienummer_pattern: %s", err->msg);
        goto done;
    }
    json_t *cov = json_object_get(j, "gallring_covers");
    if (cov) {
        size_t i, l = 0;
        json_array_foreach(cov, i, v) {
            const char *g = json_string_value(v);
            if (!g || (strcmp(g, "tillfallig") && strcmp(g, "ringa")) || strstr(out->gallring_covers, g)) {
                rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "gallring_covers: each of \"tillfallig\", \"ringa\" once");
                goto done;
            }
            l += (size_t)snprintf(out->gallring_covers + l, sizeof out->gallring_covers - l, "%s%s", l ? "," : "", g);
        }
        if (!json_is_array(cov) || !l) {
            rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "gallring_covers: a list of \"tillfallig\" and \"ringa\"");
            goto done;
        }
        if (!out->gallringsbeslut[0]) {
            rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "gallring_covers without the gallringsbeslut it comes from");
            goto done;
        }
    }
    if (out->mail_from[0] && !rv_mail_address_valid(out->mail_from)) {
        rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "mail.from must be an e-mail address");
        goto done;
    }
    json_t *off = json_object_get(mail, "officers");
    if (off) {
        size_t i, l = 0;
        if (!json_is_array(off) || json_array_size(off) > 20) {
            rc = rv_error_set(err, RV_ERR_ARG, "mail.officers must be a list of at most 20 addresses");
            goto done;
        }
        json_array_foreach(off, i, v) {
            const char *a = json_string_value(v);
            if (!a || !rv_mail_address_valid(a) || l + strlen(a) + 2 > sizeof out->officers) {
                rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "mail.officers: each must be an e-mail address");
                goto done;
            }
            l += (size_t)snprintf(out->officers + l, sizeof out->officers - l, "%s%s", l ? "," : "", a);
        }
    }
done:
    json_decref(j);
    if (rc != RV_OK) {
        memset(out, 0, sizeof *out);
        snprintf(out->id, sizeof out->id, "%s", id);
    }
    return rc;
}
