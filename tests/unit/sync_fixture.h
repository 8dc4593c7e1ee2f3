/*
 * tests/unit/sync_fixture.h - a public key for the sync tests, generated
 * with GnuPG 2.2 for this project (not from the shared corpus): RSA 2048
 * primary, one user ID, a photo ID (user attribute, tag 17, holding a
 * 22-byte JPEG stub) and an RSA encryption subkey.
 */
#ifndef KM_TEST_SYNC_FIXTURE_H
#define KM_TEST_SYNC_FIXTURE_H

static const char photo_asc[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mQENBGsCPDsBCAC39MsTQN4xCaolzLH6ThyrotkdyCqQ3Pc68sHsBR+J9qpaD5w8\n"
    "3SYH+DeG7k7YpLhV6ly0UUOHuLP1tJDIEbN7sQzb9kHiVjAEAeuKJeI/RKruvRtu\n"
    "3uCG+Zy8BxXUTPX3Ym11MgYGeAX4O9ceWNDQGRGtYIqf5VMNXtPoLXtek/5b1O3V\n"
    "RQcCocsNWyA76omnzyFxzsddqjCuHg9rtNgjPzwoqV+a3hFpn76YH4vV/4LPkuT5\n"
    "G69WfUTlWH4vN+yXutAq+y4y5c3lmslFXpdIrkCcxJHD2opjBEMZUWmqPMVJGY8c\n"
    "8TwUttY5H+y+hn0/i3ZdlKscvSroZZalmDu9ABEBAAG0JFBob3RvIFRlc3RlciA8\n"
    "cGhvdG9Aa2V5bWFpbC5leGFtcGxlPokBTgQTAQoAOBYhBFEOeizCfrUSPBa+JIIq\n"
    "SVw14Pc5BQJrAjw7AhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEIIqSVw1\n"
    "4Pc5U5gIAI+0+yZ/rZmiQirabK7r2jzj5XCA5yJwbz/9s2r+JEWBCJUO6t924fVJ\n"
    "hK5TxG/gcBr51dOFOHCh5oV6Nl8cdipomhfSSWkdpDuJ2DOV2Fd4q6C0if3VIved\n"
    "jADyHbU+A7Nfo5vUMLeuJLHwx2HuFyTHvPQczMW6iAbIUyMSjSmMhByqZFcnOCk4\n"
    "ibxXT3fK/cITN0uq3KNykVrVGa8vYSke3J11Mox48/gV73vbtnNx9U8Ntd+pYo7w\n"
    "pFvVEXKu6UCgUeqqJMPFVjs//PSGvQS30SWTslW78MR/XH1jByBTirvqC5oxDHi6\n"
    "quGm3BccQWDIecBlgZVxDlCRgXkHsbnRKCcBEAABAQAAAAAAAAAAAAAAAP/Y/+AA\n"
    "EEpGSUYAAQEAAAEAAQAA/9mJAU4EEwEKADgWIQRRDnoswn61EjwWviSCKklcNeD3\n"
    "OQUCawI8QwIbAwULCQgHAgYVCgkICwIEFgIDAQIeAQIXgAAKCRCCKklcNeD3Obx2\n"
    "CACqDaG6LND5Rn4zCCEc1CRYE8PnLygzre1B+OTtV1GW3govnaDZbTLk+KVJzPVS\n"
    "dCVRkrGk+JJ7IYYWAu58Fj2eDtNE6t7FabqqqF8Z8je5zDsAw9TCeoIBfLnFEm+o\n"
    "UK2TZJjDAjxW4pKAnMGJ7eb2KwgqRkX9q+oP6ajkr8VH6IE6YzqjugG0WbIobiTI\n"
    "lczXAyUArwuSHPw4AcEtVNhTTY4TfbEPWvBrqnbrol6qEc8rkbOaRwGFqYnYSFUX\n"
    "aRE18euwaeJbMJB8xEXhQ2pk4KDPKgrvR94Mrou66M8AQebyo/yGlUcSA+L78QLe\n"
    "zQAU0qMxQDlEb7YJhgE2OKBruQENBGsCPEQBCAC6M0rZPcKE02hJdWrGvj4vkxbA\n"
    "M6CpJcda+DbKLQddIqNohE+8Y0eBkaLSly8uXt3JyontGVqSlUJSmy6j2dWZoIO9\n"
    "sE9bx1Dn8a+RVtLqyMbyXSDYgDH4aKcaL7Kqw2HPjQtljy3F08qPzCoOjlQvBecy\n"
    "ulEzuF35PyDTNOL3SbRF/u178NPhBTGrIFAsRkL8Qjsei284yjXdCR0OPI4aJkAu\n"
    "qyqZqPVqhJOK8FJgUUKZPyw8ebgVQecUxwG21lIUv+O9Lb3wBa3x8qKh1+yLovZk\n"
    "l1VaxEmW8OYkyjUX9CWYTq9g34nVpug0oXkOfGWWZNONYf3MAwNaEDUcwm0pABEB\n"
    "AAGJATUEGAEKACAWIQRRDnoswn61EjwWviSCKklcNeD3OQUCawI8RAIbDAAKCRCC\n"
    "KklcNeD3OcduB/YmpKIKTy35vvR+610xO6lFlYTTEaOAX2yOGfQxFF6BRVWZ0ugk\n"
    "3cBvGcUFT4DNUt2+3H7AzS3yUxBTeRmQLiRsD/4Hitd/3FD4TU/V259DJIZ4VgW/\n"
    "9GBWD3ixCMI4bZT5XCam/p+Rtvty0OSWqzyaazKR6pKItcxDugVyGiL1BQ/bNhO/\n"
    "Uoyn2FeaBysmIF50RithKYdWfOwp4MGdIbLa71QcCco3r8hFFdZIb+5sfNC+X3yU\n"
    "Ti7vh1rXjcaZyfCkfL+UlJsg9FoF2SN2cRQ2oOnrlGK4/h9103Bq8clWvDRqRbPU\n"
    "Nh8uZvJ9gGZgot6knX3ZllIAM6O+FkTNw1k=\n"
    "=CXOu\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n"
    ;

#define PHOTO_FPR	"510E7A2CC27EB5123C16BE24822A495C35E0F739"
/* gpg --list-packets: public key, user ID, sig, attribute, sig, subkey, sig */
#define PHOTO_NPACKETS	7

#endif
