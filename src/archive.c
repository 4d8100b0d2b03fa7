/* Submission packages for the e-archive (archive.h): FGS Paketstruktur 2.0,
 * that is E-ARK CSIP 2.1 with SIP 2.1. */
#include "rostvakt/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rostvakt/audio.h"
#include "rostvakt/calendar.h"
#include "rostvakt/strbuf.h"

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

/* <name>value</name> with indent, when value is not empty. */
static void element(rv_strbuf *t, const char *indent, const char *name, const char *value)
{
    if (!value || !*value) return;
    rv_strbuf_put(t, "%s<%s>", indent, name);
    rv_strbuf_put_xml(t, value);
    rv_strbuf_put(t, "</%s>\n", name);
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

static rv_err add_text(rv_package *p, const char *path, rv_strbuf *t, rv_error *err)
{
    if (t->oom) {
        free(t->s);
        return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    }
    rv_err rc = add_file(p, path, (unsigned char *)t->s, t->len, err);
    memset(t, 0, sizeof *t);
    return rc;
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

/* The attributes METS wants of a file: size, creation, SHA-256. */
static void file_attrs(rv_strbuf *t, const rv_package_file *f, const char *created)
{
    char hex[65];
    sha256_hex(f->data, f->len, hex);
    rv_strbuf_put(t, " SIZE=\"%zu\" CREATED=\"%s\" CHECKSUM=\"%s\" CHECKSUMTYPE=\"SHA-256\"", f->len, created, hex);
}

static void mets_open(rv_strbuf *t, const char *objid, const char *label, const char *created, const char *org)
{
    rv_strbuf_put(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<mets xmlns=\"http://www.loc.gov/METS/\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n"
           "      xmlns:csip=\"https://DILCIS.eu/XML/METS/CSIPExtensionMETS\"\n"
           "      OBJID=\"");
    rv_strbuf_put_xml(t, objid);
    rv_strbuf_put(t, "\" LABEL=\"");
    rv_strbuf_put_xml(t, label);
    rv_strbuf_put(t, "\" TYPE=\"" CONTENT_TYPE "\"\n      csip:CONTENTINFORMATIONTYPE=\"OTHER\" "
           "csip:OTHERCONTENTINFORMATIONTYPE=\"rostvakt voicemail\"\n      PROFILE=\"" PROFILE_SIP "\">\n");
    rv_strbuf_put(t, "  <metsHdr CREATEDATE=\"%s\" RECORDSTATUS=\"NEW\" csip:OAISPACKAGETYPE=\"SIP\">\n", created);
    rv_strbuf_put(t, "    <agent ROLE=\"CREATOR\" TYPE=\"OTHER\" OTHERTYPE=\"SOFTWARE\">\n      <name>rostvakt</name>\n"
           "      <note csip:NOTETYPE=\"SOFTWARE VERSION\">" RV_VERSION "</note>\n    </agent>\n");
    if (org && *org) {
        rv_strbuf_put(t, "    <agent ROLE=\"CREATOR\" TYPE=\"ORGANIZATION\">\n      <name>");
        rv_strbuf_put_xml(t, org);
        rv_strbuf_put(t, "</name>\n    </agent>\n");
    }
    rv_strbuf_put(t, "  </metsHdr>\n");
}

static void md_ref(rv_strbuf *t, const char *href, const char *mdtype, const char *other, const char *mime,
                   const rv_package_file *f, const char *created)
{
    rv_strbuf_put(t, "    <mdRef LOCTYPE=\"URL\" xlink:type=\"simple\" xlink:href=\"%s\" MDTYPE=\"%s\"", href, mdtype);
    if (other) rv_strbuf_put(t, " OTHERMDTYPE=\"%s\"", other);
    rv_strbuf_put(t, " MIMETYPE=\"%s\"", mime);
    file_attrs(t, f, created);
    rv_strbuf_put(t, "/>\n");
}

/* A representation's METS.xml: its data file. */
static void rep_mets(rv_strbuf *t, const char *objid, const char *rep, const char *label, const rv_package_file *data,
                     const char *name, const char *mime, const char *created, const char *file_created, const char *org)
{
    char id[96];
    snprintf(id, sizeof id, "%s/%s", objid, rep);
    mets_open(t, id, label, created, org);
    rv_strbuf_put(t, "  <fileSec ID=\"filesec-%s\">\n    <fileGrp ID=\"grp-%s-data\" USE=\"Data\">\n", rep, rep);
    rv_strbuf_put(t, "      <file ID=\"file-%s-data\" MIMETYPE=\"%s\"", rep, mime);
    file_attrs(t, data, file_created);
    rv_strbuf_put(t, ">\n        <FLocat LOCTYPE=\"URL\" xlink:type=\"simple\" xlink:href=\"data/%s\"/>\n      </file>\n", name);
    rv_strbuf_put(t, "    </fileGrp>\n  </fileSec>\n");
    rv_strbuf_put(t, "  <structMap ID=\"structmap-%s\" TYPE=\"PHYSICAL\" LABEL=\"CSIP\">\n", rep);
    rv_strbuf_put(t, "    <div ID=\"div-%s\" LABEL=\"%s\">\n      <div ID=\"div-%s-data\" LABEL=\"Data\">\n", rep, rep, rep);
    rv_strbuf_put(t, "        <fptr FILEID=\"file-%s-data\"/>\n      </div>\n    </div>\n  </structMap>\n</mets>\n", rep);
}

static void premis_agent(rv_strbuf *t, const char *id, const char *name, const char *type, const char *version)
{
    rv_strbuf_put(t, "  <agent>\n    <agentIdentifier><agentIdentifierType>local</agentIdentifierType>"
           "<agentIdentifierValue>%s</agentIdentifierValue></agentIdentifier>\n    <agentName>",
        id);
    rv_strbuf_put_xml(t, name);
    rv_strbuf_put(t, "</agentName>\n    <agentType>%s</agentType>\n", type);
    if (version) rv_strbuf_put(t, "    <agentVersion>%s</agentVersion>\n", version);
    rv_strbuf_put(t, "  </agent>\n");
}

static void premis_event(rv_strbuf *t, const char *id, const char *type, const char *at, const char *detail,
                         const char *outcome, const char *agent, const char *role, const char *object)
{
    rv_strbuf_put(t, "  <event>\n    <eventIdentifier><eventIdentifierType>local</eventIdentifierType>"
           "<eventIdentifierValue>%s</eventIdentifierValue></eventIdentifier>\n    <eventType>%s</eventType>\n"
           "    <eventDateTime>%s</eventDateTime>\n",
        id, type, at);
    if (detail) {
        rv_strbuf_put(t, "    <eventDetailInformation><eventDetail>");
        rv_strbuf_put_xml(t, detail);
        rv_strbuf_put(t, "</eventDetail></eventDetailInformation>\n");
    }
    if (outcome) {
        rv_strbuf_put(t, "    <eventOutcomeInformation><eventOutcome>");
        rv_strbuf_put_xml(t, outcome);
        rv_strbuf_put(t, "</eventOutcome></eventOutcomeInformation>\n");
    }
    rv_strbuf_put(t, "    <linkingAgentIdentifier><linkingAgentIdentifierType>local</linkingAgentIdentifierType>"
           "<linkingAgentIdentifierValue>%s</linkingAgentIdentifierValue>"
           "<linkingAgentRole>%s</linkingAgentRole></linkingAgentIdentifier>\n",
        agent, role);
    rv_strbuf_put(t, "    <linkingObjectIdentifier><linkingObjectIdentifierType>local</linkingObjectIdentifierType>"
           "<linkingObjectIdentifierValue>%s</linkingObjectIdentifierValue></linkingObjectIdentifier>\n  </event>\n",
        object);
}

static void premis_object(rv_strbuf *t, const char *id, const rv_package_file *f, const char *mime, const char *derived_from)
{
    char hex[65];
    sha256_hex(f->data, f->len, hex);
    rv_strbuf_put(t, "  <object xsi:type=\"file\">\n    <objectIdentifier><objectIdentifierType>local</objectIdentifierType>"
           "<objectIdentifierValue>%s</objectIdentifierValue></objectIdentifier>\n"
           "    <objectCharacteristics>\n      <compositionLevel>0</compositionLevel>\n"
           "      <fixity><messageDigestAlgorithm>SHA-256</messageDigestAlgorithm>"
           "<messageDigest>%s</messageDigest></fixity>\n      <size>%zu</size>\n"
           "      <format><formatDesignation><formatName>%s</formatName></formatDesignation></format>\n"
           "    </objectCharacteristics>\n",
        id, hex, f->len, mime);
    if (derived_from)
        rv_strbuf_put(t, "    <relationship><relationshipType>derivation</relationshipType>"
               "<relationshipSubType>is derived from</relationshipSubType>"
               "<relatedObjectIdentifier><relatedObjectIdentifierType>local</relatedObjectIdentifierType>"
               "<relatedObjectIdentifierValue>%s</relatedObjectIdentifierValue></relatedObjectIdentifier>"
               "</relationship>\n",
            derived_from);
    rv_strbuf_put(t, "  </object>\n");
}

rv_err rv_package_build(const rv_vm_archive *v, const unsigned char *audio, size_t len, const char *created,
                        rv_package *out, rv_error *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(v->decision, "registered") != 0)
        return rv_error_set(err, RV_ERR_CONFLICT,
                            "voicemail %lld is %s; only a voicemail decided \"registered\" (with its diarienummer) "
                            "is packaged for the e-archive",
                            v->id, v->decision[0] ? v->decision : "not decided");
    if (v->disposed || !audio)
        return rv_error_set(err, RV_ERR_CONFLICT, "voicemail %lld's recording was disposed of", v->id);
    if (!v->objid[0] || !v->packaged_at[0]) return rv_error_set(err, RV_ERR_ARG, "the package has no id yet");
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
    rv_err rc = add_file(out, rep1_path, copy, len, err);
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
    char r1hex[65];
    sha256_hex(R1->data, R1->len, r1hex);

    char label[600];
    snprintf(label, sizeof label, "R\xc3\xb6stmeddelande till %s %s, %s, mottaget %.10s", v->first_name, v->last_name,
             v->unit, v->received_at);

    /* descriptive: rostvakt's record and Dublin Core */
    rv_strbuf t = {0};
    rv_strbuf_put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<voicemail xmlns=\"urn:x-rostvakt:voicemail:1\" id=\"%lld\">\n",
        v->id);
    element(&t, "  ", "diarienummer", v->diarienummer);
    element(&t, "  ", "receivedAt", v->received_at);
    element(&t, "  ", "callerNumber", v->caller);
    rv_strbuf_put(&t, "  <mailbox extension=\"%s\">\n", v->ext);
    element(&t, "    ", "firstName", v->first_name);
    element(&t, "    ", "lastName", v->last_name);
    element(&t, "    ", "unit", v->unit);
    element(&t, "    ", "organisation", v->org);
    rv_strbuf_put(&t, "  </mailbox>\n");
    element(&t, "  ", "classification", v->classification);
    rv_strbuf_put(&t, "  <decision type=\"registered\" at=\"%s\" by=\"", v->decided_at);
    rv_strbuf_put_xml(&t, v->decided_by);
    rv_strbuf_put(&t, "\">\n");
    element(&t, "    ", "note", v->decision_note);
    rv_strbuf_put(&t, "  </decision>\n");
    if (v->callback_at[0]) rv_strbuf_put(&t, "  <callback at=\"%s\"/>\n", v->callback_at);
    rv_strbuf_put(&t, "  <recording file=\"%s\" mimeType=\"%s\" bytes=\"%zu\" sha256=\"%s\"/>\n", rep1_path, mime, R1->len,
        r1hex);
    rv_strbuf_put(&t, "</voicemail>\n");
    rc = add_text(out, "metadata/descriptive/voicemail.xml", &t, err);

    if (rc == RV_OK) {
        rv_strbuf_put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<oai_dc:dc xmlns:oai_dc=\"http://www.openarchives.org/OAI/2.0/oai_dc/\" "
                "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n");
        element(&t, "  ", "dc:title", label);
        element(&t, "  ", "dc:identifier", v->diarienummer);
        element(&t, "  ", "dc:date", v->received_at);
        element(&t, "  ", "dc:creator", v->caller);
        element(&t, "  ", "dc:publisher", v->org);
        element(&t, "  ", "dc:type", "Sound");
        element(&t, "  ", "dc:format", mime);
        rv_strbuf_put(&t, "</oai_dc:dc>\n");
        rc = add_text(out, "metadata/descriptive/dc.xml", &t, err);
    }

    /* other: the analysis, as stored, keys sorted */
    if (rc == RV_OK) {
        json_t *j = v->report ? json_loads(v->report, 0, NULL) : NULL;
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : strdup("null");
        json_decref(j);
        if (!s) rc = rv_error_set(err, RV_ERR_NOMEM, "out of memory");
        else {
            rv_strbuf_put(&t, "%s\n", s);
            free(s);
            rc = add_text(out, "metadata/other/analysis.json", &t, err);
        }
    }

    /* preservation: PREMIS */
    if (rc == RV_OK) {
        rv_strbuf_put(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<premis xmlns=\"http://www.loc.gov/premis/v3\" "
                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" version=\"3.0\">\n");
        premis_object(&t, rep1_path, R1, mime, NULL);
        premis_object(&t, "representations/rep2/data/voicemail.wav", R2, "audio/wav", rep1_path);
        premis_event(&t, "event-received", "received", v->received_at, "the PBX delivered the voicemail", NULL,
                     "agent-pbx", "transmitter", rep1_path);
        if (v->analysed_at[0])
            premis_event(&t, "event-analysed", "analysed", v->analysed_at, "speech, silence and case words found",
                         v->classification, "agent-rostvakt", "executing program", rep1_path);
        if (v->callback_at[0])
            premis_event(&t, "event-called-back", "called back", v->callback_at, "the mailbox's owner returned the call",
                         NULL, "agent-pbx", "transmitter", rep1_path);
        char decided[300];
        snprintf(decided, sizeof decided, "registered as %s", v->diarienummer);
        premis_event(&t, "event-decided", "decided", v->decided_at, decided, "registered", "agent-officer",
                     "authorizer", rep1_path);
        premis_event(&t, "event-packaged", "packaged", pack,
                     "submission package made, with a WAVE linear-PCM preservation copy (rep2)", NULL,
                     "agent-rostvakt", "executing program", "representations/rep2/data/voicemail.wav");
        premis_agent(&t, "agent-rostvakt", "rostvakt", "software", RV_VERSION);
        char pbx[160];
        snprintf(pbx, sizeof pbx, "PBX (token %s)", v->received_by[0] ? v->received_by : "unknown");
        premis_agent(&t, "agent-pbx", pbx, "software", NULL);
        premis_agent(&t, "agent-officer", v->decided_by, "person", NULL);
        if (v->org[0]) premis_agent(&t, "agent-organisation", v->org, "organization", NULL);
        rv_strbuf_put(&t, "</premis>\n");
        rc = add_text(out, "metadata/preservation/premis.xml", &t, err);
    }

    /* the representations' METS */
    if (rc == RV_OK) {
        rep_mets(&t, v->objid, "rep1", "the recording as received", R1, rep1_name, mime, pack, v->received_at, v->org);
        rc = add_text(out, "representations/rep1/METS.xml", &t, err);
    }
    if (rc == RV_OK) {
        rep_mets(&t, v->objid, "rep2", "WAVE linear-PCM preservation copy", R2, "voicemail.wav", "audio/wav", pack,
                 pack, v->org);
        rc = add_text(out, "representations/rep2/METS.xml", &t, err);
    }

    /* the package's METS: everything above by checksum */
    if (rc == RV_OK) {
        mets_open(&t, v->objid, label, created, v->org);
        rv_strbuf_put(&t, "  <dmdSec ID=\"dmd-voicemail\" CREATED=\"%s\" STATUS=\"CURRENT\">\n", pack);
        md_ref(&t, "metadata/descriptive/voicemail.xml", "OTHER", "rostvakt-voicemail", "text/xml",
               find(out, "metadata/descriptive/voicemail.xml"), pack);
        rv_strbuf_put(&t, "  </dmdSec>\n  <dmdSec ID=\"dmd-dc\" CREATED=\"%s\" STATUS=\"CURRENT\">\n", pack);
        md_ref(&t, "metadata/descriptive/dc.xml", "DC", NULL, "text/xml", find(out, "metadata/descriptive/dc.xml"), pack);
        rv_strbuf_put(&t, "  </dmdSec>\n  <amdSec ID=\"amd\">\n    <techMD ID=\"tech-analysis\" STATUS=\"CURRENT\">\n");
        md_ref(&t, "metadata/other/analysis.json", "OTHER", "rostvakt-analysis", "application/json",
               find(out, "metadata/other/analysis.json"), pack);
        rv_strbuf_put(&t, "    </techMD>\n    <digiprovMD ID=\"digiprov-premis\" STATUS=\"CURRENT\">\n");
        md_ref(&t, "metadata/preservation/premis.xml", "PREMIS", NULL, "text/xml",
               find(out, "metadata/preservation/premis.xml"), pack);
        rv_strbuf_put(&t, "    </digiprovMD>\n  </amdSec>\n  <fileSec ID=\"filesec\">\n");
        for (int r = 1; r <= 2; r++) {
            char path[64];
            snprintf(path, sizeof path, "representations/rep%d/METS.xml", r);
            rv_strbuf_put(&t, "    <fileGrp ID=\"grp-rep%d\" USE=\"Representations/rep%d\">\n", r, r);
            rv_strbuf_put(&t, "      <file ID=\"file-rep%d-mets\" MIMETYPE=\"text/xml\"", r);
            file_attrs(&t, find(out, path), pack);
            rv_strbuf_put(&t, ">\n        <FLocat LOCTYPE=\"URL\" xlink:type=\"simple\" xlink:href=\"%s\"/>\n      </file>\n"
                    "    </fileGrp>\n",
                path);
        }
        rv_strbuf_put(&t, "  </fileSec>\n  <structMap ID=\"structmap\" TYPE=\"PHYSICAL\" LABEL=\"CSIP\">\n");
        rv_strbuf_put(&t, "    <div ID=\"div-root\" LABEL=\"%s\">\n", v->objid);
        rv_strbuf_put(&t, "      <div ID=\"div-metadata\" LABEL=\"Metadata\" DMDID=\"dmd-voicemail dmd-dc\" "
                "ADMID=\"tech-analysis digiprov-premis\"/>\n");
        for (int r = 1; r <= 2; r++)
            rv_strbuf_put(&t, "      <div ID=\"div-rep%d\" LABEL=\"Representations/rep%d\">\n        <mptr LOCTYPE=\"URL\" "
                    "xlink:type=\"simple\" xlink:href=\"representations/rep%d/METS.xml\" xlink:title=\"grp-rep%d\"/>\n"
                    "      </div>\n",
                r, r, r, r);
        rv_strbuf_put(&t, "    </div>\n  </structMap>\n</mets>\n");
        rc = add_text(out, "METS.xml", &t, err);
    }
