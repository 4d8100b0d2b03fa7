/* The systemd units in deploy/ allow what their commands do
 * (tests/check-units.sh): the network where they mail or sync, write access
 * where they write, and systemd-analyze verify where systemd is installed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static const char *exe(void) { return getenv("RV_BIN") ? getenv("RV_BIN") : "build/rostvakt"; }

Test(deploy, every_unit_allows_what_its_command_does) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sh tests/check-units.sh deploy '%s'", exe());
    cr_expect_eq(system(cmd), 0, "tests/check-units.sh deploy (its output above says which unit)");
}

Test(deploy, a_sweep_that_mails_without_network_is_caught) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "t=$(mktemp -d) && cp deploy/*.service deploy/*.timer \"$t\" && "
             "printf 'PrivateNetwork=yes\\n' >> \"$t/rostvakt-sweep.service\" && "
             "sh tests/check-units.sh \"$t\" '%s' | grep -q 'rostvakt-sweep.service: its command needs the network'; "
             "s=$?; rm -rf \"$t\"; exit $s",
             exe());
    cr_expect_eq(system(cmd), 0, "the check finds the sandbox that keeps the mail in");
}
