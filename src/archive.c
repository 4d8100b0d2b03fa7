/* Submission packages for the e-archive (archive.h): FGS Paketstruktur 2.0,
 * that is E-ARK CSIP 2.1 with SIP 2.1. Owns libxml2 (the XML, written and
 * validated) and libarchive (the tar); the store's facts come from the store. */
#include "rostvakt/archive.h"
#include "rostvakt/fileio.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/config.h"

#ifndef RV_VERSION
#define RV_VERSION "0"
#endif

#define PROFILE_SIP "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
#define CONTENT_TYPE "Audio \xe2\x80\x93 Media-independent (digital)" /* CSIP content category */

void rv_uuid4(char out[37])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) /* the OS's generator failed: time and address, still unique enough */
        for (size_t i = 0; i < 16; i++) b[i] = (unsigned char)((uintptr_t)out >> (i % 8) ^ (unsigned)time(NULL) >> i);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void sha256_hex(const unsigned char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- the package's files ---- */

static rv_err add_file(rv_package *p, const char *path, unsigned char *data, size_t len, rv_error *err)
{
    rv_package_file *f = realloc(p->files, (p->n + 1) * sizeof *f);
    if (!f) {
        free(data);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    p->files = f;
    f = &p->files[p->n++];
    snprintf(f->path, sizeof f->path, "%s", path);
    f->data = data;
    f->len = len;
    return RV_OK;
}

static const rv_package_file *find(const rv_package *p, const char *path)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->files[i].path, path) == 0) return &p->files[i];
    return NULL;
}

void rv_package_free(rv_package *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->files[i].data);
    free(p->files);
    memset(p, 0, sizeof *p);
}

