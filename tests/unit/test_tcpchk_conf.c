/* Unit tests of the tcp-check configuration: hexadecimal strings, rule
 * lists and their step numbers, inheritance from defaults, expect options,
 * and the rules the protocol checks build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "conf/chk-status.h"
#include "conf/kw.h"
#include "conf/tcpchk.h"
#include "tests/unit/test-config.h"
#include "tests/unit/test.h"

TEST(hex_strings)
{
	char *out = NULL, *err = NULL;
	size_t len = 0;
	CHECK_INT(tcpchk_parse_hex("00fF10Ab", &out, &len, &err), 0);
	CHECK_INT(len, 4);
	CHECK(out && memcmp(out, "\x00\xff\x10\xab", 4) == 0);
	free(out);
	CHECK_INT(tcpchk_parse_hex("", &out, &len, &err), 0);
	CHECK_INT(len, 0);
	free(out);
	CHECK_INT(tcpchk_parse_hex("abc", &out, &len, &err), -1);
	CHECK_STR(err, "an even number of hex digit is expected");
	free(err);
	err = NULL;
	CHECK_INT(tcpchk_parse_hex("0g", &out, &len, &err), -1);
	CHECK_STR(err, "an hex digit is expected (found 'g')");
	free(err);
}

/* The <n>th rule (from 0) of <px>'s own list. */
static const struct tcpchk_rule *rule_at(const struct proxy *px, int n)
{
	const struct tcpchk_rule *r = px->tcpchk.rules;
	while (r && n--)
		r = r->next;
	return r;
}

TEST(rules_and_steps)
{
	int ok;
	struct config *cfg =
	    load("backend b\n    option tcp-check\n    tcp-check comment first\n"
	         "    tcp-check connect port 25 linger send-proxy comment c\n"
	         "    tcp-check send-binary 50494e47\n"
	         "    tcp-check expect min-recv 3 ! rstring ^-ERR error-status L7STS\n"
	         "    tcp-check expect binary 2b4f4b ok-status L6OK tout-status L6TOUT\n",
	         &ok);
	CHECK(ok);
	struct proxy *b = px_named(cfg, "b");
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK_INT(b->tcpchk.kind, TCK_TCP);
	const struct tcpchk_rule *c = rule_at(b, 1), *s = rule_at(b, 2);
	const struct tcpchk_rule *e1 = rule_at(b, 3), *e2 = rule_at(b, 4);
	CHECK(c && s && e1 && e2 && !rule_at(b, 5));
	if (!c || !s || !e1 || !e2)
		return;
	CHECK_INT(rule_at(b, 0)->act, TCA_COMMENT);
	CHECK_STR(rule_at(b, 0)->comment, "first");
	CHECK_INT(c->act, TCA_CONNECT);
	CHECK_INT(c->index, 1);
	CHECK_INT(c->port, 25);
	CHECK(c->linger && c->send_proxy);
	CHECK_STR(c->comment, "c");
	CHECK_INT(s->len, 4);
	CHECK(memcmp(s->data, "PING", 4) == 0);
	CHECK_INT(e1->match, TCM_RSTRING);
	CHECK(e1->inverse && e1->re);
	CHECK_INT(e1->min_recv, 3);
	CHECK_INT(e1->err_status, CHK_L7STS);
	CHECK_INT(e2->match, TCM_BINARY);
	CHECK_INT(e2->len, 3);
	CHECK_INT(e2->min_recv, -1);
	CHECK_INT(e2->ok_status, CHK_L6OK);
	CHECK_INT(e2->tout_status, CHK_L6TOUT);
	CHECK_INT(e2->index, 4);
}

