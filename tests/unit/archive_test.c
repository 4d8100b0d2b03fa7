/* Submission packages (archive.c) made from a voicemail's facts without a
 * store: hostile text in every field, and the schema check that keeps an
 * invalid METS.xml from being handed out. Each test is its own process,
 * so each reads the schemas afresh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "helpers.h"
#include "rostvakt/archive.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rv-archive-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(archive, .init = setup, .fini = teardown);

/* A registered voicemail's facts, every text field holding s. */
static void facts(rv_vm_archive *v, const char *s)
{
    memset(v, 0, sizeof *v);
    v->id = 7;
    snprintf(v->ext, sizeof v->ext, "47%s", s);
    snprintf(v->caller, sizeof v->caller, "+4670%s", s);
    snprintf(v->received_at, sizeof v->received_at, "2026-12-03T08:15:00Z");
    snprintf(v->content_type, sizeof v->content_type, "audio/wav");
    snprintf(v->classification, sizeof v->classification, "possible_public_record");
    snprintf(v->analysed_at, sizeof v->analysed_at, "2026-12-03T08:16:00Z");
    snprintf(v->callback_at, sizeof v->callback_at, "2026-12-03T10:00:00Z");
    snprintf(v->objid, sizeof v->objid, "0f5c2c6e-2d1b-4c57-9c4e-3c7a2b9d1e01");
    snprintf(v->packaged_at, sizeof v->packaged_at, "2026-12-04T09:00:00Z");
    snprintf(v->first_name, sizeof v->first_name, "Anna%s", s);
    snprintf(v->last_name, sizeof v->last_name, "Svensson%s", s);
    snprintf(v->unit, sizeof v->unit, "Ekonomi%s", s);
    snprintf(v->org, sizeof v->org, "Botkyrka%s", s);
    snprintf(v->decision, sizeof v->decision, "registrera");
    snprintf(v->diarienummer, sizeof v->diarienummer, "KS%s 2026/42", s);
    snprintf(v->decision_note, sizeof v->decision_note, "note%s", s);
    snprintf(v->decided_by, sizeof v->decided_by, "registrator%s", s);
    snprintf(v->decided_at, sizeof v->decided_at, "2026-12-04T09:00:00Z");
    snprintf(v->received_by, sizeof v->received_by, "vaxel%s", s);
}

static rv_err build(const char *s, rv_package *p, rv_error *e)
{
    rv_vm_archive v;
    facts(&v, s);
    size_t len;
    unsigned char *audio = slurp(fixture("sine.wav"), &len);
    cr_assert_not_null(audio);
    rv_err rc = rv_package_build(&v, audio, len, "2026-12-05T10:00:00Z", p, e);
    free(audio);
    return rc;
}

/* Characters XML 1.0 has no place for, in every field at once: U+FFFE,
 * U+FFFF, C0 controls, a lone surrogate's bytes, bytes that are not UTF-8,
 * and markup. Every XML file comes out well-formed and the package sound,
 * as a folder and as a tar. */
Test(archive, hostile_text_in_every_field_gives_sound_xml) {
    const char *s = "\xef\xbf\xbe\xef\xbf\xbf\x01\x07\x1b\xed\xa0\x80\xff\xc3<&>\"'\x7f\r\n\t";
    rv_package p;
    rv_error e;
    cr_assert_eq(build(s, &p, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_package_write(&p, dir, 0, &e), RV_OK, "%s", e.msg);
    cr_assert_eq(rv_package_write(&p, dir, 1, &e), RV_OK, "%s", e.msg);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir t && tar -xf %s.tar -C t && find . -name '*.xml' -exec xmllint --nonet --noout {} + &&"
             " diff -r %s t/%s && cd - >/dev/null && tests/check-package.sh %s/%s",
             dir, p.objid, p.objid, p.objid, dir, p.objid);
    cr_expect_eq(system(cmd), 0, "well-formed, the same in the tar, and sound");
    snprintf(cmd, sizeof cmd, "grep -q '<organisation>Botkyrka\xef\xbf\xbd\xef\xbf\xbd' %s/%s/metadata/descriptive/voicemail.xml",
             dir, p.objid);
    cr_expect_eq(system(cmd), 0, "U+FFFE and U+FFFF each one U+FFFD");
    rv_package_free(&p);
}

/* Without its schemas rostvakt makes no package rather than one unchecked. */
Test(archive, no_package_without_its_schemas) {
    char models[128];
    snprintf(models, sizeof models, "%s/nothing-here", dir);
    rv_package_use_models(models);
    rv_package p;
    rv_error e;
    cr_expect_eq(build("", &p, &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "package.xsd") != NULL, "%s", e.msg);
    cr_expect_eq(p.n, 0);
}

/* A METS.xml the schemas refuse is not handed out: with a schema that wants
 * an attribute rostvakt never writes, the build fails and says which file. */
Test(archive, a_mets_its_schemas_refuse_is_not_handed_out) {
    char path[256];
    snprintf(path, sizeof path, "%s/eark", dir);
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/eark/package.xsd", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"http://www.loc.gov/METS/\">"
          "<xs:element name=\"mets\"><xs:complexType><xs:sequence><xs:any processContents=\"skip\" "
          "maxOccurs=\"unbounded\"/></xs:sequence><xs:attribute name=\"NEVER\" use=\"required\"/>"
          "<xs:anyAttribute processContents=\"skip\"/></xs:complexType></xs:element></xs:schema>\n", f);
    fclose(f);
    rv_package_use_models(dir);
    rv_package p;
    rv_error e;
    cr_expect_eq(build("", &p, &e), RV_ERR_INTERNAL);
    cr_expect(strstr(e.msg, "METS.xml is not valid METS") && strstr(e.msg, "NEVER"), "%s", e.msg);
    cr_expect_eq(p.n, 0);
}
