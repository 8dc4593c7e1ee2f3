/*
 * tests/unit/pgp_fixture.h - a small public key for the pgp unit tests,
 * generated with GnuPG 2.2 for this project (not from the shared corpus):
 * ed25519 primary, two user IDs, a cv25519 encryption subkey.
 */
#ifndef KM_TEST_PGP_FIXTURE_H
#define KM_TEST_PGP_FIXTURE_H

static const char fixture_asc[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "Comment: keymail unit test key\n"
    "\n"
    "mDMEawI3GRYJKwYBBAHaRw8BAQdA8yVFYEK9iTbGXWJbf0g3xtcUPhp0TL+fJnEz\n"
    "OdLVQrO0I0tleW1haWwgVGVzdCA8dGVzdEBrZXltYWlsLmV4YW1wbGU+iJAEExYI\n"
    "ADgWIQRR3UptsvZMVCtAjFxT6CHZ1Icz5QUCawI3GQIbAwULCQgHAgYVCgkICwIE\n"
    "FgIDAQIeAQIXgAAKCRBT6CHZ1Icz5QZqAQDtpzxEePXzwozwOhH2dOat7G00ibOo\n"
    "fMQ6OfohCap2mwD/XtObxczp3RIi6MUs7ryrzdbaIS1Y72DD+5nqmxR8RQW0KFNl\n"
    "Y29uZCBJZGVudGl0eSA8c2Vjb25kQGtleW1haWwuZXhhbXBsZT6IkAQTFggAOBYh\n"
    "BFHdSm2y9kxUK0CMXFPoIdnUhzPlBQJrAjcZAhsDBQsJCAcCBhUKCQgLAgQWAgMB\n"
    "Ah4BAheAAAoJEFPoIdnUhzPlawYBAMhv5uTwkEOxRALWTtwONcK0IR+7puelsZSV\n"
    "gWalIJXBAQC2sd+sO5YtO/uQRrIxNG6cc2vhBu7wgBeI75ks2cAjAbg4BGsCNxkS\n"
    "CisGAQQBl1UBBQEBB0DId8aDRqEhrSJOXmfbFdX48kj3zI4MZBwMvsA/SzeZCAMB\n"
    "CAeIeAQYFggAIBYhBFHdSm2y9kxUK0CMXFPoIdnUhzPlBQJrAjcZAhsMAAoJEFPo\n"
    "IdnUhzPlYFYA/ieSJyc9liwSLdFCFHzgkw40BTWCoSS7v+Gab7nKKGj6AQDeH7ZD\n"
    "tBx/ZypNKa3Nl41Sz4B1FGPch7zOW+XbayikAQ==\n"
    "=FQV8\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";

/* gpg --with-colons: fingerprints, binary length, packet count */
#define FIXTURE_FPR	"51DD4A6DB2F64C542B408C5C53E821D9D48733E5"
#define FIXTURE_KEYID	"53E821D9D48733E5"
#define FIXTURE_SUBFPR	"72D0F2951D99C40C36AC32FA39AA097F4896C801"
#define FIXTURE_LEN	604u
#define FIXTURE_PACKETS	7u	/* pub, uid, sig, uid, sig, sub, sig */

#endif
