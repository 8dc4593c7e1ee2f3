/*
 * tests/unit/rfc9580_vectors.h - RFC 9580 Appendix A test data shared by
 * the unit tests (RFC text, indentation removed).
 */
#ifndef KM_TEST_RFC9580_VECTORS_H
#define KM_TEST_RFC9580_VECTORS_H

/* A.3 Sample Version 6 Certificate (RFC text, indentation removed). */
static const char rfc_a3[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "xioGY4d/4xsAAAAg+U2nu0jWCmHlZ3BqZYfQMxmZu52JGggkLq2EVD34laPCsQYf\n"
    "GwoAAABCBYJjh3/jAwsJBwUVCg4IDAIWAAKbAwIeCSIhBssYbE8GCaaX5NUt+mxy\n"
    "KwwfHifBilZwj2Ul7Ce62azJBScJAgcCAAAAAK0oIBA+LX0ifsDm185Ecds2v8lw\n"
    "gyU2kCcUmKfvBXbAf6rhRYWzuQOwEn7E/aLwIwRaLsdry0+VcallHhSu4RN6HWaE\n"
    "QsiPlR4zxP/TP7mhfVEe7XWPxtnMUMtf15OyA51YBM4qBmOHf+MZAAAAIIaTJINn\n"
    "+eUBXbki+PSAld2nhJh/LVmFsS+60WyvXkQ1wpsGGBsKAAAALAWCY4d/4wKbDCIh\n"
    "BssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce62azJAAAAAAQBIKbpGG2dWTX8\n"
    "j+VjFM21J0hqWlEg+bdiojWnKfA5AQpWUWtnNwDEM0g12vYxoWM8Y81W+bHBw805\n"
    "I8kWVkXU6vFOi+HWvv/ira7ofJu16NnoUkhclkUrk0mXubZvyl4GBg==\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";

/* A.6 Sample Cleartext Signed Message, signed by the A.3 key. */
static const char rfc_a6_clearsigned[] =
    "-----BEGIN PGP SIGNED MESSAGE-----\n"
    "\n"
    "What we need from the grocery store:\n"
    "\n"
    "- - tofu\n"
    "- - vegetables\n"
    "- - noodles\n"
    "\n"
    "-----BEGIN PGP SIGNATURE-----\n"
    "\n"
    "wpgGARsKAAAAKQWCY5ijYyIhBssYbE8GCaaX5NUt+mxyKwwfHifBilZwj2Ul7Ce6\n"
    "2azJAAAAAGk2IHZJX1AhiJD39eLuPBgiUU9wUA9VHYblySHkBONKU/usJ9BvuAqo\n"
    "/FvLFuGWMbKAdA+epq7V4HOtAPlBWmU8QOd6aud+aSunHQaaEJ+iTFjP2OMW0KBr\n"
    "NK2ay45cX1IVAQ==\n"
    "-----END PGP SIGNATURE-----\n";

#endif
