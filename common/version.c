#include "common/version.h"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#ifdef HALYARD_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "build-info.h"

/* Halyard reads the configuration language and speaks the runtime API of this
 * HAProxy branch: version_atleast()/version_before() and HAPROXY_BRANCH use it.
 */
#define COMPAT_BRANCH "2.6"
#define COMPAT_VERSION "2.6.0"

const char *halyard_version(void)
{
	return HALYARD_VERSION;
}

const char *halyard_date(void)
{
	return HALYARD_DATE;
}

const char *halyard_compat_version(void)
{
	return COMPAT_VERSION;
}

const char *halyard_compat_branch(void)
{
	return COMPAT_BRANCH;
}

/* Returns 1 when PCRE2 was built with JIT support. */
static int pcre2_has_jit(void)
{
	uint32_t jit = 0;
	pcre2_config(PCRE2_CONFIG_JIT, &jit);
	return jit != 0;
}

/* Features shown by -vv; '+' present, '-' absent. */
static const char *const features_on[] = {"EPOLL",  "LINUX_SPLICE", "OPENSSL", "PCRE2",
					  "ZLIB",   "THREAD",       "CRYPT_H", "GETADDRINFO",
					  "LIBURCU", "TPROXY",      "NETFILTER"};
static const char *const features_off[] = {"KQUEUE", "EVPORTS", "LUA", "QUIC", "PROMEX",
					   "SYSTEMD", "WURFL", "51DEGREES", "DEVICEATLAS"};

int halyard_has_feature(const char *name)
{
	if (strcmp(name, "PCRE2_JIT") == 0)
		return pcre2_has_jit();
	for (size_t i = 0; i < sizeof(features_on) / sizeof(*features_on); i++)
		if (strcmp(features_on[i], name) == 0)
			return 1;
	return 0;
}

int halyard_option_enabled(const char *opt)
{
	static const char *const on[] = {"EPOLL", "SPLICE", "GETADDRINFO", "REUSEPORT",
					 "FAST-FORWARD"};
	for (size_t i = 0; i < sizeof(on) / sizeof(*on); i++)
		if (strcmp(on[i], opt) == 0)
			return 1;
	return 0;
}

void print_version(void)
{
	printf("Halyard version %s %s\n", HALYARD_VERSION, HALYARD_DATE);
	printf("Configuration and runtime API compatible with HAProxy %s\n", COMPAT_BRANCH);
}

/* Prints the "Feature list" line. */
static void print_features(void)
{
	printf("Feature list :");
	for (size_t i = 0; i < sizeof(features_on) / sizeof(*features_on); i++)
		printf(" +%s", features_on[i]);
	printf(" %cPCRE2_JIT", pcre2_has_jit() ? '+' : '-');
	for (size_t i = 0; i < sizeof(features_off) / sizeof(*features_off); i++)
		printf(" -%s", features_off[i]);
	printf("\n");
}

/* Prints build and run-time versions of every library. */
static void print_libraries(void)
{
	char pcre_ver[64] = "";
	pcre2_config(PCRE2_CONFIG_VERSION, pcre_ver);

	printf("Built with OpenSSL version : %s\n", OPENSSL_VERSION_TEXT);
	printf("Running on OpenSSL version : %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("Built with PCRE2 version : %d.%d\n", PCRE2_MAJOR, PCRE2_MINOR);
	printf("Running on PCRE2 version : %s\n", pcre_ver);
	printf("PCRE2 library supports JIT : %s\n", pcre2_has_jit() ? "yes" : "no");
	printf("Built with zlib version : %s\n", ZLIB_VERSION);
	printf("Running on zlib version : %s\n", zlibVersion());
	printf("Built with liburcu version : %s (QSBR flavour)\n", HALYARD_URCU_VERSION);
#ifdef HALYARD_JEMALLOC
	const char *jver = "unknown";
	size_t sz = sizeof(jver);
	mallctl("version", &jver, &sz, NULL, 0);
	printf("Built with jemalloc version : %s\n", JEMALLOC_VERSION);
	printf("Running on jemalloc version : %s\n", jver);
#else
	printf("Built with jemalloc version : not linked (sanitizer build uses its own "
	       "allocator)\n");
#endif
	printf("Encrypted password support via crypt(3): yes\n");
}

void print_build_options(void)
{
	print_version();
	printf("\nBuild options :\n");
	printf("  TARGET  = linux-glibc\n");
	printf("  CC      = %s\n", HALYARD_CC);
	printf("  CFLAGS  = %s\n", HALYARD_CFLAGS);
	printf("  BUILD   = %s\n", HALYARD_BUILD_TYPE);
	printf("  SANITIZE = %s\n", *HALYARD_SANITIZE_OPT ? HALYARD_SANITIZE_OPT : "none");
	printf("\n");
	print_features();
	printf("\nDefault settings :\n");
	printf("  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200\n\n");
	print_libraries();
	printf("\nAvailable polling systems :\n");
	printf("      epoll : pref=300,  test result OK\n");
	printf("Total: 1 (1 usable), will use epoll.\n");
}