#undef R1
#undef R2
    if (rc != RV_OK) rv_package_free(out);
    return rc;
}

/* ---- tar ---- */

/* v in octal, zero-padded to size - 1 digits and NUL-ended (v fits: sizes
 * and times are checked by the caller's limits). */
static void octal(char *field, size_t size, unsigned long long v)
{
    field[size - 1] = '\0';
    for (size_t i = size - 1; i-- > 0; v >>= 3) field[i] = (char)('0' + (v & 7));
}

rv_err rv_package_tar(const rv_package *p, unsigned char **out, size_t *len, rv_error *err)
{
    size_t total = 1024;
    for (size_t i = 0; i < p->n; i++) total += 512 + (p->files[i].len + 511) / 512 * 512;
    unsigned char *b = calloc(1, total);
    if (!b) return rv_error_set(err, RV_ERR_NOMEM, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < p->n; i++) {
        const rv_package_file *f = &p->files[i];
        char name[400];
        int n = snprintf(name, sizeof name, "%s/%s", p->objid, f->path);
        char *h = (char *)b + at;
        if (n < 100) memcpy(h, name, (size_t)n);
        else { /* ustar: prefix / name split at a slash */
            char *slash = strchr(name + (n - 100 > 0 ? n - 100 : 0), '/');
            if (!slash || slash - name > 155) {
                free(b);
                return rv_error_set(err, RV_ERR_INTERNAL, "path too long for tar: %s", name);
            }
            memcpy(h + 345, name, (size_t)(slash - name));
            memcpy(h, slash + 1, strlen(slash + 1));
        }
        octal(h + 100, 8, 0644);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, f->len);
        octal(h + 136, 12, (unsigned long long)(p->mtime > 0 ? p->mtime : 0));
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memcpy(h + 265, "rostvakt", 8);
        memcpy(h + 297, "rostvakt", 8);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int k = 0; k < 512; k++) sum += (unsigned char)h[k];
        snprintf(h + 148, 8, "%06o", sum);
        h[155] = ' ';
        at += 512;
        memcpy(b + at, f->data, f->len);
        at += (f->len + 511) / 512 * 512;
    }
    *out = b;
    *len = at + 1024;
    return RV_OK;
}