TEST(inheritance_and_selection)
{
	int ok;
	struct config *cfg = load("defaults\n    option tcp-check\n    tcp-check send a\n"
	                          "backend inherits\n"
	                          "backend own\n    tcp-check send b\n"
	                          "backend http\n    option httpchk\n"
	                          "backend redis\n    option redis-check\n"
	                          "backend back\n    option redis-check\n    option tcp-check\n",
	                          &ok);
	CHECK(ok);
	struct proxy *in = px_named(cfg, "inherits"), *own = px_named(cfg, "own");
	struct proxy *http = px_named(cfg, "http"), *redis = px_named(cfg, "redis");
	struct proxy *back = px_named(cfg, "back");
	CHECK(in && own && http && redis && back);
	if (!in || !own || !http || !redis || !back)
		return;
	CHECK(in->tcpchk.rules && in->tcpchk.rules->data[0] == 'a' && !in->tcpchk.rules->next);
	CHECK(own->tcpchk.rules && own->tcpchk.rules->data[0] == 'b' && !own->tcpchk.rules->next);
	CHECK(cfg->defaults->tcpchk.rules->next == NULL); /* defaults untouched */
	CHECK_INT(http->tcpchk.kind, TCK_NONE);
	CHECK(http->httpchk.enabled);
	CHECK_INT(redis->tcpchk.kind, TCK_PROTO);
	CHECK(!redis->httpchk.enabled);
	CHECK_INT(back->tcpchk.kind, TCK_TCP);
}

TEST(protocol_rules)
{
	int ok;
	struct config *cfg = load("backend smtp\n    option smtpchk EHLO example.org\n"
	                          "backend my\n    option mysql-check user bob pre-41\n"
	                          "backend pg\n    option pgsql-check user alice\n",
	                          &ok);
	CHECK(ok);
	struct proxy *smtp = px_named(cfg, "smtp"), *my = px_named(cfg, "my");
	struct proxy *pg = px_named(cfg, "pg");
	CHECK(smtp && my && pg);
	if (!smtp || !my || !pg)
		return;
	int n = 0;
	const struct tcpchk_rule *helo = NULL;
	for (const struct tcpchk_rule *r = smtp->tcpchk.proto_rules; r; r = r->next, n++)
		if (r->act == TCA_SEND && !helo)
			helo = r;
	CHECK_INT(n, 7);
	CHECK(helo && helo->len == 18 && memcmp(helo->data, "EHLO example.org\r\n", 18) == 0);
	const struct tcpchk_rule *auth = my->tcpchk.proto_rules->next;
	/* 4.0 packet: header, capabilities, max packet, user, NUL, empty password */
	CHECK(auth && auth->len == 4 + 10 + 5 &&
	      memcmp(auth->data,
	             "\x0a\x00\x00\x01\x00\x80\x00\x00\x01"
	             "bob\x00\x00",
	             14) == 0);
	const struct tcpchk_rule *start = pg->tcpchk.proto_rules->next;
	CHECK(start && start->len == 20 && start->data[3] == 20 &&
	      memcmp(start->data + 8, "user\0alice\0\0", 12) == 0);
}

TEST(errors)
{
	int ok;
	load("backend b\n    tcp-check send a\n    tcp-check connect\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check comment x\n    tcp-check connect\n"
	     "    tcp-check connect port 2\n",
	     &ok);
	CHECK(ok);
	load("backend b\n    tcp-check connect ssl\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check expect string a on-success\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check expect string a status-code nope\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check expect string-lf %[nope]\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check set-var(check.x)\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check set-var(x) int(1)\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check set-var(check.x,nope) int(1)\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check unset-var(check.x,ifset)\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check unset-var(check.x) extra\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check set-var(check.x int(1)\n", &ok);
	CHECK(!ok);
	load("backend b\n    tcp-check expect binary 0\n", &ok);
	CHECK(!ok);
	load("backend b\n    option pgsql-check\n", &ok);
	CHECK(!ok);
}

/* The -lf forms, variable actions and report options build rules that
 * keep their compiled parts; a variable action may precede the connect.
 */
