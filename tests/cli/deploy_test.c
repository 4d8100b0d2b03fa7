/* The systemd units in deploy/ allow what their commands do
 * (tests/check-units.sh): the network where they mail or sync, write access
 * where they write, and systemd-analyze verify where systemd is installed;
 * the example load balancer asks each node whether it is healthy. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The node template's instances write their own folder only: the check
 * covers the template too (a template that writes the shared folder is
 * caught). */
Test(deploy, the_node_templates_instance_writes_its_own_folder) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "t=$(mktemp -d) && cp deploy/*.service deploy/*.timer \"$t\" && "
             "sed -i 's|^StateDirectory=rostvakt/%%i$|StateDirectory=rostvakt-other|' \"$t/rostvakt@.service\" && "
             "sh tests/check-units.sh \"$t\" '%s' | grep -q 'rostvakt@.service: writes %%S/rostvakt/%%i'; "
             "s=$?; rm -rf \"$t\"; exit $s",
             exe());
    cr_expect_eq(system(cmd), 0, "the check finds a node whose folder is not its own");
}

/* The example load balancer: three nodes, each taken out while its
 * /healthz does not answer 200 (read as HAProxy reads it: the backend's
 * lines, the last default-server's options). */
Test(deploy, the_load_balancer_checks_each_nodes_healthz) {
    FILE *f = fopen("deploy/haproxy-rostvakt.cfg", "r");
    cr_assert_not_null(f);
    char line[512], section[64] = "", defaults[512] = "";
    int servers = 0, checked = 0, httpchk = 0, send = 0, expect = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "#\n")] = '\0';
        if (!*p) continue;
        if (p == line) { /* a section starts at the line's start */
            snprintf(section, sizeof section, "%.63s", p);
            continue;
        }
        if (strncmp(section, "backend rostvakt_nodes", 22) != 0) continue;
        if (strncmp(p, "default-server ", 15) == 0) snprintf(defaults, sizeof defaults, "%s", p);
        else if (strcmp(p, "option httpchk") == 0) httpchk = 1;
        else if (strcmp(p, "http-check send meth GET uri /healthz") == 0) send = 1;
        else if (strcmp(p, "http-check expect status 200") == 0) expect = 1;
        else if (strncmp(p, "server ", 7) == 0) {
            servers++;
            checked += strstr(p, " check") != NULL || strstr(defaults, " check ") != NULL;
        }
    }
    fclose(f);
    cr_expect_eq(servers, 3, "three nodes");
    cr_expect_eq(checked, 3, "each checked");
    cr_expect(httpchk && send && expect, "by GET /healthz, healthy on 200");
}
