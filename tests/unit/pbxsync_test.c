/* pbx-sync's parsers (pbxsync_int.h): the state file, Asterisk's
 * msgNNNN.txt and IMAP's INTERNALDATE. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/pbxsync_int.h"

/* A state file in a fresh temporary directory: its path into path. */
static void state_path(char *path, size_t cap)
{
    char d[] = "/tmp/rv-state-XXXXXX";
    cr_assert(mkdtemp(d));
    snprintf(path, cap, "%s/sync.state", d);
}

static void remove_state(const char *path)
{
    unlink(path);
    char d[256];
    snprintf(d, sizeof d, "%.*s", (int)(strrchr(path, '/') - path), path);
    rmdir(d);
}

Test(pbxsync_parsers, names_with_newlines_tabs_and_backslashes_survive_the_state) {
    char path[256];
    state_path(path, sizeof path);
    sync_state st;
    rv_error e;
    const char *keys[] = {"greeting:de\nfault/4711", "fsmsg:a\tb", "bad:/spool/x\\ny", "msg:\r\\\\", "plain"};
    cr_assert_eq(rv_sync_state_open(&st, path, &e), RV_OK, "%s", e.msg);
    for (size_t i = 0; i < 5; i++) cr_assert_eq(rv_sync_state_put(&st, keys[i], keys[4 - i], &e), RV_OK, "%s", e.msg);
    rv_sync_state_close(&st);
    cr_assert_eq(rv_sync_state_open(&st, path, &e), RV_OK, "read again: %s", e.msg);
    for (size_t i = 0; i < 5; i++) {
        const char *v = rv_sync_state_get(&st, keys[i]);
        cr_expect(v && strcmp(v, keys[4 - i]) == 0, "%s", keys[i]);
    }
    rv_sync_state_close(&st);
    FILE *f = fopen(path, "r");
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, f)) lines++;
    fclose(f);
    cr_expect_eq(lines, 5, "one line an entry");
    remove_state(path);
}

Test(pbxsync_parsers, a_state_line_cut_by_a_crash_is_not_damage_but_one_in_the_middle_is) {
    sync_state st;
    rv_error e;
    const char cut[] = "msg:a\tsent 1\nmsg:b\tsen";
    FILE *f = fmemopen((void *)cut, sizeof cut - 1, "r");
    cr_assert_eq(rv_sync_state_read(&st, f, "cut", &e), RV_OK, "%s", e.msg);
    cr_expect_str_eq(rv_sync_state_get(&st, "msg:a"), "sent 1");
    rv_sync_state_close(&st);
    fclose(f);
    const char bad[] = "msg:a\tsent 1\nno tab here\nmsg:b\tsent 2\n";
    f = fmemopen((void *)bad, sizeof bad - 1, "r");
    cr_expect_eq(rv_sync_state_read(&st, f, "bad", &e), RV_ERR_CONFIG);
    cr_expect(strstr(e.msg, "bad:2 is damaged") != NULL, "%s", e.msg);
    rv_sync_state_close(&st);
    fclose(f);
    /* a line longer than RV_SYNC_LINE_MAX in the middle is damage, not two entries */
    size_t n = RV_SYNC_LINE_MAX + 100;
    char *big = malloc(n + 32);
    memset(big, 'k', n);
    memcpy(big + 10, "\tv", 2);
    memcpy(big + n, "\nmsg:b\tx\n", 10);
    f = fmemopen(big, n + 9, "r");
    cr_expect_eq(rv_sync_state_read(&st, f, "big", &e), RV_ERR_CONFIG);
    rv_sync_state_close(&st);
    fclose(f);
    free(big);
}

Test(pbxsync_parsers, an_asterisk_message_file_gives_its_values) {
    sync_message_info m;
    cr_assert(rv_sync_message_parse(";\n[message]\norigmailbox=4711\ncallerid=\"Lars\" <+4670>\r\norigtime=1764756900\n"
                                    "msg_id=1764756900-00000000\n",
                                    &m));
    cr_expect_str_eq(m.origtime, "1764756900");
    cr_expect_str_eq(m.callerid, "\"Lars\" <+4670>");
    cr_expect_str_eq(m.msg_id, "1764756900-00000000");
    cr_expect_not(rv_sync_message_parse("origtime=1\n", &m), "no [message]");
    cr_expect_not(rv_sync_message_parse("[message]\norigtime=12a\n", &m), "origtime not a number");
    static char longer[6000];
    snprintf(longer, sizeof longer, "[message]\norigtime=1\ncallerid=<%05000d>\n", 7);
    cr_expect(rv_sync_message_parse(longer, &m));
    cr_expect_eq(strlen(m.callerid), sizeof m.callerid - 1, "cut to its field");
}

Test(pbxsync_parsers, internaldate_is_read_strictly) {
    long long t;
    cr_assert(rv_sync_internaldate("05-Dec-2026 10:00:00 +0000\"", &t));
    cr_expect_eq(t, 1796464800LL);
    cr_assert(rv_sync_internaldate(" 5-Dec-2026 11:30:00 +0130", &t));
    cr_expect_eq(t, 1796464800LL);
    cr_assert(rv_sync_internaldate("5-Dec-2026 09:00:00 -0100", &t));
    cr_expect_eq(t, 1796464800LL);
    const char *bad[] = {"", "05-Dex-2026 10:00:00 +0000", "32-Dec-2026 10:00:00 +0000", "05-Dec-2026 24:00:00 +0000",
                         "05-Dec-2026 10:00:00 0000", "05-Dec-+026 10:00:00 +0000", "05-Dec-2026 1 :00:00 +0000",
                         "05-Dec-2026 10:00:00 +2400", "005-Dec-2026 10:00:00 +0000", "05-Dec-1969 10:00:00 +0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(rv_sync_internaldate(bad[i], &t), "%s", bad[i]);
}