TEST(evaluated_rules)
{
	int ok;
	struct config *cfg =
	    load("backend b\n    option tcp-check\n    tcp-check set-var(check.p) int(1)\n"
	         "    tcp-check connect\n    tcp-check send-lf \"x %[srv_name]\"\n"
	         "    tcp-check send-binary-lf \"%[var(check.p),hex]\"\n"
	         "    tcp-check expect comment c string-lf \"%[be_name]\" on-success \"ok\" "
	         "on-error \"ko %[srv_name]\" status-code res.len\n"
	         "    tcp-check set-var-fmt(check.f,ifnotset) \"%[srv_id]\"\n"
	         "    tcp-check unset-var(check.p)\n"
	         "    tcp-check expect ! binary-lf \"%[str(00)]\"\n",
	         &ok);
	CHECK(ok);
	const struct proxy *b = px_named(cfg, "b");
	CHECK(b != NULL);
	if (!b)
		return;
	CHECK_INT(rule_at(b, 0)->act, TCA_VAR);
	CHECK_INT(rule_at(b, 0)->var->kind, CVA_SET);
	CHECK_INT(rule_at(b, 1)->act, TCA_CONNECT);
	CHECK(rule_at(b, 2)->fmt && !rule_at(b, 2)->fmt_hex);
	CHECK(rule_at(b, 3)->fmt && rule_at(b, 3)->fmt_hex);
	const struct tcpchk_rule *e = rule_at(b, 4);
	CHECK_INT(e->match, TCM_STRING_LF);
	CHECK(e->fmt && e->rep.on_success && e->rep.on_error && e->rep.status_code);
	CHECK_STR(e->comment, "c");
	CHECK_INT(rule_at(b, 5)->var->kind, CVA_SET_FMT);
	CHECK(rule_at(b, 5)->var->conds != 0);
	CHECK_INT(rule_at(b, 6)->var->kind, CVA_UNSET);
	CHECK_INT(rule_at(b, 7)->match, TCM_BINARY_LF);
	CHECK(rule_at(b, 7)->inverse);
}

/* http-check: variable rules before the first expect run before the
 * request, the others after the expect written before them; expect options
 * on either side of the match; uri-lf replaces uri; a defaults section's
 * variable rules are replaced by a backend's own.
 */
TEST(http_evaluated_rules)
{
	int ok;
	struct config *cfg = load(
	    "defaults\n    option httpchk\n    http-check set-var(check.d) int(1)\n"
	    "backend inherits\n"
	    "backend b\n    option httpchk GET /x\n    http-check set-var(check.a) int(1)\n"
	    "    http-check send uri-lf \"/%[srv_name]\" hdr X-A \"%[be_name]\" hdr X-B plain\n"
	    "    http-check expect comment c status 200 on-error \"e\" status-code int(7)\n"
	    "    http-check set-var(check.b) res.hdr(x)\n    http-check unset-var(check.a)\n"
	    "    http-check expect ! string-lf \"%[srv_name]\" ok-status L7OKC\n",
	    &ok);
	CHECK(ok);
	const struct proxy *inh = px_named(cfg, "inherits"), *b = px_named(cfg, "b");
	CHECK(inh && b);
	if (!inh || !b)
		return;
	CHECK(inh->httpchk.pre_vars && !inh->httpchk.pre_vars->next);
	const struct px_httpchk *hc = &b->httpchk;
	CHECK(hc->pre_vars && hc->pre_vars != inh->httpchk.pre_vars && !hc->pre_vars->next);
	CHECK(hc->uri == NULL && hc->uri_fmt != NULL);
	CHECK(hc->hdrs && hc->hdrs->fmt && hc->hdrs->next && !hc->hdrs->next->fmt);
	const struct httpchk_expect *e = hc->expects;
	CHECK(e && e->kind == HCE_STATUS && e->rep.on_error && e->rep.status_code);
	CHECK(e && e->comment && !strcmp(e->comment, "c"));
	CHECK(e && e->after && e->after->kind == CVA_SET && e->after->next &&
	      e->after->next->kind == CVA_UNSET);
	e = e ? e->next : NULL;
	CHECK(e && e->kind == HCE_STRING_LF && e->inverse && e->fmt && !e->after);
	CHECK(e && e->ok_status == (int)check_result_by_name("L7OKC"));
}

TEST_MAIN()