/* The recording's file name and type, from its bytes and stored type. */
static void recording_kind(const unsigned char *b, size_t len, const char *stored, const char **ext,
                           const char **mime)
{
    static const struct {
        const char *magic, *ext, *mime;
    } k[] = {{"RIFF", "wav", "audio/wav"},  {"fLaC", "flac", "audio/flac"}, {"OggS", "ogg", "audio/ogg"},
             {".snd", "au", "audio/basic"}, {"FORM", "aiff", "audio/aiff"}, {"ID3", "mp3", "audio/mpeg"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (len >= strlen(k[i].magic) && memcmp(b, k[i].magic, strlen(k[i].magic)) == 0) {
            *ext = k[i].ext;
            *mime = k[i].mime;
            return;
        }
    if (len >= 2 && b[0] == 0xff && (b[1] & 0xe0) == 0xe0) {
        *ext = "mp3";
        *mime = "audio/mpeg";
    } else if (stored && strcmp(stored, "audio/x-gsm") == 0) {
        *ext = "gsm";
        *mime = "audio/x-gsm";
    } else if (stored && strcmp(stored, "audio/basic") == 0) {
        *ext = "ul";
        *mime = "audio/basic";
    } else {
        *ext = "bin";
        *mime = "application/octet-stream";
    }
}

/* The preservation copy: WAVE, 16-bit linear PCM, mono, at the decoded rate. */
static rv_err wave_copy(const unsigned char *audio, size_t len, const char *stored_type, unsigned char **out,
                        size_t *out_len, rv_error *err)
{
    rv_pcm pcm;
    rv_audio_limits lim = {0, 24 * 3600};
    rv_err rc = rv_audio_decode(audio, len, rv_audio_hint_for_type(stored_type), &lim, &pcm, err);
    if (rc != RV_OK) return rc;
    size_t data = pcm.n * 2;
    unsigned char *w = malloc(44 + data);
    if (!w) {
        rv_pcm_free(&pcm);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    uint32_t rate = (uint32_t)pcm.rate, riff = (uint32_t)(36 + data), d = (uint32_t)data, br = rate * 2;
    unsigned char h[44] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' ', 16, 0, 0, 0,
                           1,   0,   1,   0,   0, 0, 0, 0, 0,   0,   0,   0,   2,   0,   16,  0,   'd', 'a', 't', 'a'};
    for (int i = 0; i < 4; i++) {
        h[4 + i] = (unsigned char)(riff >> (8 * i));
        h[24 + i] = (unsigned char)(rate >> (8 * i));
        h[28 + i] = (unsigned char)(br >> (8 * i));
    }
    memcpy(w, h, 40);
    for (int i = 0; i < 4; i++) w[40 + i] = (unsigned char)(d >> (8 * i));
    for (size_t i = 0; i < pcm.n; i++) {
        float x = pcm.samples[i] * 32768.0f;
        int v = x >= 32767.0f ? 32767 : x <= -32768.0f ? -32768 : (int)(x < 0 ? x - 0.5f : x + 0.5f);
        w[44 + 2 * i] = (unsigned char)(v & 0xff);
        w[44 + 2 * i + 1] = (unsigned char)((v >> 8) & 0xff);
    }
    rv_pcm_free(&pcm);
    *out = w;
    *out_len = 44 + data;
    return RV_OK;
}

/* ---- XML, written by libxml2's writer and checked before it leaves ---- */

/* s as XML 1.0 can carry it: every character it has no place for (C0
 * controls but tab, LF and CR; U+FFFE, U+FFFF; bytes that are not UTF-8)
 * becomes U+FFFD, so that a package is well-formed whatever was typed.
 * New string (free); NULL when out of memory. */
static char *xml_text(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc(3 * n + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t k = u[0] < 0x80 ? 1 : (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3 : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
        uint32_t cp = k == 1 ? u[0] : k == 2 ? u[0] & 0x1fu : k == 3 ? u[0] & 0x0fu : u[0] & 0x07u;
        int ok = k > 0 && i + k <= n;
        for (size_t j = 1; ok && j < k; j++) {
            ok = (u[j] & 0xc0) == 0x80;
            cp = cp << 6 | (u[j] & 0x3fu);
        }
        static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= least[k]; /* UTF-8, not overlong: one character, k bytes */
        int allowed = ok && (cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
                             (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff));
        if (allowed) memcpy(out + o, u, k);
        else memcpy(out + o, "\xef\xbf\xbd", 3);
        o += allowed ? k : 3;
        i += ok ? k : 1;
    }
    out[o] = '\0';
    return out;
}

/* One XML document being written into memory; a failure sticks (bad). */
typedef struct {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    int bad;
} xdoc;

static void x_open(xdoc *d)
{
    memset(d, 0, sizeof *d);
    d->buf = xmlBufferCreate();
    d->w = d->buf ? xmlNewTextWriterMemory(d->buf, 0) : NULL;
    d->bad = !d->w || xmlTextWriterSetIndent(d->w, 1) < 0 || xmlTextWriterSetIndentString(d->w, BAD_CAST "  ") < 0 ||
             xmlTextWriterStartDocument(d->w, NULL, "UTF-8", NULL) < 0;
}

static void x_start(xdoc *d, const char *name)
{
    if (!d->bad && xmlTextWriterStartElement(d->w, BAD_CAST name) < 0) d->bad = 1;
}

static void x_end(xdoc *d)
{
    if (!d->bad && xmlTextWriterEndElement(d->w) < 0) d->bad = 1;
}

static void x_attr(xdoc *d, const char *name, const char *value)
{
    char *t = d->bad ? NULL : xml_text(value);
    if (!t || xmlTextWriterWriteAttribute(d->w, BAD_CAST name, BAD_CAST t) < 0) d->bad = 1;
    free(t);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void x_attrf(xdoc *d, const char *name, const char *fmt, ...)
{
    char v[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    x_attr(d, name, v);
}

/* <name>value</name>, even when value is empty. */
static void x_leaf(xdoc *d, const char *name, const char *value)
{
    char *t = d->bad ? NULL : xml_text(value ? value : "");
    x_start(d, name);
    if (!t || xmlTextWriterWriteString(d->w, BAD_CAST t) < 0) d->bad = 1;
    x_end(d);
    free(t);
}

/* <name>value</name>, left out without a value. */
static void x_opt(xdoc *d, const char *name, const char *value)
{
    if (value && *value) x_leaf(d, name, value);
}

/* The document ended and added to p as path. */
static rv_err x_close(xdoc *d, rv_package *p, const char *path, rv_error *err)
{
    if (!d->bad && xmlTextWriterEndDocument(d->w) < 0) d->bad = 1;
    if (d->w) xmlFreeTextWriter(d->w); /* flushes into buf */
    unsigned char *data = NULL;
    size_t len = d->buf ? (size_t)xmlBufferLength(d->buf) : 0;
    if (!d->bad && (data = malloc(len ? len : 1))) memcpy(data, xmlBufferContent(d->buf), len);
    if (d->buf) xmlBufferFree(d->buf);
    memset(d, 0, sizeof *d);
    if (!data) return rv_error_set(err, RV_ERR_NOMEM, "cannot write %s: out of memory", path);
    return add_file(p, path, data, len, err);
}

/* The schemas every METS.xml is validated against: models_dir/eark/package.xsd
 * (METS 1.12, XLink, the CSIP extension), read once. */
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static char schema_models[1024];
static xmlSchemaPtr schema;

void rv_package_use_models(const char *models_dir)
{
    pthread_mutex_lock(&schema_lock);
    if (!schema) snprintf(schema_models, sizeof schema_models, "%s", models_dir);
    pthread_mutex_unlock(&schema_lock);
}

/* libxml2's first error (warnings are not kept) as "line N: message". */
static void first_error(void *user, xmlErrorPtr e)
{
    char *msg = user;
    if (msg[0] || !e || e->level < XML_ERR_ERROR) return;
    snprintf(msg, 200, "line %d: %s", e->line, e->message ? e->message : "?");
    msg[strcspn(msg, "\n")] = '\0';
}

/* libxml2's messages kept from stderr (library code never prints). */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static rv_err package_schema(xmlSchemaPtr *out, rv_error *err)
{
    rv_err rc = RV_OK;
    pthread_mutex_lock(&schema_lock);
    if (!schema) {
        xmlInitParser();
        xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader); /* schemas from the disk, never the network */
        if (!schema_models[0]) {
            rv_config *c = malloc(sizeof *c);
            if (c) {
                rv_config_defaults(c);
                rv_config_resolve(c);
                snprintf(schema_models, sizeof schema_models, "%s", c->models_dir);
            }
            free(c);
        }
        char path[1200], msg[200] = "";
        snprintf(path, sizeof path, "%s/eark/package.xsd", schema_models);
        xmlSetGenericErrorFunc(NULL, quiet); /* this thread's, until reset below */
        xmlSetStructuredErrorFunc(msg, first_error);
        xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
        if (pc) xmlSchemaSetParserStructuredErrors(pc, first_error, msg);
        schema = pc ? xmlSchemaParse(pc) : NULL;
        xmlSchemaFreeParserCtxt(pc);
        xmlSetStructuredErrorFunc(NULL, NULL);
        xmlSetGenericErrorFunc(NULL, NULL);
        if (!schema)
            rc = rv_error_set(err, RV_ERR_CONFIG, "cannot read the METS schemas %s: %s", path,
                              msg[0] ? msg : "not there or not a schema");
    }
    *out = schema;
    pthread_mutex_unlock(&schema_lock);
    return rc;
}

/* f well-formed XML and, when s, valid by the schemas s: RV_OK, or
 * RV_ERR_INTERNAL naming the file and the first problem. */
static rv_err check_xml(const rv_package_file *f, xmlSchemaPtr s, rv_error *err)
{
    char msg[200] = "";
    xmlParserCtxtPtr pc = xmlNewParserCtxt();
    if (!pc) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    xmlDocPtr doc = xmlCtxtReadMemory(pc, (const char *)f->data, (int)f->len, f->path, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        xmlErrorPtr e = xmlCtxtGetLastError(pc);
        first_error(msg, e);
    } else if (s) {
        xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(s);
        if (vc) xmlSchemaSetValidStructuredErrors(vc, first_error, msg);
        if (!vc || xmlSchemaValidateDoc(vc, doc) != 0) {
            if (!msg[0]) snprintf(msg, sizeof msg, "not valid");
        }
        xmlSchemaFreeValidCtxt(vc);
    }
    int bad = !doc || msg[0];
    xmlFreeDoc(doc);
    xmlFreeParserCtxt(pc);
    if (!bad) return RV_OK;
    return rv_error_set(err, RV_ERR_INTERNAL, "the package's %s is not %s: %s", f->path,
                        doc && s ? "valid METS" : "well-formed XML", msg[0] ? msg : "?");
}

/* The attributes METS wants of a file: size, creation, SHA-256. */
static void file_attrs(xdoc *d, const rv_package_file *f, const char *created)
{
    char hex[65];
    sha256_hex(f->data, f->len, hex);
    x_attrf(d, "SIZE", "%zu", f->len);
    x_attr(d, "CREATED", created);
    x_attr(d, "CHECKSUM", hex);
    x_attr(d, "CHECKSUMTYPE", "SHA-256");
}

/* <mets> and its metsHdr, the mets element left open. */
/* Whose package it is: the organisation's archival creator, or the
 * mailbox's free-text org. */
typedef struct {
    const char *name, *id;
} creator;

static creator creator_of(const rv_vm_archive *v)
{
    return (creator){v->creator_name[0] ? v->creator_name : v->org, v->creator_id};
}

static void mets_open(xdoc *d, const char *objid, const char *label, const char *created, creator org)
{
    x_start(d, "mets");
    x_attr(d, "xmlns", "http://www.loc.gov/METS/");
    x_attr(d, "xmlns:xlink", "http://www.w3.org/1999/xlink");
    x_attr(d, "xmlns:csip", "https://DILCIS.eu/XML/METS/CSIPExtensionMETS");
    x_attr(d, "OBJID", objid);
    x_attr(d, "LABEL", label);
    x_attr(d, "TYPE", CONTENT_TYPE);
    x_attr(d, "csip:CONTENTINFORMATIONTYPE", "OTHER");
    x_attr(d, "csip:OTHERCONTENTINFORMATIONTYPE", "rostvakt voicemail");
    x_attr(d, "PROFILE", PROFILE_SIP);
    x_start(d, "metsHdr");
    x_attr(d, "CREATEDATE", created);
    x_attr(d, "RECORDSTATUS", "NEW");
    x_attr(d, "csip:OAISPACKAGETYPE", "SIP");
    x_start(d, "agent");
    x_attr(d, "ROLE", "CREATOR");
    x_attr(d, "TYPE", "OTHER");
    x_attr(d, "OTHERTYPE", "SOFTWARE");
    x_leaf(d, "name", "rostvakt");
    x_start(d, "note");
    x_attr(d, "csip:NOTETYPE", "SOFTWARE VERSION");
    if (!d->bad && xmlTextWriterWriteString(d->w, BAD_CAST RV_VERSION) < 0) d->bad = 1;
    x_end(d);
    x_end(d);
    if (org.name && *org.name) {
        x_start(d, "agent");
        x_attr(d, "ROLE", "CREATOR");
        x_attr(d, "TYPE", "ORGANIZATION");
        x_leaf(d, "name", org.name);
        if (org.id && *org.id) {
            x_start(d, "note");
            x_attr(d, "csip:NOTETYPE", "IDENTIFICATIONCODE");
            if (!d->bad && xmlTextWriterWriteString(d->w, BAD_CAST org.id) < 0) d->bad = 1;
            x_end(d);
        }
        x_end(d);
    }
    x_end(d);
}

/* <FLocat> or <mdRef>'s location attributes. */
static void locat(xdoc *d, const char *href)
{
    x_attr(d, "LOCTYPE", "URL");
    x_attr(d, "xlink:type", "simple");
    x_attr(d, "xlink:href", href);
}

static void md_ref(xdoc *d, const char *href, const char *mdtype, const char *other, const char *mime,
                   const rv_package_file *f, const char *created)
{
    x_start(d, "mdRef");
    locat(d, href);
    x_attr(d, "MDTYPE", mdtype);
    if (other) x_attr(d, "OTHERMDTYPE", other);
    x_attr(d, "MIMETYPE", mime);
    file_attrs(d, f, created);
    x_end(d);
}

/* <file ID MIMETYPE ...><FLocat/></file> */
static void mets_file(xdoc *d, const char *id, const char *mime, const rv_package_file *f, const char *created,
                      const char *href)
{
    x_start(d, "file");
    x_attr(d, "ID", id);
    x_attr(d, "MIMETYPE", mime);
    file_attrs(d, f, created);
    x_start(d, "FLocat");
    locat(d, href);
    x_end(d);
    x_end(d);
}

/* A representation's METS.xml: its data file. */
static rv_err rep_mets(rv_package *p, const char *objid, const char *rep, const char *label, const rv_package_file *data,
                       const char *name, const char *mime, const char *created, const char *file_created,
                       creator org, rv_error *err)
{
    char id[96], path[64], href[64];
    xdoc d;
    x_open(&d);
    snprintf(id, sizeof id, "%s/%s", objid, rep);
    mets_open(&d, id, label, created, org);
    x_start(&d, "fileSec");
    x_attrf(&d, "ID", "filesec-%s", rep);
    x_start(&d, "fileGrp");
    x_attrf(&d, "ID", "grp-%s-data", rep);
    x_attr(&d, "USE", "Data");
    snprintf(id, sizeof id, "file-%s-data", rep);
    snprintf(href, sizeof href, "data/%s", name);
    mets_file(&d, id, mime, data, file_created, href);
    x_end(&d);
    x_end(&d);
    x_start(&d, "structMap");
    x_attrf(&d, "ID", "structmap-%s", rep);
    x_attr(&d, "TYPE", "PHYSICAL");
    x_attr(&d, "LABEL", "CSIP");
    x_start(&d, "div");
    x_attrf(&d, "ID", "div-%s", rep);
    x_attr(&d, "LABEL", rep);
    x_start(&d, "div");
    x_attrf(&d, "ID", "div-%s-data", rep);
    x_attr(&d, "LABEL", "Data");
    x_start(&d, "fptr");
    x_attr(&d, "FILEID", id);
    x_end(&d);
    x_end(&d);
    x_end(&d);
    x_end(&d);
    x_end(&d);
    snprintf(path, sizeof path, "representations/%s/METS.xml", rep);
    return x_close(&d, p, path, err);
}

/* <T><TType>local</TType><TValue>value</TValue></T> for PREMIS's identifiers. */
static void premis_id(xdoc *d, const char *t, const char *value)
{
    char type[64], val[64];
    snprintf(type, sizeof type, "%sType", t);
    snprintf(val, sizeof val, "%sValue", t);
    x_start(d, t);
    x_leaf(d, type, "local");
    x_leaf(d, val, value);
    x_end(d);
}

static void premis_agent(xdoc *d, const char *id, const char *name, const char *type, const char *version)
{
    x_start(d, "agent");
    premis_id(d, "agentIdentifier", id);
    x_leaf(d, "agentName", name);
    x_leaf(d, "agentType", type);
    if (version) x_leaf(d, "agentVersion", version);
    x_end(d);
}

static void premis_event(xdoc *d, const char *id, const char *type, const char *at, const char *detail,
                         const char *outcome, const char *agent, const char *role, const char *object)
{
    x_start(d, "event");
    premis_id(d, "eventIdentifier", id);
    x_leaf(d, "eventType", type);
    x_leaf(d, "eventDateTime", at);
    if (detail) {
        x_start(d, "eventDetailInformation");
        x_leaf(d, "eventDetail", detail);
        x_end(d);
    }
    if (outcome) {
        x_start(d, "eventOutcomeInformation");
        x_leaf(d, "eventOutcome", outcome);
        x_end(d);
    }
    x_start(d, "linkingAgentIdentifier");
    x_leaf(d, "linkingAgentIdentifierType", "local");
    x_leaf(d, "linkingAgentIdentifierValue", agent);
    x_leaf(d, "linkingAgentRole", role);
    x_end(d);
    premis_id(d, "linkingObjectIdentifier", object);
    x_end(d);
}

static void premis_object(xdoc *d, const char *id, const rv_package_file *f, const char *mime, const char *derived_from)
{
    char hex[65], size[32];
    sha256_hex(f->data, f->len, hex);
    snprintf(size, sizeof size, "%zu", f->len);
    x_start(d, "object");
    x_attr(d, "xsi:type", "file");
    premis_id(d, "objectIdentifier", id);
    x_start(d, "objectCharacteristics");
    x_leaf(d, "compositionLevel", "0");
    x_start(d, "fixity");
    x_leaf(d, "messageDigestAlgorithm", "SHA-256");
    x_leaf(d, "messageDigest", hex);
    x_end(d);
    x_leaf(d, "size", size);
    x_start(d, "format");
    x_start(d, "formatDesignation");
    x_leaf(d, "formatName", mime);
    x_end(d);
    x_end(d);
    x_end(d);
    if (derived_from) {
        x_start(d, "relationship");
        x_leaf(d, "relationshipType", "derivation");
        x_leaf(d, "relationshipSubType", "is derived from");
        premis_id(d, "relatedObjectIdentifier", derived_from);
        x_end(d);
    }
    x_end(d);
}

/* metadata/descriptive/voicemail.xml: rostvakt's record (docs/archive.md). */
static rv_err record_xml(rv_package *p, const rv_vm_archive *v, const char *rep1_path, const char *mime,
                         const rv_package_file *r1, rv_error *err)
{
    char hex[65];
    sha256_hex(r1->data, r1->len, hex);
    xdoc d;
    x_open(&d);
    x_start(&d, "voicemail");
    x_attr(&d, "xmlns", "urn:x-rostvakt:voicemail:1");
    x_attrf(&d, "id", "%lld", v->id);
    x_opt(&d, "diarienummer", v->diarienummer);
    x_opt(&d, "receivedAt", v->received_at);
    x_opt(&d, "callerNumber", v->caller);
    x_start(&d, "mailbox");
    x_attr(&d, "extension", v->ext);
    x_opt(&d, "firstName", v->first_name);
    x_opt(&d, "lastName", v->last_name);
    x_opt(&d, "unit", v->unit);
    x_opt(&d, "organisation", v->org);
    x_end(&d);
    x_opt(&d, "classification", v->classification);
    x_start(&d, "decision");
    x_attr(&d, "type", "registrera");
    x_attr(&d, "at", v->decided_at);
    x_attr(&d, "by", v->decided_by);
    x_opt(&d, "arendemening", v->arendemening);
    x_opt(&d, "sekretess", v->sekretess);
    x_opt(&d, "note", v->decision_note);
    x_end(&d);
    if (v->callback_at[0]) {
        x_start(&d, "callback");
        x_attr(&d, "at", v->callback_at);
        x_end(&d);
    }
    x_start(&d, "recording");
    x_attr(&d, "file", rep1_path);
    x_attr(&d, "mimeType", mime);
    x_attrf(&d, "bytes", "%zu", r1->len);
    x_attr(&d, "sha256", hex);
    x_end(&d);
    x_end(&d);
    return x_close(&d, p, "metadata/descriptive/voicemail.xml", err);
}

/* metadata/descriptive/dc.xml: the same in Dublin Core. */
static rv_err dc_xml(rv_package *p, const rv_vm_archive *v, const char *label, const char *mime, rv_error *err)
{
    xdoc d;
    x_open(&d);
    x_start(&d, "oai_dc:dc");
    x_attr(&d, "xmlns:oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc/");
    x_attr(&d, "xmlns:dc", "http://purl.org/dc/elements/1.1/");
    x_opt(&d, "dc:title", label);
    x_opt(&d, "dc:identifier", v->diarienummer);
    x_opt(&d, "dc:date", v->received_at);
    x_opt(&d, "dc:creator", v->caller);
    x_opt(&d, "dc:publisher", creator_of(v).name);
    x_opt(&d, "dc:type", "Sound");
    x_opt(&d, "dc:format", mime);
    x_end(&d);
    return x_close(&d, p, "metadata/descriptive/dc.xml", err);
}

/* metadata/preservation/premis.xml: objects with fixity, events, agents. */
static rv_err premis_xml(rv_package *p, const rv_vm_archive *v, const char *rep1_path, const char *mime,
                         const rv_package_file *r1, const rv_package_file *r2, rv_error *err)
{
    static const char rep2_path[] = "representations/rep2/data/voicemail.wav";
    xdoc d;
    x_open(&d);
    x_start(&d, "premis");
    x_attr(&d, "xmlns", "http://www.loc.gov/premis/v3");
    x_attr(&d, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    x_attr(&d, "version", "3.0");
    premis_object(&d, rep1_path, r1, mime, NULL);
    premis_object(&d, rep2_path, r2, "audio/wav", rep1_path);
    premis_event(&d, "event-received", "received", v->received_at, "the PBX delivered the voicemail", NULL,
                 "agent-pbx", "transmitter", rep1_path);
    if (v->analysed_at[0])
        premis_event(&d, "event-analysed", "analysed", v->analysed_at, "speech, silence and case words found",
                     v->classification, "agent-rostvakt", "executing program", rep1_path);
    if (v->callback_at[0])
        premis_event(&d, "event-called-back", "called back", v->callback_at, "the mailbox's owner returned the call",
                     NULL, "agent-pbx", "transmitter", rep1_path);
    char decided[300];
    snprintf(decided, sizeof decided, "registrerad i diariet som %s", v->diarienummer);
    premis_event(&d, "event-decided", "decided", v->decided_at, decided, "registrera", "agent-officer", "authorizer",
                 rep1_path);
    premis_event(&d, "event-packaged", "packaged", v->packaged_at,
                 "submission package made, with a WAVE linear-PCM preservation copy (rep2)", NULL, "agent-rostvakt",
                 "executing program", rep2_path);
    premis_agent(&d, "agent-rostvakt", "rostvakt", "software", RV_VERSION);
    char pbx[160];
    snprintf(pbx, sizeof pbx, "PBX (token %s)", v->received_by[0] ? v->received_by : "unknown");
    premis_agent(&d, "agent-pbx", pbx, "software", NULL);
    premis_agent(&d, "agent-officer", v->decided_by, "person", NULL);
    if (v->org[0]) premis_agent(&d, "agent-organisation", v->org, "organization", NULL);
    x_end(&d);
    return x_close(&d, p, "metadata/preservation/premis.xml", err);
}

/* METS.xml: the package, everything above by checksum. */
static rv_err root_mets(rv_package *p, const rv_vm_archive *v, const char *label, const char *created, rv_error *err)
{
    static const struct {
        const char *sec, *id, *path, *mdtype, *other, *mime;
    } md[] = {{"dmdSec", "dmd-voicemail", "metadata/descriptive/voicemail.xml", "OTHER", "rostvakt-voicemail", "text/xml"},
              {"dmdSec", "dmd-dc", "metadata/descriptive/dc.xml", "DC", NULL, "text/xml"},
              {"techMD", "tech-analysis", "metadata/other/analysis.json", "OTHER", "rostvakt-analysis", "application/json"},
              {"digiprovMD", "digiprov-premis", "metadata/preservation/premis.xml", "PREMIS", NULL, "text/xml"}};
    const char *pack = v->packaged_at;
    xdoc d;
    x_open(&d);
    mets_open(&d, v->objid, label, created, creator_of(v));
    for (size_t i = 0; i < sizeof md / sizeof md[0]; i++) {
        if (i == 2) {
            x_start(&d, "amdSec");
            x_attr(&d, "ID", "amd");
        }
        x_start(&d, md[i].sec);
        x_attr(&d, "ID", md[i].id);
        if (i < 2) x_attr(&d, "CREATED", pack);
        x_attr(&d, "STATUS", "CURRENT");
        md_ref(&d, md[i].path, md[i].mdtype, md[i].other, md[i].mime, find(p, md[i].path), pack);
        x_end(&d);
    }
    x_end(&d); /* amdSec */
    x_start(&d, "fileSec");
    x_attr(&d, "ID", "filesec");
    for (int r = 1; r <= 2; r++) {
        char path[64], id[32];
        snprintf(path, sizeof path, "representations/rep%d/METS.xml", r);
        snprintf(id, sizeof id, "file-rep%d-mets", r);
        x_start(&d, "fileGrp");
        x_attrf(&d, "ID", "grp-rep%d", r);
        x_attrf(&d, "USE", "Representations/rep%d", r);
        mets_file(&d, id, "text/xml", find(p, path), pack, path);
        x_end(&d);
    }
    x_end(&d);
    x_start(&d, "structMap");
    x_attr(&d, "ID", "structmap");
    x_attr(&d, "TYPE", "PHYSICAL");
    x_attr(&d, "LABEL", "CSIP");
    x_start(&d, "div");
    x_attr(&d, "ID", "div-root");
    x_attr(&d, "LABEL", v->objid);
    x_start(&d, "div");
    x_attr(&d, "ID", "div-metadata");
    x_attr(&d, "LABEL", "Metadata");
    x_attr(&d, "DMDID", "dmd-voicemail dmd-dc");
    x_attr(&d, "ADMID", "tech-analysis digiprov-premis");
    x_end(&d);
    for (int r = 1; r <= 2; r++) {
        x_start(&d, "div");
        x_attrf(&d, "ID", "div-rep%d", r);
        x_attrf(&d, "LABEL", "Representations/rep%d", r);
        x_start(&d, "mptr");
        x_attr(&d, "LOCTYPE", "URL");
        x_attr(&d, "xlink:type", "simple");
        x_attrf(&d, "xlink:href", "representations/rep%d/METS.xml", r);
        x_attrf(&d, "xlink:title", "grp-rep%d", r);
        x_end(&d);
        x_end(&d);
    }
    x_end(&d);
    x_end(&d);
    x_end(&d);
    return x_close(&d, p, "METS.xml", err);
}

rv_err rv_package_build(const rv_vm_archive *v, const unsigned char *audio, size_t len, const char *created,
                        rv_package *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(v->decision, "registrera") != 0)
        return rv_error_set(err, RV_ERR_CONFLICT,
                            "voicemail %lld is %s; only a voicemail decided \"registrera\" (with its diarienummer) "
                            "is packaged for the e-archive",
                            v->id, v->decision[0] ? v->decision : "not decided");
    if (v->disposed || !audio)
        return rv_error_set(err, RV_ERR_CONFLICT, "voicemail %lld's recording was disposed of", v->id);
    if (!v->objid[0] || !v->packaged_at[0]) return rv_error_set(err, RV_ERR_ARG, "the package has no id yet");
    xmlSchemaPtr mets_schema;
    rv_err rc = package_schema(&mets_schema, err);
    if (rc != RV_OK) return rc;
    snprintf(out->objid, sizeof out->objid, "%s", v->objid);
    struct tm tm = {0};
    if (strptime(v->packaged_at, "%Y-%m-%dT%H:%M:%S", &tm)) out->mtime = (long long)timegm(&tm);
    const char *ext, *mime;
    recording_kind(audio, len, v->content_type, &ext, &mime);
    char rep1_name[32], rep1_path[96];
    snprintf(rep1_name, sizeof rep1_name, "voicemail.%s", ext);
    snprintf(rep1_path, sizeof rep1_path, "representations/rep1/data/%s", rep1_name);
    const char *pack = v->packaged_at; /* the creation time of everything but the root METS.xml */

    /* the representations' data */
    unsigned char *copy = malloc(len ? len : 1);
    if (!copy) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    memcpy(copy, audio, len);
    rc = add_file(out, rep1_path, copy, len, err);
    unsigned char *wave = NULL;
    size_t wave_len = 0;
    if (rc == RV_OK) rc = wave_copy(audio, len, v->content_type, &wave, &wave_len, err);
    if (rc == RV_OK) rc = add_file(out, "representations/rep2/data/voicemail.wav", wave, wave_len, err);
    if (rc != RV_OK) {
        rv_package_free(out);
        return rc;
    }
    /* out->files moves as files are added: the representations by index */
    const size_t i1 = 0, i2 = 1;
#define R1 (&out->files[i1])
#define R2 (&out->files[i2])
    char label[600];
    snprintf(label, sizeof label, "R\xc3\xb6stmeddelande till %s %s, %s, mottaget %.10s", v->first_name, v->last_name,
             v->unit, v->received_at);
    rc = record_xml(out, v, rep1_path, mime, R1, err);
    if (rc == RV_OK) rc = dc_xml(out, v, label, mime, err);

    /* other: the analysis, as stored, keys sorted */
    if (rc == RV_OK) {
        json_t *j = v->report ? json_loads(v->report, 0, NULL) : NULL;
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) : strdup("null");
        json_decref(j);
        size_t n = s ? strlen(s) : 0;
        char *t = s ? realloc(s, n + 2) : NULL;
        if (!t) {
            free(s);
            rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        } else {
            memcpy(t + n, "\n", 2);
            rc = add_file(out, "metadata/other/analysis.json", (unsigned char *)t, n + 1, err);
        }
    }
    if (rc == RV_OK) rc = premis_xml(out, v, rep1_path, mime, R1, R2, err);
    if (rc == RV_OK)
        rc = rep_mets(out, v->objid, "rep1", "the recording as received", R1, rep1_name, mime, pack, v->received_at,
                      creator_of(v), err);
    if (rc == RV_OK)
        rc = rep_mets(out, v->objid, "rep2", "WAVE linear-PCM preservation copy", R2, "voicemail.wav", "audio/wav",
                      pack, pack, creator_of(v), err);
    if (rc == RV_OK) rc = root_mets(out, v, label, created, err);
#undef R1
#undef R2
    /* nothing leaves that an e-archive would refuse: every XML file
     * well-formed, every METS.xml valid */
    for (size_t i = 0; rc == RV_OK && i < out->n; i++) {
        const char *path = out->files[i].path;
        size_t pl = strlen(path);
        if (pl > 4 && strcmp(path + pl - 4, ".xml") == 0)
            rc = check_xml(&out->files[i], pl >= 8 && strcmp(path + pl - 8, "METS.xml") == 0 ? mets_schema : NULL, err);
    }
    if (rc != RV_OK) rv_package_free(out);
    return rc;
}

/* ---- tar, by libarchive ---- */

/* Every file of p into a (a ustar archive, opened by the caller), under OBJID/. */
static rv_err tar_files(struct archive *a, const rv_package *p, rv_error *err)
{
    struct archive_entry *e = archive_entry_new();
    if (!e) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    rv_err rc = RV_OK;
    for (size_t i = 0; rc == RV_OK && i < p->n; i++) {
        const rv_package_file *f = &p->files[i];
        char name[400];
        snprintf(name, sizeof name, "%s/%s", p->objid, f->path);
        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)f->len);
        archive_entry_set_mtime(e, (time_t)(p->mtime > 0 ? p->mtime : 0), 0);
        archive_entry_set_uname(e, "rostvakt");
        archive_entry_set_gname(e, "rostvakt");
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            (f->len && archive_write_data(a, f->data, f->len) != (la_ssize_t)f->len))
            rc = rv_error_set(err, archive_errno(a) == ENOSPC ? RV_ERR_FULL : RV_ERR_IO, "cannot make the tar of %s: %s",
                              name,
                              archive_error_string(a) ? archive_error_string(a) : "?");
    }
    archive_entry_free(e);
    if (archive_write_close(a) != ARCHIVE_OK && rc == RV_OK)
        rc = rv_error_set(err, archive_errno(a) == ENOSPC ? RV_ERR_FULL : RV_ERR_IO, "cannot make the tar: %s",
                          archive_error_string(a) ? archive_error_string(a) : "?");
    return rc;
}

