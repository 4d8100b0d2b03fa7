/* Hand-over to the e-archive: one submission package per registered
 * voicemail, after FGS Paketstruktur 2.0 (E-ARK CSIP 2.1 + SIP 2.1):
 *
 *   OBJID/METS.xml
 *   OBJID/metadata/descriptive/voicemail.xml   rostvakt's own record (docs/archive.md)
 *   OBJID/metadata/descriptive/dc.xml          the same in Dublin Core
 *   OBJID/metadata/preservation/premis.xml     objects, fixity, events, agents
 *   OBJID/metadata/other/analysis.json         the analysis report
 *   OBJID/representations/rep1/METS.xml, data/ the recording exactly as received
 *   OBJID/representations/rep2/METS.xml, data/ a WAVE linear-PCM preservation copy
 *
 * Everything but the root METS.xml's creation time is a function of the
 * voicemail alone, so a package made twice is the same apart from it. */
#ifndef RV_ARCHIVE_H
#define RV_ARCHIVE_H

#include <stddef.h>

#include "rostvakt/err.h"
#include "rostvakt/store.h"

typedef struct {
    char path[256];      /* below the package's folder, "/"-separated */
    unsigned char *data; /* malloc()ed */
    size_t len;
} rv_package_file;

typedef struct {
    char objid[48];      /* the package's folder name */
    rv_package_file *files;
    size_t n;
    long long mtime;     /* the files' time in a tar: when it was first packaged */
} rv_package;

/* A new random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void rv_uuid4(char out[37]);

/* Where packages find the schemas every METS.xml is validated against
 * before it is handed out: models_dir/eark/ (models/ in the source tree,
 * the share directory installed). Call before the first rv_package_build;
 * without it the default models_dir is used (rv_config_resolve). */
void rv_package_use_models(const char *models_dir);

/* The package of voicemail v (registered, packaged_at and objid set) with
 * its recording audio[0..len), made at created (UTC ISO time). RV_ERR_CONFLICT
 * when v is not registered or its audio is gone; RV_ERR_AUDIO_* when the
 * recording cannot be decoded for the preservation copy; RV_ERR_CONFIG
 * without the schemas. Text XML 1.0 cannot carry (U+FFFE, U+FFFF, C0
 * controls, bytes that are not UTF-8) is written as U+FFFD; every XML file
 * is checked well-formed and every METS.xml valid (RV_ERR_INTERNAL if not).
 * Thread-safe. */
RV_MUST_USE rv_err rv_package_build(const rv_vm_archive *v, const unsigned char *audio, size_t len, const char *created,
                                    rv_package *out, rv_error *err);
void rv_package_free(rv_package *p);

/* The package as a POSIX (ustar) tar made by libarchive, every path under
 * OBJID/, the files' time the package's mtime (malloc()ed). */
RV_MUST_USE rv_err rv_package_tar(const rv_package *p, unsigned char **out, size_t *len, rv_error *err);

/* The package written below dir as dir/OBJID/... or, when tar, as
 * dir/OBJID.tar: written under a temporary name, every file and folder
 * fsync'ed, then renamed into place (an existing OBJID package is
 * replaced, exchanged in one step where the file system can). What
 * writers killed half-way left in dir is removed when no other writer is
 * at work there. */
RV_MUST_USE rv_err rv_package_write(const rv_package *p, const char *dir, int tar, rv_error *err);

/* A voicemail never packaged gets its OBJID and first packaging time (now)
 * here; one packaged before keeps both. */
void rv_package_first_time(rv_vm_archive *v, const char *now);

/* Make voicemail id's package from the store (the first time: a new OBJID),
 * write it below dir (rv_package_write), and only then record it as an
 * event and an audit row for actor, so that a voicemail is never recorded
 * as packaged without its package complete on the disk. objid gets the
 * package's name on RV_OK, "" otherwise. */
RV_MUST_USE rv_err rv_package_archive(rv_store *s, long long id, const char *actor, const char *remote,
                                      const char *dir, int tar,
                                      char objid[48], rv_error *err);

#endif
