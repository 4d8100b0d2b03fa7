/* Request bodies of the API, from JSON to the store's structs. */
#include "rostvakt/requests.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

rv_err rv_mailbox_parse(const char *ext, const char *json, size_t len, rv_mailbox *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (!rv_ext_valid(ext)) return rv_error_set(err, RV_ERR_ARG, "ext must be 1 to 20 digits");
    snprintf(out->ext, sizeof out->ext, "%s", ext);
    snprintf(out->profile, sizeof out->profile, "default");
    json_error_t je;
    json_t *root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return rv_error_set(err, RV_ERR_ARG, "body is not JSON: %s (line %d)", je.text, je.line);
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
             {"mobile", out->mobile, sizeof out->mobile, 0}};
    size_t nf = sizeof f / sizeof f[0];
    rv_err rc = RV_OK;
    if (!json_is_object(root)) {
        rc = rv_error_set(err, RV_ERR_ARG, "body must be a JSON object");
        goto done;
    }
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
        memcpy(f[k].dst, sv, sl + 1);
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

rv_err rv_decision_parse(const char *json, size_t len, rv_decision_req *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *b = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        return rv_error_set(err, RV_ERR_ARG, "body must be a JSON object");
    }
    const char *key, *v[3] = {NULL, NULL, NULL}, *names[3] = {"decision", "diarienummer", "note"};
    json_t *val;
    rv_err rc = RV_OK;
    json_object_foreach(b, key, val) {
        int k = 0;
        while (k < 3 && strcmp(key, names[k])) k++;
        if (k == 3) {
            rc = rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key);
            break;
        }
        if (!json_is_string(val) || json_string_length(val) > 500) {
            rc = rv_error_set(err, RV_ERR_ARG, "%s must be a string", key);
            break;
        }
        v[k] = json_string_value(val);
    }
    if (rc == RV_OK && !v[0]) rc = rv_error_set(err, RV_ERR_ARG, "decision is missing");
    if (rc != RV_OK) {
        json_decref(b);
        return rc;
    }
    *out = (rv_decision_req){v[0], v[1], v[2], b};
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
    json_error_t je;
    json_t *b = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        return rv_error_set(err, RV_ERR_ARG, "body must be a JSON object");
    }
    const char *names[4] = {"name", "unit", "org", "closing"};
    const char **dst[4] = {&out->name, &out->unit, &out->org, &out->closing};
    const char *key;
    json_t *val;
    rv_err rc = RV_OK;
    json_object_foreach(b, key, val) {
        int k = 0;
        while (k < 4 && strcmp(key, names[k])) k++;
        if (k == 4) {
            rc = rv_error_set(err, RV_ERR_ARG, "unknown field \"%.60s\"", key);
            break;
        }
        if (!json_is_string(val)) {
            rc = rv_error_set(err, RV_ERR_ARG, "%s must be a string", key);
            break;
        }
        const char *v = json_string_value(val);
        if (strcmp(v, "stated") == 0) *dst[k] = "stated";
        else if (strcmp(v, "not_stated") == 0) *dst[k] = "not_stated";
        else {
            rc = rv_error_set(err, RV_ERR_UNPROCESSABLE, "%s must be \"stated\" or \"not_stated\"", key);
            break;
        }
    }
    if (rc == RV_OK && !out->name && !out->unit && !out->org && !out->closing)
        rc = rv_error_set(err, RV_ERR_ARG, "say what was heard: name, unit, org or closing");
    json_decref(b);
    if (rc != RV_OK) out->name = out->unit = out->org = out->closing = NULL;
    return rc;
}
