/*
 * tests/tools/km_encrypt.c - drive pgp_encrypt from the shell, for the
 * end-to-end tests (tests/e2e/510-encrypt-gpg.sh, 511-encrypt-openpgpjs.sh).
 * Built by `make check`, never installed.
 *
 *   km_encrypt [-b] [-t EPOCH] KEYFILE < plaintext > message
 *
 * KEYFILE holds one public key, armored (the first PUBLIC KEY BLOCK) or
 * binary. The message goes to stdout, armored unless -b. -t sets "now"
 * (default: the clock). stderr gets one line: the status, and on success
 * the recipients' fingerprints and algorithms, the cipher and the AEAD
 * algorithm. Exit: 0 ok, 2 no usable key, 3 bad key material, 4 not a
 * key, 1 anything else.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgp/encrypt.h"
#include "pgp/pgp.h"
#include "util/buf.h"

struct first {
	struct buf *out;
	int found;
};

static int
first_key(void *ctx, enum pgp_armor_kind kind, const uint8_t *data,
    size_t len, bool crc_ok, enum pgp_status st)
{
	struct first *f = ctx;

	(void)crc_ok;
	if (kind != PGP_ARMOR_PUBLIC_KEY || st != PGP_OK)
		return 0;
	(void)buf_append(f->out, data, len);
	f->found = 1;
	return 1;
}

int
main(int argc, char **argv)
{
	struct buf keyfile, key, text, out;
	struct pgp_enc_opts opts = { true, NULL };
	struct pgp_enc_result res;
	struct first f;
	enum pgp_enc_status st;
	time_t now = time(NULL);
	int c, fd;
	size_t i;
	char hex[65];

	while ((c = getopt(argc, argv, "bt:")) != -1) {
		if (c == 'b')
			opts.armor = false;
		else if (c == 't')
			now = (time_t)strtoll(optarg, NULL, 10);
		else
			return 1;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: km_encrypt [-b] [-t EPOCH] KEYFILE\n");
		return 1;
	}
	buf_init(&keyfile, 0);
	buf_init(&key, 0);
	buf_init(&text, 0);
	buf_init(&out, 0);
	if ((fd = open(argv[optind], O_RDONLY)) == -1 ||
	    buf_read_fd(&keyfile, fd) != 0 || buf_read_fd(&text, 0) != 0) {
		perror(argv[optind]);
		return 1;
	}
	close(fd);
	f.out = &key;
	f.found = 0;
	(void)pgp_armor_scan((const char *)keyfile.data, keyfile.len, 0,
	    first_key, &f);
	if (!f.found)
		(void)buf_append(&key, keyfile.data, keyfile.len);
	st = pgp_encrypt(key.data, key.len, now, text.data, text.len, &opts,
	    &out, &res);
	fprintf(stderr, "%s", st == PGP_ENC_OK ? "OK" :
	    st == PGP_ENC_NO_USABLE_KEY ? "NO_USABLE_KEY" :
	    st == PGP_ENC_BAD_KEY_MATERIAL ? "BAD_KEY_MATERIAL" :
	    st == PGP_ENC_BAD_KEY ? "BAD_KEY" : pgp_enc_strerror(st));
	if (st == PGP_ENC_OK) {
		for (i = 0; i < res.nrecipients; i++) {
			pgp_hex(res.recipient[i].fpr, res.recipient[i].fprlen,
			    hex);
			fprintf(stderr, " %s/%u", hex, res.recipient[i].algo);
		}
		fprintf(stderr, " cipher %u aead %u", res.cipher, res.aead);
		if (fwrite(out.data, 1, out.len, stdout) != out.len)
			return 1;
	}
	fprintf(stderr, "\n");
	free(keyfile.data);
	free(key.data);
	free(text.data);
	free(out.data);
	switch (st) {
	case PGP_ENC_OK: return 0;
	case PGP_ENC_NO_USABLE_KEY: return 2;
	case PGP_ENC_BAD_KEY_MATERIAL: return 3;
	case PGP_ENC_BAD_KEY: return 4;
	default: return 1;
	}
}
