/*
 * tests/unit/encrypt_fixture.h - keys for tests/unit/encrypt_test.c, made
 * for this project by tests/unit/gen-encrypt-fixture.sh (GnuPG 2.2 with a
 * faked clock, and OpenPGP.js 6); not from the shared corpus. Public keys
 * only. FIX_NOW is a time at which they are as described below.
 *
 * fix_multi: ed25519 primary (sign only) and subkeys, oldest first:
 *   cv25519 @+50, rsa2048 @+100, nistp256 @+200, brainpoolP256r1 @+300,
 *   cv25519 @+400 (revoked), cv25519 @+500 (expires after 1 day),
 *   ed25519 @+600 (sign).
 * fix_aes128: ed25519 + cv25519, preferences AES-128 only.
 * fix_signonly: ed25519, no encryption subkey.
 * fix_rsa1024: RSA-1024 primary and RSA-1024 encryption subkey.
 * fix_v4aead: OpenPGP.js v4 key, Ed25519 (27) + X25519 (25), features
 *   and AEAD preferences saying SEIPD v2.
 */
#ifndef KM_TEST_ENCRYPT_FIXTURE_H
#define KM_TEST_ENCRYPT_FIXTURE_H

#define FIX_T0		1780000000u
#define FIX_NOW		(FIX_T0 + 10u * 86400u)

#define FIX_MULTI_SUB(i) fix_multi_sub[i]
static const char *const fix_multi_sub[] = {
    "F0D875B859E43C86548F3495DA3BB42BBB6D85CB",
    "EB2F772BD57FCE37EDEE680F323EB0AC3DD3CD1F",
    "7C4CA306D8269C032E5BBDC92F2FD04E91D25827",
    "604743A7B2B815FC0EE15C5D8921F5B79D81D028",
    "4EEB12EF82CCDB74A6F49D1526B4178861BBCB24",
    "5068E3A7E54C58F6782C7DA8AB3B9573A0D029E0",
    "9C388FC4A1EB6CAE2773436B8AAB3EFF0670E1D9",
};

