/*
 * bench/vcost.c - what one signature verification costs libgcrypt, by
 * the kinds `keymail import -s` counts (pgp.h enum pgp_vkind), for the
 * crypto floor of bench/run.sh (count x cost per kind / cores).
 *
 *   vcost [-t SECONDS]
 *
 * prints one line per kind: "KIND MICROSECONDS", the median of 5 rounds
 * of CPU time (this thread's) per gcry_pk_verify call, each round about
 * SECONDS / 5 (default 1 s in all per kind).
 *
 * RSA: a public key of the kind's size (RSA>4096: 8192 bits) with
 * e = 65537 and an odd modulus, a signature value below it, PKCS#1 v1.5
 * data: libgcrypt computes s^e mod n and compares, whatever n's factors,
 * so this costs what verifying any RSA signature of that size costs
 * (the verification fails, which is not looked at). DSA (1024 bits, the
 * size of the DSA keys in debian-keyring), ECDSA (NIST P-256) and EdDSA
 * (Ed25519): keys generated here, a real signature verified.
 * Uses libgcrypt directly (the one-adapter rule is for src/).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>

#define ROUNDS	5

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
die(const char *what, gcry_error_t e)
{
	fprintf(stderr, "vcost: %s: %s\n", what, gcry_strerror(e));
	exit(1);
}

/* Median over ROUNDS of the CPU seconds per verification. */
static double
cost(gcry_sexp_t sig, gcry_sexp_t data, gcry_sexp_t key, double seconds)
{
	double r[ROUNDS], t0, t;
	long n;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		n = 0;
		t0 = cpu_now();
		do {
			(void)gcry_pk_verify(sig, data, key);
			n++;
		} while ((t = cpu_now()) - t0 < seconds / ROUNDS);
		r[i] = (t - t0) / (double)n;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp_double);
	return r[ROUNDS / 2];
}

static void
rsa(const char *name, unsigned bits, double seconds)
{
	unsigned char *nb = malloc(bits / 8), *sb = malloc(bits / 8);
	unsigned char hash[32];
	gcry_mpi_t n, s;
	gcry_sexp_t key, sig, data;
	gcry_error_t e;

	gcry_randomize(nb, bits / 8, GCRY_WEAK_RANDOM);
	nb[0] |= 0x80;
	nb[bits / 8 - 1] |= 1;
	memcpy(sb, nb, bits / 8);
	sb[0] &= 0x7f;			/* below n */
	gcry_randomize(hash, sizeof(hash), GCRY_WEAK_RANDOM);
	if ((e = gcry_mpi_scan(&n, GCRYMPI_FMT_USG, nb, bits / 8, NULL)) != 0 ||
	    (e = gcry_mpi_scan(&s, GCRYMPI_FMT_USG, sb, bits / 8, NULL)) != 0)
		die("mpi", e);
	if ((e = gcry_sexp_build(&key, NULL, "(public-key(rsa(n %m)(e #010001#)))",
	    n)) != 0 ||
	    (e = gcry_sexp_build(&sig, NULL, "(sig-val(rsa(s %m)))", s)) != 0 ||
	    (e = gcry_sexp_build(&data, NULL, "(data(flags pkcs1)(hash sha256 %b))",
	    (int)sizeof(hash), hash)) != 0)
		die("sexp", e);
	printf("%s %.1f\n", name, cost(sig, data, key, seconds) * 1e6);
	gcry_sexp_release(key);
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
	gcry_mpi_release(n);
	gcry_mpi_release(s);
	free(nb);
	free(sb);
}

/* Generate a key with spec, sign a hash (data made with fmt), verify. */
static void
signed_kind(const char *name, const char *spec, const char *fmt,
    int hlen, double seconds)
{
	gcry_sexp_t parms, kp, pub, sec, sig, data;
	unsigned char hash[32];
	gcry_error_t e;

	gcry_randomize(hash, sizeof(hash), GCRY_WEAK_RANDOM);
	if ((e = gcry_sexp_new(&parms, spec, 0, 1)) != 0 ||
	    (e = gcry_pk_genkey(&kp, parms)) != 0)
		die(name, e);
	pub = gcry_sexp_find_token(kp, "public-key", 0);
	sec = gcry_sexp_find_token(kp, "private-key", 0);
	if ((e = gcry_sexp_build(&data, NULL, fmt, hlen, hash)) != 0 ||
	    (e = gcry_pk_sign(&sig, data, sec)) != 0)
		die(name, e);
	if ((e = gcry_pk_verify(sig, data, pub)) != 0)
		die(name, e);
	printf("%s %.1f\n", name, cost(sig, data, pub, seconds) * 1e6);
	gcry_sexp_release(parms);
	gcry_sexp_release(kp);
	gcry_sexp_release(pub);
	gcry_sexp_release(sec);
	gcry_sexp_release(sig);
	gcry_sexp_release(data);
}

int
main(int argc, char **argv)
{
	double seconds = 1.0;
	int c;

	while ((c = getopt(argc, argv, "t:")) != -1) {
		if (c != 't' || (seconds = atof(optarg)) <= 0) {
			fprintf(stderr, "usage: vcost [-t SECONDS]\n");
			return 64;
		}
	}
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, "vcost: libgcrypt version mismatch\n");
		return 1;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	rsa("RSA-1024", 1024, seconds);
	rsa("RSA-2048", 2048, seconds);
	rsa("RSA-3072", 3072, seconds);
	rsa("RSA-4096", 4096, seconds);
	rsa("RSA>4096", 8192, seconds);
	signed_kind("DSA", "(genkey(dsa(nbits 4:1024)))",
	    "(data(flags raw)(value %b))", 20, seconds);
	signed_kind("ECDSA", "(genkey(ecc(curve nistp256)))",
	    "(data(flags raw)(value %b))", 32, seconds);
	signed_kind("EdDSA", "(genkey(ecc(curve Ed25519)(flags eddsa)))",
	    "(data(flags eddsa)(hash-algo sha512)(value %b))", 32, seconds);
	return 0;
}
