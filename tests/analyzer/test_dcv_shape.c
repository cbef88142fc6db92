/* test_dcv_shape.c - one query's name and type: every DCV shape and its near misses. */
#include <criterion/criterion.h>
#include <string.h>

#include "dcv_shape.h"
#include "dns_parse.h"

struct shape_case {
	const char *what;
	const char *qname;
	uint16_t qtype;
	enum dcv_shape shape;
	const char *base; /* expected base text */
};

static const struct shape_case CASES[] = {
    {"dns-01 TXT", "_acme-challenge.www.example.com", DNS_TYPE_TXT, DCV_SHAPE_ACME_DNS01,
     "www.example.com"},
    {"dns-01 TXT for a one-label base", "_acme-challenge.x", DNS_TYPE_TXT, DCV_SHAPE_ACME_DNS01,
     "x"},
    {"dns-account-01 TXT", "_ujmmovf2vn55tgye._acme-challenge.example.com", DNS_TYPE_TXT,
     DCV_SHAPE_ACME_ACCOUNT01, "example.com"},
    {"dns-account-01 label of 15 chars is no shape", "_ujmmovf2vn55tgy._acme-challenge.example.com",
     DNS_TYPE_TXT, DCV_SHAPE_NONE, "_ujmmovf2vn55tgy._acme-challenge.example.com"},
    {"dns-account-01 label of 17 chars is no shape",
     "_ujmmovf2vn55tgyea._acme-challenge.example.com", DNS_TYPE_TXT, DCV_SHAPE_NONE,
     "_ujmmovf2vn55tgyea._acme-challenge.example.com"},
    {"dns-account-01 label with a non-base32 digit is no shape",
     "_ujmmovf2vn55tg1e._acme-challenge.example.com", DNS_TYPE_TXT, DCV_SHAPE_NONE,
     "_ujmmovf2vn55tg1e._acme-challenge.example.com"},
    {"16 base32 chars not followed by _acme-challenge is no shape", "_ujmmovf2vn55tgye.example.com",
     DNS_TYPE_TXT, DCV_SHAPE_NONE, "_ujmmovf2vn55tgye.example.com"},
    {"dns-persist-01 TXT", "_validation-persist.example.org", DNS_TYPE_TXT, DCV_SHAPE_PERSIST01,
     "example.org"},
    {"DigiCert _dnsauth TXT", "_dnsauth.shop.example.net", DNS_TYPE_TXT, DCV_SHAPE_DNSAUTH,
     "shop.example.net"},
    {"DigiCert _dnsauth CNAME", "_dnsauth.example.net", DNS_TYPE_CNAME, DCV_SHAPE_DNSAUTH,
     "example.net"},
    {"DigiCert _dnsauth CAA", "_dnsauth.example.net", DNS_TYPE_CAA, DCV_SHAPE_DNSAUTH,
     "example.net"},
    {"contact e-mail TXT", "_validation-contactemail.example.com", DNS_TYPE_TXT, DCV_SHAPE_CONTACT,
     "example.com"},
    {"contact phone TXT", "_validation-contactphone.example.com", DNS_TYPE_TXT, DCV_SHAPE_CONTACT,
     "example.com"},
    {"AWS token CNAME", "_0123456789abcdef0123456789abcdef.example.com", DNS_TYPE_CNAME,
     DCV_SHAPE_CNAME_TOKEN, "example.com"},
    {"AWS token of 31 hex digits is no shape", "_0123456789abcdef0123456789abcde.example.com",
     DNS_TYPE_CNAME, DCV_SHAPE_NONE, "_0123456789abcdef0123456789abcde.example.com"},
    {"AWS token with a non-hex letter is no shape", "_0123456789abcdef0123456789abcdeg.example.com",
     DNS_TYPE_CNAME, DCV_SHAPE_NONE, "_0123456789abcdef0123456789abcdeg.example.com"},
    {"AWS token asked as TXT is no shape", "_0123456789abcdef0123456789abcdef.example.com",
     DNS_TYPE_TXT, DCV_SHAPE_NONE, "_0123456789abcdef0123456789abcdef.example.com"},
    {"delegated dns-01 CNAME", "_acme-challenge.example.com", DNS_TYPE_CNAME, DCV_SHAPE_ACME_CNAME,
     "example.com"},
    {"CAA of a name", "www.example.com", DNS_TYPE_CAA, DCV_SHAPE_CAA, "www.example.com"},
    {"CAA of a TLD", "com", DNS_TYPE_CAA, DCV_SHAPE_CAA, "com"},
    {"DNSKEY", "example.com", DNS_TYPE_DNSKEY, DCV_SHAPE_DNSSEC, "example.com"},
    {"DS", "example.com", DNS_TYPE_DS, DCV_SHAPE_DNSSEC, "example.com"},
    {"A", "www.example.com", DNS_TYPE_A, DCV_SHAPE_ADDRESS, "www.example.com"},
    {"AAAA", "www.example.com", DNS_TYPE_AAAA, DCV_SHAPE_ADDRESS, "www.example.com"},
    {"_acme-challenge alone is no shape", "_acme-challenge", DNS_TYPE_TXT, DCV_SHAPE_NONE,
     "_acme-challenge"},
    {"_acme-challenge asked as A is an address, not dns-01", "_acme-challenge.example.com",
     DNS_TYPE_A, DCV_SHAPE_ADDRESS, "_acme-challenge.example.com"},
    {"_acme-challenge asked as MX is no shape", "_acme-challenge.example.com", DNS_TYPE_MX,
     DCV_SHAPE_NONE, "_acme-challenge.example.com"},
    {"persist asked as CNAME is no shape", "_validation-persist.example.com", DNS_TYPE_CNAME,
     DCV_SHAPE_NONE, "_validation-persist.example.com"},
    {"escaped dot inside the prefix label matches nothing", "_acme-challenge\\.example.com",
     DNS_TYPE_TXT, DCV_SHAPE_NONE, "_acme-challenge\\.example.com"},
    {"escaped byte in the prefix matches nothing", "_acme\\045challenge.example.com", DNS_TYPE_TXT,
     DCV_SHAPE_NONE, "_acme\\045challenge.example.com"},
    {"prefix inside a longer label is no shape", "_acme-challengex.example.com", DNS_TYPE_TXT,
     DCV_SHAPE_NONE, "_acme-challengex.example.com"},
    {"a prefix not in the first label is no shape", "www._acme-challenge.example.com", DNS_TYPE_TXT,
     DCV_SHAPE_NONE, "www._acme-challenge.example.com"},
    {"ordinary TXT", "example.com", DNS_TYPE_TXT, DCV_SHAPE_NONE, "example.com"},
    {"MX", "example.com", DNS_TYPE_MX, DCV_SHAPE_NONE, "example.com"},
    {"empty name", "", DNS_TYPE_CAA, DCV_SHAPE_NONE, ""},
};