static const char fix_multi[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdAXgWASUK4XVliv/MtUV6oXT7SWdwYMO/74YTL\n"
    "ZOMF8z+0GU11bHRpIDxtdWx0aUBlbmMuZXhhbXBsZT6IkAQTFggAOBYhBLBAlZuK\n"
    "KaObzMukCg39k9JAR00nBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheA\n"
    "AAoJEA39k9JAR00nyLEA/1L72wMg4z/iZyIuFRdk63WVp5YPpSIbgiTxLwQVia0g\n"
    "AP9vCo0s6QiuURdFfOCXBye0xKDe5NFV5xJxXdjZEgdiBrg4BGoYpTISCisGAQQB\n"
    "l1UBBQEBB0DzaLxEZsRKg5Xgpn6l7g/vBkfSehxQA4rlSrDE4V6OSAMBCAeIeAQY\n"
    "FggAIBYhBLBAlZuKKaObzMukCg39k9JAR00nBQJqGKUyAhsMAAoJEA39k9JAR00n\n"
    "SkUBAK5J9qC7+U0Y6272E7aNU3x7r61NNHCHnpTiXY53ealMAP95KErL23H7lhpf\n"
    "yxBYveggq4FD0Fq8YSVk9A3gjHMWCLkBDQRqGKVkAQgAvqUNXoBCx5gukhjrsbXc\n"
    "/iSDyFG1ZIIDWXBMdbY8WpZnUz6mnEaRRYVIi8hlqtOiR50b8mS4TKrIGaDT66Gd\n"
    "+XeXGBdqnMphLLKa2AvuBDdrDrVTb8uk0WknVUBGW0fGZ5iA1EaoSM848Y/RWLoD\n"
    "//9S4wds+R1MmAfXfdMW3HTqFWFKMaeqg9pah6qxtOXYkYpvGdYcji+lW8gWYtKv\n"
    "kkMuoSCGc8LB0f6OYdzVcvY/OZC9pHIn5Inpnk/+qxq08NxiV9hcx0492xAGLmj9\n"
    "BlwcM0s8qzbr5/tgQ3KZfE6G8Z9a0wWJZ5nagehH1RJf6fNCc201HtgVSl6w56Cd\n"
    "OwARAQABiHgEGBYIACAWIQSwQJWbiimjm8zLpAoN/ZPSQEdNJwUCahilZAIbDAAK\n"
    "CRAN/ZPSQEdNJ7M+AQCuvFqAw/il0MPVAFKBXHkmrE6i+ZnfY0RVLeY6/yKHLwD/\n"
    "WT90/9hWMv1JNrFISAL7wiTLhJfEGmiWJy8KYT3VGgC4VgRqGKXIEggqhkjOPQMB\n"
    "BwIDBP5f9BksYa/GLaJi70qcnIVM2vpFVdZXIbVJhzGww71sfGcJl6dM5MGckAWb\n"
    "QnPdzBo1seBLHHq9RXKpysA48ZsDAQgHiHgEGBYIACAWIQSwQJWbiimjm8zLpAoN\n"
    "/ZPSQEdNJwUCahilyAIbDAAKCRAN/ZPSQEdNJ8CQAQCxlfufOAiqmH2GRnHfFw4L\n"
    "mQyUfpYQiZfeaue5TJ20cgEAuD/iH/SbQ/6uUcfu5ZO/CH6H1hW36K+4UXcTKoeu\n"
    "qwi4VwRqGKYsEgkrJAMDAggBAQcCAwQqSvzNpTPofk7AkModWFuAyf+8khi9aO6l\n"
    "LGVpevM+ywl1YM+T+RzAHAnEPegPDwHQf3WI6mgmtqAN0d9U0hkZAwEIB4h4BBgW\n"
    "CAAgFiEEsECVm4opo5vMy6QKDf2T0kBHTScFAmoYpiwCGwwACgkQDf2T0kBHTSe7\n"
    "OQD/UWqtQv9ozdVXNeKqattg/nVzED8mjVnFS7ldygRr6IMBAK60Cd8gqQzkPOkM\n"
    "JODlatZZQR0LkYHjyudrR68apWwDuDgEahimkBIKKwYBBAGXVQEFAQEHQJ57O+7a\n"
    "Y99iJ4gyqBEhGO1CHsvpwwNBbrAUMAVByikEAwEIB4h4BCgWCAAgFiEEsECVm4op\n"
    "o5vMy6QKDf2T0kBHTScFAmoYp7wCHQAACgkQDf2T0kBHTSe1ZQD+KG69N9CZNAdF\n"
    "BEfkMSe9JFK9bd+JxSvuh1yMBy7T92gA/A2WoXPp1zBlkH5aVKyxcybuo1OsyZPF\n"
    "94piKvQfHhEPiHgEGBYIACAWIQSwQJWbiimjm8zLpAoN/ZPSQEdNJwUCahimkAIb\n"
    "DAAKCRAN/ZPSQEdNJ5ZbAQCpBr7hreOvaEp15wUcd9PO5vqz/8GjsHC/ekAFMmIS\n"
    "dwD8ChgFRtU9pw4ZTotGBQpW6CS48NBDO6xvTGtQEjqLtA64OARqGKb0EgorBgEE\n"
    "AZdVAQUBAQdATRGmU2PAtMN0+pukwBu+o6bNk2oRx68wQC54hcdYGFIDAQgHiH4E\n"
    "GBYIACYWIQSwQJWbiimjm8zLpAoN/ZPSQEdNJwUCahim9AIbDAUJAAFRgAAKCRAN\n"
    "/ZPSQEdNJ2tUAP0bRbsEEGaPWqwoxfBYEgP7KDLX4Bnh9vkV5k3qFhFWfQD/UCJ1\n"
    "kTRVthdfmRMbfvlxPySsA7fIT1ktxLLeHruqNQy4MwRqGKdYFgkrBgEEAdpHDwEB\n"
    "B0AV5Qn6POArQCIl+H60WsspaIE5cHYieNcuvgL/5QXuOojvBBgWCAAgFiEEsECV\n"
    "m4opo5vMy6QKDf2T0kBHTScFAmoYp1gCGwIAgQkQDf2T0kBHTSd2IAQZFggAHRYh\n"
    "BJw4j8Sh62yuJ3NDa4qrPv8GcOHZBQJqGKdYAAoJEIqrPv8GcOHZUAABAMt0men6\n"
    "UCsuK7CLqgaEFOQtc1gXHX96JEX+AhxTkCGWAQDac8J1waklwj++e+2CkSiNhIK8\n"
    "NUOqDm7yQ5fvJz5kCdgyAQD/6hF9fKhlmsyfoLm4i6g+oY9bC0QF1xhHF5t+j1yn\n"
    "TgEA56K8RiIZO0NLeHtOx7lI+Mwx5NfHHFBfLL/hgpNOjwE=\n"
    "=8BMy\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_aes128[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdA3eBzX2VfK5zydjNq5AsYXVB+Zguy8G2k3d/F\n"
    "+7f0xCK0G0FlczEyOCA8YWVzMTI4QGVuYy5leGFtcGxlPoiIBBMWCAAwFiEEBwHe\n"
    "2chBcYsEszo8VktrJ33XiiwFAmoYpQACGwMCCwcCFQgDFgIAAh4BAheAAAoJEFZL\n"
    "ayd914os5lwBAMh7u0BZSnMplvlP1KcmQuUWZSWAytB4EI1eptwc81NCAQDlSkKX\n"
    "IfvRoGH900ilScWX5ZWJeMEBr7bmT7U8AEZnBrg4BGoYpQoSCisGAQQBl1UBBQEB\n"
    "B0DwgYTY0ZroSeyxIWHcJ9I10HsONlKFVgkBFpRinKeZLwMBCAeIeAQYFggAIBYh\n"
    "BAcB3tnIQXGLBLM6PFZLayd914osBQJqGKUKAhsMAAoJEFZLayd914os27MBAPNC\n"
    "+QHf+qoS15x0mUFbmrJdKQkCFjvtzNGypfdW/K0AAQC7uzdHXeeOrio7UQ4J1j4o\n"
    "neAOHWqcL7p4eNh9YFpoDw==\n"
    "=Y8Zo\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_signonly[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdAaa+/lxu44zPyfHaStHo1YRtTupk/7NhV2vFe\n"
    "0v7zp8O0H1NpZ25vbmx5IDxzaWdub25seUBlbmMuZXhhbXBsZT6IkAQTFggAOBYh\n"
    "BPHBPYulsJegdFPFCKtfVQ5frHBoBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMB\n"
    "Ah4BAheAAAoJEKtfVQ5frHBo3goBAJtDEgzgm/RZq9a9ZHufOxYXlvzXMxaQAzpy\n"
    "LQkJW29HAP42eqMX0TDRtWfLKWfYJa2vLfa5WqRUxn9vU6r38xuxDg==\n"
    "=+cZB\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_rsa1024[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mI0EahilAAEEAKfMk24HML73embEWj85JbjeYry5vy9tCoOWpNWHb0rv8GnyDHoY\n"
    "72aIJXBphUyKmZqJKSlmyWoiRuaYIldRMm3FIhRvIZtkOMQKgDFL6p3x5gTvCzxV\n"
    "AmFiD4jMb0RVSP+j/XMe85pxVtaHqj1dATEwCg7+gQqmJ0vuQUKk6uMLABEBAAG0\n"
    "GVNtYWxsIDxzbWFsbEBlbmMuZXhhbXBsZT6IzgQTAQoAOBYhBPtFkqCN+Buq+zf4\n"
    "Y9Z6bK3c04iMBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJENZ6\n"
    "bK3c04iMDjcD/inXbr843uDecP8+8KGB/UbR3rNZQgMIk2Vp7/5m+LQHPrQMqRfw\n"
    "HtyDgLqxk05V539RPAqRPh87ceOZNn5ZL+LCFFxVXBXRbKrHHN0w1ZZobiA6kTBd\n"
    "Qk8FLm3Yam17cgE2kI5bxQ27KWhswLLUaJhDFpE068+8CZop48h64lbEuI0Eahil\n"
    "CgEEANfoXU+1dz1F6xy0LOdGgihDR7Q7SgS4czmnwtZWlzFIzCGh2Z7VeUra2grT\n"
    "xHTIr+2UNf0OMDl5I9R5sDn6aGklL10FDbws6W/v/iLq4E2ip3UhhBeQRM9noi/j\n"
    "f+bEtj4rCeqfX38lNh4Xf7CDu2o1Aa84p2CHdfGq8xlQoI1ZABEBAAGItgQYAQoA\n"
    "IBYhBPtFkqCN+Buq+zf4Y9Z6bK3c04iMBQJqGKUKAhsMAAoJENZ6bK3c04iMFv8D\n"
    "/joicevpNIc4fxjexYEQ4BcxHMZ45PQYRaTe+qT2Wg6J7SAYwmNgVjZZBrHaJ3h3\n"
    "ZNKQ7sM7CfalBXSKrhrUpNSy9DtyKfYMOUsAXVKMB0De/jQTALvT9UfJJXgsdds6\n"
    "s+z5K/jDaCrtpipUZpMiglEvpZbgm+f1fazbPYNFIZ91\n"
    "=x6lT\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_v4aead[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "xiYEahilABveVwDJpxu7p7JEP96Sp1FTgflWWrcJH6vHOqc1fLmCCs0XQWVh\n"
    "ZCA8YWVhZEBlbmMuZXhhbXBsZT7CwB0EExsKAJMFgmoYpQADCwkHCRBrT1N3\n"
    "iQ4gkUUUAAAAAAAcACBzYWx0QG5vdGF0aW9ucy5vcGVucGdwanMub3JnQGr5\n"
    "gjwmGzgv7fqZGe8nI4rJA3cqIZOnbs99hVQrcKgFFQoIDgwEFgACAQIZAQKb\n"
    "AwIeCRYhBHIxKa14yY/8U5QrGmtPU3eJDiCRDScJAwcDCQEHAQkCBwIAAGRf\n"
    "+G2MXhx75esoivfhDHhv7ld1XguHr1sV1DP/EbnLm1mtEH17duAwldL/wy1+\n"
    "mkitOldFVV//mCn2H57KmX2DBs4mBGoYpQAZZ+2ch/r74YeZJqeqgB6c/5Rk\n"
    "djLBCw+E7okoNaprVRjCugQYGwoAcAWCahilAAkQa09Td4kOIJFFFAAAAAAA\n"
    "HAAgc2FsdEBub3RhdGlvbnMub3BlbnBncGpzLm9yZ5AdgNoqZCYRwejyNQjp\n"
    "ZyPfQnPqOdSHnCQHYacGy0/jApsMFiEEcjEprXjJj/xTlCsaa09Td4kOIJEA\n"
    "APVPwNWLhuhxI+GHZceCdTvtrl1+NWEAChkfbBtS3JxgU1UlGyjHHyW0t2Q2\n"
    "TQnNj0Q1SuNu8GVaoiPPZCF75PzWCA==\n"
    "=THjs\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

#endif
