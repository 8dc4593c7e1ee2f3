/*
 * tests/unit/authres_test.c - Authentication-Results verdicts (RFC 8601
 * fields as OpenDMARC, OpenDKIM and policyd-spf write them, and broken
 * ones) and the rate-limit keys of an address.
 */
#include <stdlib.h>

#include "check.h"
#include "mail/mail.h"

struct ar_case {
	const char *value;
	bool ours, dmarc_fail, spf_fail;
};

static void
test_authres(void)
{
	static const struct ar_case t[] = {
		/* OpenDMARC */
		{ "mx.example.net; dmarc=fail (p=reject dis=none) header.from=bank.example",
		    true, true, false },
		{ "mx.example.net; dmarc=pass (p=none dis=none) header.from=a.example",
		    true, false, false },
		/* authserv-id compared without case; a version after it */
		{ "MX.Example.NET 1; spf=fail smtp.mailfrom=x@y.example", true, false, true },
		/* several results, comments, folding blanks, a method version */
		{ "mx.example.net;\t dkim=none (no signatures) ;\n spf/1 = fail "
		    "(sender IP is 192.0.2.1) smtp.mailfrom=a@b.example;  dmarc = fail "
		    "header.from=b.example", true, true, true },
		/* softfail, neutral, temperror are not fail */
		{ "mx.example.net; spf=softfail smtp.mailfrom=a@b; dmarc=temperror",
		    true, false, false },
		{ "mx.example.net; none", true, false, false },
		/* somebody else's field, even one saying fail */
		{ "mx.other.example; dmarc=fail header.from=x", false, false, false },
		{ "mx.example.net.evil.example; dmarc=fail", false, false, false },
		{ "mx.example.ne; dmarc=fail", false, false, false },
		/* ';' and "fail" inside comments and quoted strings do not count */
		{ "mx.example.net; dkim=pass (good; dmarc=fail) header.i=\"a;dmarc=fail\"",
		    true, false, false },
		{ "mx.example.net (comment) ; dmarc=fail", true, true, false },
		/* "failed", "dmarcx": whole tokens only */
		{ "mx.example.net; dmarc=failed; dmarcx=fail; xspf=fail", true, false, false },
		/* broken fields: no verdict, no crash */
		{ "", false, false, false },
		{ ";dmarc=fail", false, false, false },
		{ "mx.example.net; dmarc", true, false, false },
		{ "mx.example.net; dmarc=", true, false, false },
		{ "mx.example.net; (unclosed dmarc=fail", true, false, false },
		{ "mx.example.net; dkim=pass \"unclosed; dmarc=fail", true, false, false },
		{ "mx.example.net; ((((((", true, false, false },
	};
	struct mail_auth a;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool ours = mail_authres_parse(t[i].value, "mx.example.net", &a);

		CHECK(ours == t[i].ours && a.dmarc_fail == t[i].dmarc_fail &&
		    a.spf_fail == t[i].spf_fail, "\"%s\": got ours=%d dmarc=%d spf=%d",
		    t[i].value, ours, a.dmarc_fail, a.spf_fail);
	}
	/* Without a configured authserv-id nothing is trusted. */
	CHECK(!mail_authres_parse("mx.example.net; dmarc=fail", "", &a) &&
	    !a.dmarc_fail, "empty authserv_id");
	CHECK(!mail_authres_parse("mx.example.net; dmarc=fail", NULL, &a), "NULL authserv_id");
	CHECK(!mail_authres_parse(NULL, "mx.example.net", &a), "NULL value");
}

static void
test_rate_keys(void)
{
	static const char *const t[][2] = {
		{ "user@example.org", "user@example.org" },
		{ "User@Example.ORG", "user@example.org" },
		{ "user+1@example.org", "user@example.org" },
		{ "USER+Tag+More@example.org", "user@example.org" },
		{ "+x@example.org", "+x@example.org" },	/* nothing left without it */
		{ "a.b-c@example.org", "a.b-c@example.org" },
		{ "user@sub+x.example.org", "user@sub+x.example.org" },	/* domain untouched */
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *k = mail_addr_rate_key(t[i][0]);

		CHECK_STR(k, t[i][1]);
		free(k);
	}
	CHECK_STR(mail_addr_domain("a@b.example"), "b.example");
	CHECK(mail_addr_domain("nodomain") == NULL, "no '@'");
	CHECK(mail_addr_domain("a@") == NULL, "empty domain");
}

int
main(void)
{
	test_authres();
	test_rate_keys();
	return check_done();
}
