/* The officers' decisions: the four kinds, their fields, and when a
 * decision may not be recorded. */
#include <criterion/criterion.h>
#include <string.h>

#include "rostvakt/decision.h"

static const rv_decision_rules essunga = {"^[A-ZÅÄÖ]{2,5} \\d{4}/\\d+$", "KS 2019/45, 2019-03-12",
                                          RV_GROUND_TILLFALLIG | RV_GROUND_RINGA};

static rv_err check(const rv_decision_request *d, const rv_decision_state *s, rv_error *e)
{
    memset(e, 0, sizeof *e);
    return rv_decision_check(d, &essunga, s, e);
}

Test(decision, names_round_trip_and_old_names_are_not_accepted) {
    for (int k = RV_DECISION_REGISTRERA; k <= RV_DECISION_PRIVAT; k++) {
        rv_decision_kind got;
        cr_assert(rv_decision_kind_parse(rv_decision_kind_name((rv_decision_kind)k), &got));
        cr_expect_eq(got, k);
    }
    rv_decision_kind k;
    cr_expect(!rv_decision_kind_parse("registered", &k));
    cr_expect(!rv_decision_kind_parse("dispose", &k));
    cr_expect(!rv_decision_kind_parse("", &k));
    cr_expect(!rv_decision_kind_parse(NULL, &k));
}

Test(decision, old_names_map_to_the_law) {
    rv_decision_kind k;
    cr_assert(rv_decision_from_legacy("registered", &k));
    cr_expect_eq(k, RV_DECISION_REGISTRERA);
    cr_assert(rv_decision_from_legacy("dispose", &k));
    cr_expect_eq(k, RV_DECISION_GALLRAS);
    cr_assert(rv_decision_from_legacy("not_public_record", &k));
    cr_expect_eq(k, RV_DECISION_HALLS_ORDNAD, "kept, not privat: keeping is the reversible choice");
    cr_expect(!rv_decision_from_legacy("maybe", &k));
}

Test(decision, registrera_needs_a_diarienummer_that_is_not_blank) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_REGISTRERA, .arendemening = "Fråga om bygglov"};
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "diarienummer") != NULL, "%s", e.msg);
    const char *blank[] = {"", "   ", "\t\n", "\xc2\xa0 \xc2\xa0", "\xe2\x80\x83"};
    for (size_t i = 0; i < sizeof blank / sizeof *blank; i++) {
        d.diarienummer = blank[i];
        cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG, "blank #%zu accepted", i);
    }
    d.diarienummer = "  KS 2026/17 ";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s", e.msg);
}

Test(decision, the_profiles_pattern_is_checked_on_the_trimmed_number) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_REGISTRERA, .arendemening = "Felanmälan gatubelysning"};
    const char *good[] = {"KS 2026/17", "BYGG 2026/1234", "ÖVK 2025/3", " SOC 2026/9 "};
    const char *bad[] = {"2026/17", "ks 2026/17", "KS 26/17", "KS 2026-17", "KSXXXX 2026/1", "KS 2026/"};
    for (size_t i = 0; i < 4; i++) {
        d.diarienummer = good[i];
        cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s: %s", good[i], e.msg);
    }
    for (size_t i = 0; i < 6; i++) {
        d.diarienummer = bad[i];
        cr_expect_eq(check(&d, NULL, &e), RV_ERR_UNPROCESSABLE, "%s accepted", bad[i]);
        cr_expect(strstr(e.msg, "diarienummer") == e.msg, "%s", e.msg);
    }
    rv_decision_rules broken = essunga;
    broken.diarienummer_pattern = "([A-Z";
    d.diarienummer = "KS 2026/17";
    memset(&e, 0, sizeof e);
    cr_expect_eq(rv_decision_check(&d, &broken, NULL, &e), RV_ERR_CONFIG);
    rv_decision_rules free_form = essunga;
    free_form.diarienummer_pattern = NULL;
    d.diarienummer = "vad som helst";
    cr_expect_eq(rv_decision_check(&d, &free_form, NULL, &e), RV_OK);
}

Test(decision, registrera_needs_an_arendemening_and_sekretess_names_the_law) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_REGISTRERA, .diarienummer = "KS 2026/17"};
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "arendemening") == e.msg, "%s", e.msg);
    d.arendemening = "Synpunkt på snöröjning";
    d.sekretess = "hemligt";
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_UNPROCESSABLE);
    cr_expect(strstr(e.msg, "sekretess") == e.msg, "%s", e.msg);
    d.sekretess = "OSL 26 kap. 1 §";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s", e.msg);
    d.sekretess = "  ";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "a blank sekretess is no sekretess");
}

Test(decision, fields_of_another_decision_are_refused) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_PRIVAT, .diarienummer = "KS 2026/17"};
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "diarienummer") == e.msg, "%s", e.msg);
    rv_decision_request h = {.kind = RV_DECISION_HALLS_ORDNAD, .ground = "ringa"};
    cr_expect_eq(check(&h, NULL, &e), RV_ERR_ARG);
    rv_decision_request p = {.kind = RV_DECISION_PRIVAT, .note = "till hennes man"};
    cr_expect_eq(check(&p, NULL, &e), RV_OK);
    rv_decision_request none = {.kind = RV_DECISION_NONE};
    cr_expect_eq(check(&none, NULL, &e), RV_ERR_ARG, "nothing is pre-selected: no decision is an error");
}

