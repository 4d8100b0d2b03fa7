/* The tools the README hands an operator, run as it shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

TestSuite(tools, .init = setup, .fini = teardown, .timeout = 60);

/* tests/check-package.sh reads the tar the service answers, as well as
 * its folder. */
Test(tools, check_package_reads_the_tar_as_it_is_answered) {
    sink o;
    const char *anna = "{\"first_name\":\"Anna\",\"last_name\":\"Svensson\",\"unit\":\"Ekonomienheten\","
                       "\"org\":\"Botkyrka kommun\"}";
    cr_assert_eq(call("PUT", "/v1/mailboxes/4711", pbx, anna, &o), 201);
    cr_assert_eq(post_audio("samples/v01-bygglov.wav", pbx, "audio/wav", NULL, &o, NULL, 0), 201);
    cr_assert_eq(call("POST", "/v1/voicemails/1/decision", officer,
                      "{\"decision\":\"registrera\",\"arendemening\":\"Röstmeddelande\",\"diarienummer\":\"KS 2026/0042\"}", &o), 201, "%s", o.buf);
    bin b = {0};
    cr_assert_eq(request("POST", "/v1/voicemails/1/package", officer, NULL, NULL, NULL, collect_bin, &b), 200);
    char tarf[128], cmd[512];
    snprintf(tarf, sizeof tarf, "%s/paket.tar", dir);
    FILE *f = fopen(tarf, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(b.buf, 1, b.len, f), b.len);
    fclose(f);
    free(b.buf);
    snprintf(cmd, sizeof cmd, "tests/check-package.sh %s 2>&1", tarf);
    cr_expect_eq(run(cmd, &o), 0, "%s", o.buf);
    snprintf(cmd, sizeof cmd, "echo 'not a tar' > %s/x.tar && tests/check-package.sh %s/x.tar 2>&1", dir, dir);
    cr_expect_eq(run(cmd, &o), 1, "%s", o.buf);
    cr_expect(strstr(o.buf, "check-package: ") != NULL, "%s", o.buf);
}
