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
 * fix_rsasign: RSA-2048 primary, key flags sign only, no subkey.
 * fix_v4aead: OpenPGP.js v4 key, Ed25519 (27) + X25519 (25), features
 *   and AEAD preferences saying SEIPD v2.
 */
#ifndef KM_TEST_ENCRYPT_FIXTURE_H
#define KM_TEST_ENCRYPT_FIXTURE_H

#define FIX_T0		1780000000u
#define FIX_NOW		(FIX_T0 + 10u * 86400u)

#define FIX_MULTI_SUB(i) fix_multi_sub[i]
static const char *const fix_multi_sub[] = {
    "3152BA80AC58258C6E2E0B794E6D6E90E8F4A4D0",
    "D00110D0D7ADE16FFFF3CF267FA2F158152E82EB",
    "AE5A618E1FCE9964CC4813F510ECE625C72059CB",
    "3638B2EF07CDE5225E88F9F65BA8E09E97EEAFEA",
    "36E50D087C14C48A165EB78BAFDB6C64780F1CC8",
    "1E724DBD2CC71F0EC713CCC10B176986695A8BBE",
    "40F017EC451A5DE5B966F11E985A2E98888D3883",
};

static const char fix_multi[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdAYCpXXZBXjsa2RazddhBwGO59/c1JNDSxQVcw\n"
    "P6vmpg+0GU11bHRpIDxtdWx0aUBlbmMuZXhhbXBsZT6IkAQTFggAOBYhBCEKI6zL\n"
    "sQIJMKwnmijQdhnHum4HBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheA\n"
    "AAoJECjQdhnHum4HvwsA/jZmeiJHUHypQxz5rOkAmtAsHC18waP1p/DbKgomu3J8\n"
    "AQCpoXUDXnS2P/asIXX+Vjext+/26HuaNRIr+PeMCiQcDrg4BGoYpTISCisGAQQB\n"
    "l1UBBQEBB0CazdWVE+Pfc8NXcxWMyu+wG29OnSZQ0ZocPwVedPOPSwMBCAeIeAQY\n"
    "FggAIBYhBCEKI6zLsQIJMKwnmijQdhnHum4HBQJqGKUyAhsMAAoJECjQdhnHum4H\n"
    "C1sBAPm0aXxQsLguYEfaTskf1dj4c1SksDQncs3mnC67I+r/AP9O5WHkBigIPNj3\n"
    "YCNGbPsf+oMgNVaHG/UHeh4ZpqzeBbkBDQRqGKVkAQgAr0PUhElL9IzI4S8OXoae\n"
    "iDFajUNMujOG4Moh9zhZujcSJYcZovKKw0342LNg1P8ihH/VyzXcD1JQod1BglED\n"
    "m5OqA5JaHwFF6311QxsAvCwfAggOxq75+5npvW3QtMUVCO1EGiXu78WybniwqYqe\n"
    "9xgz1wuaLpLmr3BsTbLhE8L4mOc52p3LvF1yvSsWWY5tgFwFVj/9UpQcPa+4VRrd\n"
    "6gps9nFRxN5HVqAjNV/VtHCWxAaLlGVT2AEoUCCjsx679FXh/3LjdT3lyMr7RYA1\n"
    "rcKI3hDyoiF372PEQ/Y8cQ38sLtUKi2NudHGLFbzNN7GzrBzdBTaIh9ing/Q3QKX\n"
    "KQARAQABiHgEGBYIACAWIQQhCiOsy7ECCTCsJ5oo0HYZx7puBwUCahilZAIbDAAK\n"
    "CRAo0HYZx7puB966APsHsgyLVA+eAfGEde2xJu8C68a8Y8acI9mY4FR1hVFZagD/\n"
    "SVwgbSbsKaMFl3gJqdg7vdrDTjqlRB1LQ0Mon0SNAAi4VgRqGKXIEggqhkjOPQMB\n"
    "BwIDBN3OarRzILlm6WB+NFBUaI2jStnqRRh/5AYBzrH1MgARSdrR/o9dVzOY18q4\n"
    "2roXDeh48N9CCmPTPatrOjmn7ToDAQgHiHgEGBYIACAWIQQhCiOsy7ECCTCsJ5oo\n"
    "0HYZx7puBwUCahilyAIbDAAKCRAo0HYZx7puB0AgAP9pzeQkjgtSTTkMvAXG+WgD\n"
    "GEsoNCRnf1qQ+B/c0OZKHwD8Dl3KAPPRdgjBuaOLAGfDVe7FTaPuW65ZWB3Akla9\n"
    "VwC4VwRqGKYsEgkrJAMDAggBAQcCAwQpScTTI6A4nxuM/KHS+UDiW5uvyHr6Xd1/\n"
    "i53j7mXSmyKEB7U6Zrj/rzr7axb1kThV+fNHVb7HazHFfgRf+ffrAwEIB4h4BBgW\n"
    "CAAgFiEEIQojrMuxAgkwrCeaKNB2Gce6bgcFAmoYpiwCGwwACgkQKNB2Gce6bgeE\n"
    "PQEAzt6PYT9CpefSjVAumMt+kU9Jzwl6jNnnMQETXld++P4BAKbL/utiBC2FVWdc\n"
    "VeXCg3F3FrpwuzuTf5ZiFvPWOfsNuDgEahimkBIKKwYBBAGXVQEFAQEHQD5JlRNJ\n"
    "Up4i98xF4tBkngLyLX5HSWVXRDsjpeQtR/wqAwEIB4h4BCgWCAAgFiEEIQojrMux\n"
    "AgkwrCeaKNB2Gce6bgcFAmoYp7wCHQAACgkQKNB2Gce6bgeR8AD6A48F+qjuGsq6\n"
    "iywHSVPsBkeboPoIuzsQzn/REsiTguEBAJCi8Z3j626aH5fTP/WrDwMK/1JQUkm0\n"
    "RrYaKVu7mNQOiHgEGBYIACAWIQQhCiOsy7ECCTCsJ5oo0HYZx7puBwUCahimkAIb\n"
    "DAAKCRAo0HYZx7puBxnWAPwJd1fq9a13u1PXkTiHlZa1zOF+292ocEXeVmce1M+e\n"
    "LgD/Z7+C6i1USfYxx+t4cTmrOeErwWJeZiVK4jaFSFEvFQu4OARqGKb0EgorBgEE\n"
    "AZdVAQUBAQdAESDxEN8sHUgdST3q3EVrRGiCiOOBzcJblLPFG4pfEREDAQgHiH4E\n"
    "GBYIACYWIQQhCiOsy7ECCTCsJ5oo0HYZx7puBwUCahim9AIbDAUJAAFRgAAKCRAo\n"
    "0HYZx7puB5fzAQCA9xUe5Zexe4VzUGk8wEE5yEfTp1Q0XCV7OtB9/473IwD/byA4\n"
    "6jCU8dY4aGqD1+asR4bUjPs0oHzbVhIT39JTxw64MwRqGKdYFgkrBgEEAdpHDwEB\n"
    "B0CBOgWIpJMiNvtf6ivbBSOV4NiErOqLSYWY9ErUfMPFuIjvBBgWCAAgFiEEIQoj\n"
    "rMuxAgkwrCeaKNB2Gce6bgcFAmoYp1gCGwIAgQkQKNB2Gce6bgd2IAQZFggAHRYh\n"
    "BEDwF+xFGl3luWbxHphaLpiIjTiDBQJqGKdYAAoJEJhaLpiIjTiDgpkBAO0Nc3jh\n"
    "ev/7rTJf4rPj+Yjqc3icrhz8DMEtVZNsz6xLAP0SB+MNvPlYrhQBhYwsI6yRceue\n"
    "/2ZLKJvnyLBBAVqbCSnGAP4plUP7psUeC6T3swmoWpOEKWca4GTQ4X7w5ddsoDXE\n"
    "2wD+M+GpEDESUN67MHOOCNipehXyD9QjCk2G8UqC5HZ6bw0=\n"
    "=Pa9W\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_aes128[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdAYCGn5m+GKwa+WqnrhyrQ3nBtDglMXO7i+1T/\n"
    "ktn/63u0G0FlczEyOCA8YWVzMTI4QGVuYy5leGFtcGxlPoiIBBMWCAAwFiEEr6wm\n"
    "3YtbzvlecTcVTOqTmse6UhcFAmoYpQACGwMCCwcCFQgDFgIAAh4BAheAAAoJEEzq\n"
    "k5rHulIXCZEBAKKXhvCgNlnLFCY4NtNpg6DKEGCZ/5iX3qS9sIoEqWBnAPwNvHj4\n"
    "plr12TICBlxB+1WOkMPBagAO+6cdlhR11XwGA7g4BGoYpQoSCisGAQQBl1UBBQEB\n"
    "B0BZKXhkIuHvPjP4LSt5WRxGquyBC8tWsg+xQtnbV+xcRwMBCAeIeAQYFggAIBYh\n"
    "BK+sJt2LW875XnE3FUzqk5rHulIXBQJqGKUKAhsMAAoJEEzqk5rHulIX4asBAI23\n"
    "m2OpshRIw4o5dQfwuvJB+bn52toLtO4Tuk4d2LoqAQCnX0TuYS2xRt2HSqqYBC0u\n"
    "7JF8mMR7Gc2mOLnaXFfaDQ==\n"
    "=JHkW\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_signonly[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEahilABYJKwYBBAHaRw8BAQdAbQl2OOOVBSJM3sqoXZ5gcqtUQuJCw/90I52S\n"
    "DvmbOsS0H1NpZ25vbmx5IDxzaWdub25seUBlbmMuZXhhbXBsZT6IkAQTFggAOBYh\n"
    "BM7kpcUM4GUBodV+MonD8jAJDxjlBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMB\n"
    "Ah4BAheAAAoJEInD8jAJDxjlPBYA/2ntkZ48KBS0K1M2avdnj5DqajdH3bNhThxi\n"
    "C9Ja/V6gAP4/wRE0kDi6r6baP5BBLN7Da22UHUJf5vgOYQzwSJi7BA==\n"
    "=/mxW\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_rsa1024[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mI0EahilAAEEAL+8i5WxsNCo8szGVfkA9+7irnnsEErn6qmLLbHzSL4X5NQ/p4gU\n"
    "eaVwwR05CXjN9jNjXWuHBcm4ssw1iCjOfJIr9dFqP0Ct9XzfxefajGlVi5FYSi1w\n"
    "uMNc7+taZrElM94SPbHeYjtussZ9lUG76qBtpJtmwdMQI/6WQzphrDb7ABEBAAG0\n"
    "GVNtYWxsIDxzbWFsbEBlbmMuZXhhbXBsZT6IzgQTAQoAOBYhBBlXGu8z43MZajq5\n"
    "dHPSid4JbPyWBQJqGKUAAhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEHPS\n"
    "id4JbPyWS5EEALdCC7T7xdEIKuGxZOpeYJ59S3fbkd2LRh04+HfmKG7AfEpdrJKN\n"
    "sBkmEcmp2xfFbH5czCFWy1+bDehTvKsrJy4E4hJkNjTFQ6SZHZ6SqndiTx2P8F9q\n"
    "yLnyDEMJps1ueJEOpbqXFxmuVVutgiMCqAGpeHLEM1KsY8VCzGHJPfIJuI0Eahil\n"
    "CgEEAJ/lgX/nKDmro4k7VC405u1a9R6EDDS1+MetSLlKuCJJGA1CrQz2APVHY35l\n"
    "l0wut7SmHypMDxcUlqOacRGPt4uAaJIs2w1+HHZXV4sLS9pjU8egXHGIYJZa1joH\n"
    "gdiFkq6/jw9DJoJMRrlVh/4ThCDRVjXZIUjPUVabhoLSWnWnABEBAAGItgQYAQoA\n"
    "IBYhBBlXGu8z43MZajq5dHPSid4JbPyWBQJqGKUKAhsMAAoJEHPSid4JbPyWQy0E\n"
    "ALd9RyQYgII8ZpkbiOIWczvJqGPsepf/Z/fQq/g18RJLpYBFa2skwuhf49vN2S+L\n"
    "yny42UgLXrQ2V8jhqn0KGmrIq1XYcs88HPjvVPpUNx+YO0BTzQTMumlfeBmRrVY/\n"
    "HzM1INUkB1Cntgv5PlY8yhJke6mFfdqFvN+29DWXoueK\n"
    "=8Ayt\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_rsasign[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mQENBGoYpQABCADA1V5eg7RzWbo4obe33FWPjB9OYIU4H8j6WcBKxw4ufkPO6iD4\n"
    "KNf7vnYIpCwoz2EMjqFJ7nfzYvxGR+EyCHDdwkLv3WQ4eHqjhsdgXH5JtoRMrf4g\n"
    "3gp+ukoMUan0wXMSr1rVRW6CikD6+wt1sbz58CJrV7rUB6k6Rg0fhvX9B4jsAAs/\n"
    "smhQbBx2L0T6sknlcNY7YUFcKGwJKWmB0pYNVFPc/W6X+XjMMx9BjDxSVGHys/kP\n"
    "6yhp5ZO/i/eTA3uJFY3JPwbZ3v3DelbndNpys9wvmuhqIcq8n7vZU++JLVlEqY0e\n"
    "c4TAmISa8i7NkRunL1KonA0Dey/J+84nAQf1ABEBAAG0HVJzYXNpZ24gPHJzYXNp\n"
    "Z25AZW5jLmV4YW1wbGU+iQFOBBMBCgA4FiEEVhVGZb2pROnk+BFbqEH7pPF7+2UF\n"
    "AmoYpQACGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AACgkQqEH7pPF7+2UCLwf/\n"
    "Y8jKq8tLwDRylxGRO5dRlW1Uq9zbCnqzlLuAOB/XN3VhbFsT22fDe66/NZCTz38C\n"
    "sOv5Px3OXRi0Oq4+arb8V6YiFftEKC5aoXvRI4Q4xwxKJAcH6jlDVdsRummy3CGh\n"
    "AP1SmujWYKr0VGGIv/z4j7ear596bQm33MTDj+TpydiA6gV5MRNpcOFjNPhVIYgs\n"
    "K4zWQOKORrHsux6nUkWAXTZiWEjORXL9asP4UQorfqDNKMw96Q07kLX4Tf5nklMg\n"
    "sr6FkiqnAAyFB9bshm3VxCkdZKzrmqo4pSsft289Uloy9y+34FBSaQHI+bBvfCud\n"
    "TzdrAwb2fKt5SnfEpxoeJg==\n"
    "=FuM4\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

static const char fix_v4aead[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "xiYEahilABvQrXmXwz9sUCBUsaMB87LpDB0O30nnWOOn4dWv2xBFXc0XQWVh\n"
    "ZCA8YWVhZEBlbmMuZXhhbXBsZT7CwB0EExsKAJMFgmoYpQADCwkHCRCHkSrp\n"
    "KdwqqUUUAAAAAAAcACBzYWx0QG5vdGF0aW9ucy5vcGVucGdwanMub3JnY67l\n"
    "amD7AFVAca4bYiWyuebKJNk+dj/6WTUTRISFDoQFFQoIDgwEFgACAQIZAQKb\n"
    "AwIeCRYhBJLfI5inUvpxonDKAoeRKukp3CqpDScJAwcDCQEHAQkCBwIAAEJ7\n"
    "wL4Vd/GAOaPtNFg7hm68jxNC3Vnjb5ZDDyGMSza5OqtBfUs9dMpaLKN/8iUq\n"
    "iLit5HVJe5NIYyzm6ql2sPsvBM4mBGoYpQAZj8pU3y3PAASEHJ0MeVxTkeLQ\n"
    "UbIEXz8zBMnP2/IPDFrCugQYGwoAcAWCahilAAkQh5Eq6SncKqlFFAAAAAAA\n"
    "HAAgc2FsdEBub3RhdGlvbnMub3BlbnBncGpzLm9yZ17xNM8uWbEW3e32W4Vk\n"
    "ioiwXh/VDY2trLQd6Wksum57ApsMFiEEkt8jmKdS+nGicMoCh5Eq6SncKqkA\n"
    "APTfbpaeSHloAYLkob5dIZHZgFZY1uPIsUL9e3kh5ucHzCxS7YeyJTKy1sff\n"
    "pX/3evfiLSY7fIhPuSsBK4CHOnLTDQ==\n"
    "=TID2\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

#endif