/* ---- to disk ---- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static rv_err write_all(const char *path, const unsigned char *data, size_t len, rv_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
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
    if (fsync(fd) != 0 || close(fd) != 0)
        return rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    return RV_OK;
}

static rv_err make_dirs(char *path, rv_error *err) /* every parent of path */
{
    for (char *q = strchr(path + 1, '/'); q; q = strchr(q + 1, '/')) {
        *q = '\0';
        int r = mkdir(path, 0755);
        int e = errno;
        *q = '/';
        if (r != 0 && e != EEXIST) return rv_error_set(err, RV_ERR_IO, "cannot make %s: %s", path, strerror(e));
    }
    return RV_OK;
}

rv_err rv_package_write(const rv_package *p, const char *dir, int tar, rv_error *err)
{
    char path[4096];
    if (tar) {
        unsigned char *b;
        size_t len;
        rv_err rc = rv_package_tar(p, &b, &len, err);
        if (rc != RV_OK) return rc;
        char tmp[4096];
        snprintf(path, sizeof path, "%.3900s/%s.tar", dir, p->objid);
        snprintf(tmp, sizeof tmp, "%.3900s/.%s.tar.partial", dir, p->objid);
        rc = write_all(tmp, b, len, err);
        free(b);
        if (rc == RV_OK && rename(tmp, path) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", path, strerror(errno));
        if (rc != RV_OK) unlink(tmp);
        return rc;
    }
    char partial[3000], final[3000], old[3000];
    snprintf(partial, sizeof partial, "%.2900s/.%s.partial", dir, p->objid);
    snprintf(final, sizeof final, "%.2900s/%s", dir, p->objid);
    snprintf(old, sizeof old, "%.2900s/.%s.old", dir, p->objid);
    nftw(partial, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    rv_err rc = RV_OK;
    for (size_t i = 0; rc == RV_OK && i < p->n; i++) {
        snprintf(path, sizeof path, "%s/%s", partial, p->files[i].path);
        rc = make_dirs(path, err);
        if (rc == RV_OK) rc = write_all(path, p->files[i].data, p->files[i].len, err);
    }
    if (rc == RV_OK) {
        struct stat sb;
        int had = stat(final, &sb) == 0;
        if (had && rename(final, old) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot replace %s: %s", final, strerror(errno));
        else if (rename(partial, final) != 0) rc = rv_error_set(err, RV_ERR_IO, "cannot write %s: %s", final, strerror(errno));
        if (had) nftw(old, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    if (rc != RV_OK) nftw(partial, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}

/* ---- from the store ---- */

void rv_package_first_time(rv_vm_archive *v, const char *now)
{
    if (v->objid[0]) return; /* packaged before: the same id and first time */
    rv_uuid4(v->objid);
    snprintf(v->packaged_at, sizeof v->packaged_at, "%s", now);
}

rv_err rv_package_voicemail(rv_store *s, long long id, const char *actor, const char *remote, rv_package *out,
                            rv_error *err)
{
    memset(out, 0, sizeof *out);
    rv_vm_archive v;
    rv_err rc = rv_store_archive_info(s, id, &v, err);
    if (rc != RV_OK) return rc;
    if (strcmp(v.decision, "registered") != 0 || v.disposed) {
        rc = rv_package_build(&v, NULL, 0, "", out, err); /* says why */
        rv_vm_archive_free(&v);
        return rc;
    }
    unsigned char *audio = NULL;
    size_t len = 0;
    rc = rv_store_read_audio(s, v.sha256, (size_t)v.bytes + 1, &audio, &len, err);
    char now[32];
    rv_utc_now(now);
    if (rc == RV_OK) rv_package_first_time(&v, now);
    if (rc == RV_OK) rc = rv_package_build(&v, audio, len, now, out, err);
    if (rc == RV_OK) rc = rv_store_mark_packaged(s, id, v.objid, now, actor, remote, err);
    if (rc != RV_OK) rv_package_free(out);
    free(audio);
    rv_vm_archive_free(&v);
    return rc;
}