/* A new writer of POSIX ustar, with nothing after the end-of-archive blocks. */
static struct archive *tar_writer(void)
{
    struct archive *a = archive_write_new();
    if (a && (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
              archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)) {
        archive_write_free(a);
        a = NULL;
    }
    return a;
}

typedef struct {
    unsigned char *b;
    size_t len, cap;
} membuf;

static la_ssize_t to_memory(struct archive *a, void *user, const void *buf, size_t n)
{
    membuf *m = user;
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap : 65536;
        while (cap < m->len + n) cap *= 2;
        unsigned char *b = realloc(m->b, cap);
        if (!b) {
            archive_set_error(a, ENOMEM, "out of memory");
            return -1;
        }
        m->b = b;
        m->cap = cap;
    }
    memcpy(m->b + m->len, buf, n);
    m->len += n;
    return (la_ssize_t)n;
}

rv_err rv_package_tar(const rv_package *p, unsigned char **out, size_t *len, rv_error *err)
{
    *out = NULL;
    *len = 0;
    membuf m = {0};
    struct archive *a = tar_writer();
    if (!a || archive_write_open(a, &m, NULL, to_memory, NULL) != ARCHIVE_OK) {
        if (a) archive_write_free(a);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    rv_err rc = tar_files(a, p, err);
    archive_write_free(a);
    if (rc != RV_OK) {
        free(m.b);
        return rc;
    }
    *out = m.b;
    *len = m.len;
    return RV_OK;
}

/* ---- to disk ---- */

/* The kill -9 tests' hook: with RV_TEST_KILL_AT=name in the environment the
 * process kills itself at the point of that name (inert unless set). */
static void kill_point(const char *name)
{
    const char *at = getenv("RV_TEST_KILL_AT");
    if (at && strcmp(at, name) == 0) raise(SIGKILL);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static rv_err sync_dir(const char *path, rv_error *err)
{
    return rv_sync_folder(path) == 0 ? RV_OK : rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", path, strerror(errno));
}

/* data written to fd, fsync'ed and closed (fd is closed in any case). */
static rv_err write_fd(int fd, const char *path, const unsigned char *data, size_t len, rv_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return rv_error_set(err, e == ENOSPC ? RV_ERR_FULL : RV_ERR_IO, "cannot write %s: %s", path, strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return rv_error_set(err, e == ENOSPC ? RV_ERR_FULL : RV_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    if (close(fd) != 0) return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return RV_OK;
}

/* Every missing parent of path made, each new one's entry synced. */
static rv_err make_dirs(char *path, rv_error *err)
{
    rv_err rc = RV_OK;
    for (char *q = strchr(path + 1, '/'); rc == RV_OK && q; q = strchr(q + 1, '/')) {
        *q = '\0';
        int r = mkdir(path, 0755), e = errno;
        if (r != 0 && e != EEXIST) rc = rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", path, strerror(e));
        char *up = r == 0 ? strrchr(path, '/') : NULL;
        if (up) { /* its parent now names it */
            *up = '\0';
            rc = sync_dir(path, err);
            *up = '/';
        }
        *q = '/';
    }
    return rc;
}

/* A name a writer of this file gives what it has not finished:
 * ".OBJID.partial-XXXXXX", ".OBJID.tar.partial-XXXXXX" (and, from earlier
 * versions, ".OBJID.partial", ".OBJID.tar.partial", ".OBJID.old"). */
static int unfinished(const char *name)
{
    if (name[0] != '.' || strlen(name) < 37) return 0;
    for (int i = 1; i <= 36; i++)
        if (!(i == 9 || i == 14 || i == 19 || i == 24 ? name[i] == '-'
                                                         : (name[i] >= '0' && name[i] <= '9') ||
                                                               (name[i] >= 'a' && name[i] <= 'f')))
            return 0;
    const char *rest = name + 37;
    return strncmp(rest, ".partial", 8) == 0 || strncmp(rest, ".tar.partial", 12) == 0 || strcmp(rest, ".old") == 0;
}

/* What writers killed half-way left in dir, removed. Only while no other
 * writer holds dir (flock), so nothing being written is taken. */
static void tidy(int dfd, const char *dir)
{
    int fd = dup(dfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return;
    }
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d)))
        if (unfinished(de->d_name)) {
            snprintf(path, sizeof path, "%.3800s/%s", dir, de->d_name);
            rm_tree(path);
        }
    closedir(d);
}

/* The folder package: written as tmp (made by mkdtemp), then swapped in as final. */
static rv_err write_folder(const rv_package *p, const char *tmp, const char *final, rv_error *err)
{
    rv_err rc = RV_OK;
    char path[4096];
    for (size_t i = 0; rc == RV_OK && i < p->n; i++) {
        snprintf(path, sizeof path, "%.3700s/%s", tmp, p->files[i].path);
        rc = make_dirs(path, err);
        int fd = rc == RV_OK ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
        if (rc == RV_OK && fd < 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        if (rc == RV_OK) rc = write_fd(fd, path, p->files[i].data, p->files[i].len, err);
        if (rc == RV_OK) {
            *strrchr(path, '/') = '\0';
            rc = sync_dir(path, err);
        }
    }
    if (rc == RV_OK) kill_point("package-files-written");
    if (rc != RV_OK) return rc;
    /* an earlier package of the same OBJID is exchanged for the new one in
     * one step where the file system can, so that one of them is always there */
    struct stat sb;
    if (lstat(final, &sb) == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        rm_tree(tmp); /* the earlier package, now under the temporary name */
        return RV_OK;
    }
    if (lstat(final, &sb) == 0) { /* no exchange here: the earlier one aside first */
        char old[4096];
        snprintf(old, sizeof old, "%.3900s.old", tmp);
        if (rename(final, old) != 0)
            return rv_error_set(err, RV_ERR_IO, "cannot replace %s: %s", final, strerror(errno));
        rc = rename(tmp, final) == 0 ? RV_OK
                                     : rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
        rm_tree(old);
        return rc;
    }
    return rename(tmp, final) == 0 ? RV_OK : rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
}

rv_err rv_package_write(const rv_package *p, const char *dir, int tar, rv_error *err)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return rv_error_set(err, RV_ERR_IO, "cannot write to %s: %s", dir, strerror(errno));
    /* every writer holds dir shared while it writes; one that finds it free
     * first removes what writers killed half-way left */
    if (flock(dfd, LOCK_EX | LOCK_NB) == 0) tidy(dfd, dir);
    while (flock(dfd, LOCK_SH) != 0 && errno == EINTR) {}
    char tmp[4096], final[4096];
    rv_err rc = RV_OK;
    if (tar) {
        snprintf(final, sizeof final, "%.3900s/%s.tar", dir, p->objid);
        snprintf(tmp, sizeof tmp, "%.3900s/.%s.tar.partial-XXXXXX", dir, p->objid);
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
        else {
            struct archive *a = tar_writer();
            fchmod(fd, 0644);
            if (!a || archive_write_open_fd(a, fd) != ARCHIVE_OK)
                rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
            else rc = tar_files(a, p, err);
            if (a) archive_write_free(a);
            if (rc == RV_OK && fsync(fd) != 0)
                rc = rv_error_set(err, errno == ENOSPC ? RV_ERR_FULL : RV_ERR_IO, "cannot write %s: %s", tmp,
                                  strerror(errno));
            if (close(fd) != 0 && rc == RV_OK)
                rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
            if (rc == RV_OK) kill_point("package-files-written");
            if (rc == RV_OK && rename(tmp, final) != 0)
                rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
            if (rc != RV_OK) unlink(tmp);
        }
    } else {
        snprintf(final, sizeof final, "%.3900s/%s", dir, p->objid);
        snprintf(tmp, sizeof tmp, "%.3900s/.%s.partial-XXXXXX", dir, p->objid);
        if (!mkdtemp(tmp)) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
        else if ((rc = write_folder(p, tmp, final, err)) != RV_OK) rm_tree(tmp);
    }
    if (rc == RV_OK && fsync(dfd) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot sync %s: %s", dir, strerror(errno));
    close(dfd);
    if (rc == RV_OK) kill_point("package-renamed");
    return rc;
}

/* ---- from the store ---- */

void rv_package_first_time(rv_vm_archive *v, const char *now)
{
    if (v->objid[0]) return; /* packaged before: the same id and first time */
    rv_uuid4(v->objid);
    snprintf(v->packaged_at, sizeof v->packaged_at, "%s", now);
}

rv_err rv_package_archive(rv_store *s, long long id, const char *actor, const char *remote, const char *dir, int tar,
                          char objid[48], rv_error *err)
{
    objid[0] = '\0';
    rv_package pkg = {0};
    rv_vm_archive v;
    rv_err rc = rv_store_archive_info(s, id, &v, err);
    if (rc != RV_OK) return rc;
    unsigned char *audio = NULL;
    size_t len = 0;
    char now[32];
    rv_utc_now(now);
    if (strcmp(v.decision, "registrera") == 0 && !v.disposed)
        rc = rv_store_read_audio(s, v.sha256, (size_t)v.bytes + 1, &audio, &len, err);
    if (rc == RV_OK) rv_package_first_time(&v, now);
    if (rc == RV_OK) rc = rv_package_build(&v, audio, len, now, &pkg, err); /* says why, when not registered */
    free(audio);
    rv_vm_archive_free(&v);
    /* recorded only once the package is whole on the disk: killed before,
     * the voicemail is not packaged and the next run makes it again */
    if (rc == RV_OK) rc = rv_package_write(&pkg, dir, tar, err);
    if (rc == RV_OK) rc = rv_store_mark_packaged(s, id, pkg.objid, now, actor, remote, err);
    if (rc == RV_OK) snprintf(objid, 48, "%s", pkg.objid);
    rv_package_free(&pkg);
    return rc;
}