Test(dcv_shape, every_shape_and_near_miss_classifies_as_the_table_says)
{
	for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
		const struct shape_case *c = &CASES[i];
		struct dcv_shape_result r;
		dcv_shape_classify(c->qname, (uint16_t)strlen(c->qname), c->qtype, &r);
		cr_expect_eq(r.shape, c->shape, "%s: shape %s, want %s", c->what,
		             dcv_shape_name(r.shape), dcv_shape_name(c->shape));
		cr_expect_eq(r.base_len, strlen(c->base), "%s: base length %u", c->what,
		             r.base_len);
		cr_expect(r.base_len == strlen(c->base) && memcmp(r.base, c->base, r.base_len) == 0,
		          "%s: base %.*s", c->what, (int)r.base_len, r.base);
		/* base points into qname: no copy */
		cr_expect(r.base >= c->qname && r.base + r.base_len == c->qname + strlen(c->qname),
		          "%s: base is not a suffix of qname", c->what);
	}
}

Test(dcv_shape, base_is_bounded_by_qname_len_not_by_nul)
{
	const char buf[] = "_acme-challenge.example.comXXXX";
	struct dcv_shape_result r;
	dcv_shape_classify(buf, 27, DNS_TYPE_TXT, &r);
	cr_assert_eq(r.shape, DCV_SHAPE_ACME_DNS01);
	cr_assert_eq(r.base_len, 11);
	cr_assert_eq(r.base, buf + 16);
}

Test(dcv_shape, null_name_is_no_shape)
{
	struct dcv_shape_result r;
	dcv_shape_classify(NULL, 0, DNS_TYPE_CAA, &r);
	cr_assert_eq(r.shape, DCV_SHAPE_NONE);
	cr_assert_eq(r.base_len, 0);
}

Test(dcv_shape, only_validation_shapes_count_as_validation)
{
	cr_assert_not(dcv_shape_is_validation(DCV_SHAPE_NONE));
	cr_assert_not(dcv_shape_is_validation(DCV_SHAPE_DNSSEC));
	cr_assert_not(dcv_shape_is_validation(DCV_SHAPE_ADDRESS));
	cr_assert_not(dcv_shape_is_validation(DCV_SHAPE_COUNT));
	for (int s = DCV_SHAPE_ACME_DNS01; s <= DCV_SHAPE_CAA; s++)
		cr_assert(dcv_shape_is_validation((enum dcv_shape)s), "%s",
		          dcv_shape_name((enum dcv_shape)s));
}

Test(dcv_shape, names_are_stable_keys)
{
	cr_assert_str_eq(dcv_shape_name(DCV_SHAPE_ACME_DNS01), "acme_dns01");
	cr_assert_str_eq(dcv_shape_name(DCV_SHAPE_CAA), "caa");
	cr_assert_str_eq(dcv_shape_name(DCV_SHAPE_NONE), "none");
	for (int s = 0; s < DCV_SHAPE_COUNT; s++)
		for (int t = s + 1; t < DCV_SHAPE_COUNT; t++)
			cr_assert_str_neq(dcv_shape_name((enum dcv_shape)s),
			                  dcv_shape_name((enum dcv_shape)t));
}