Test(decision, gallras_names_a_ground_the_gallringsbeslut_covers) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_GALLRAS};
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "ground") == e.msg, "%s", e.msg);
    d.ground = "tillfallig";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s", e.msg);
    d.ground = "tillfällig";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s", e.msg);
    d.ground = "stor";
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    rv_decision_rules only_ringa = essunga;
    only_ringa.gallring_covers = RV_GROUND_RINGA;
    d.ground = "tillfallig";
    memset(&e, 0, sizeof e);
    cr_expect_eq(rv_decision_check(&d, &only_ringa, NULL, &e), RV_ERR_UNPROCESSABLE);
    rv_decision_rules no_beslut = essunga;
    no_beslut.gallringsbeslut = "";
    cr_expect_eq(rv_decision_check(&d, &no_beslut, NULL, &e), RV_ERR_UNPROCESSABLE);
    cr_expect(strstr(e.msg, "gallringsbeslut") != NULL, "%s", e.msg);
}

Test(decision, gallras_after_the_hand_over_is_a_conflict) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_GALLRAS, .ground = "ringa", .reason = "felregistrerad"};
    rv_decision_state archived = {.current = RV_DECISION_REGISTRERA, .handed_over = 1};
    cr_expect_eq(check(&d, &archived, &e), RV_ERR_CONFLICT);
    rv_decision_state kept = {.current = RV_DECISION_HALLS_ORDNAD};
    cr_expect_eq(check(&d, &kept, &e), RV_OK, "%s", e.msg);
    rv_decision_state gone = {.current = RV_DECISION_GALLRAS, .disposed = 1};
    rv_decision_request r = {.kind = RV_DECISION_HALLS_ORDNAD, .reason = "ångrar"};
    cr_expect_eq(check(&r, &gone, &e), RV_ERR_CONFLICT);
}

Test(decision, a_changed_decision_needs_a_reason) {
    rv_error e;
    rv_decision_state was = {.current = RV_DECISION_HALLS_ORDNAD};
    rv_decision_request d = {.kind = RV_DECISION_PRIVAT};
    cr_expect_eq(check(&d, &was, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "reason") == e.msg, "%s", e.msg);
    d.reason = "   ";
    cr_expect_eq(check(&d, &was, &e), RV_ERR_ARG, "a blank reason is no reason");
    d.reason = "gällde hans dotter";
    cr_expect_eq(check(&d, &was, &e), RV_OK, "%s", e.msg);
    rv_decision_request same = {.kind = RV_DECISION_HALLS_ORDNAD};
    cr_expect_eq(check(&same, &was, &e), RV_ERR_ARG, "the same decision again is also a change of record");
}

Test(decision, trim_keeps_inner_spaces_and_refuses_what_does_not_fit) {
    char out[16];
    cr_assert(rv_decision_trim(" \t KS 2026/17 \xc2\xa0", out, sizeof out));
    cr_expect_str_eq(out, "KS 2026/17");
    cr_assert(rv_decision_trim("Å", out, sizeof out));
    cr_expect_str_eq(out, "Å");
    cr_expect(!rv_decision_trim("0123456789abcdefg", out, sizeof out));
    cr_assert(rv_decision_trim(NULL, out, sizeof out));
    cr_expect_str_eq(out, "");
}

Test(decision, a_list_of_grounds) {
    int bits;
    cr_expect(rv_ground_list_parse("tillfällig, ringa", &bits));
    cr_expect_eq(bits, RV_GROUND_TILLFALLIG | RV_GROUND_RINGA);
    cr_expect(rv_ground_list_parse("ringa", &bits) && bits == RV_GROUND_RINGA);
    cr_expect(!rv_ground_list_parse("ringa,allt", &bits), "an unknown ground");
    cr_expect_eq(bits, RV_GROUND_RINGA, "what it did name still counts");
    cr_expect(!rv_ground_list_parse("", &bits) && bits == 0);
    cr_expect(!rv_ground_list_parse(NULL, &bits) && bits == 0);
}

/* What a decision says goes into the e-archive's XML as it was stored: a
 * control character (XML cannot carry most) is refused, not changed. */
Test(decision, control_characters_are_refused) {
    rv_error e;
    rv_decision_request d = {.kind = RV_DECISION_REGISTRERA, .diarienummer = "KS 2026/1", .arendemening = "a\x01" "b"};
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG);
    cr_expect(strstr(e.msg, "arendemening") && strstr(e.msg, "control"), "%s", e.msg);
    d.arendemening = "Fråga om bygglov";
    d.sekretess = "OSL 26 kap. 1 \xc2\xa7\x1b";
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG, "%s", e.msg);
    d.sekretess = NULL;
    d.diarienummer = "KS\x7f 2026/1";
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG, "%s", e.msg);
    d.diarienummer = "KS 2026/1";
    rv_decision_state was = {.current = RV_DECISION_HALLS_ORDNAD};
    d.reason = "fel\x08 beslut";
    cr_expect_eq(check(&d, &was, &e), RV_ERR_ARG, "%s", e.msg);
    d.reason = "Fel beslut:\nse ärendet.";
    cr_expect_eq(check(&d, &was, &e), RV_OK, "a line break in a reason: %s", e.msg);
    d.reason = NULL;
    d.note = "Ring\x07 upp";
    cr_expect_eq(check(&d, NULL, &e), RV_ERR_ARG, "a note goes into the package too: %s", e.msg);
    d.note = "Ring upp\ni dag.";
    cr_expect_eq(check(&d, NULL, &e), RV_OK, "%s", e.msg);
    rv_decision_request g = {.kind = RV_DECISION_GALLRAS, .ground = "ringa\x01"};
    cr_expect_eq(check(&g, NULL, &e), RV_ERR_ARG, "%s", e.msg);
}
