/* mm_identity: what PR_SET_MM_MAP restores: /proc/self/exe, cmdline, environ
 * and auxv read the same after restore, and brk still works from start_brk. */
#include "progs.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/auxv.h>

#define NAME "mm_identity"

/* Read a whole /proc/self file into buf; its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t n = 0;
	ssize_t r;
	while (fd >= 0 && n < cap && (r = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)r;
	if (fd >= 0)
		close(fd);
	return n;
}

int main(int argc, char **argv)
{
	static char cmd0[4096], env0[65536], aux0[4096], cmd1[4096], env1[65536], aux1[4096];
	char exe0[PATH_MAX] = "", exe1[PATH_MAX] = "";
	(void)argc;
	(void)argv;
	ssize_t l0 = readlink("/proc/self/exe", exe0, sizeof(exe0) - 1);
	size_t c0 = slurp("/proc/self/cmdline", cmd0, sizeof(cmd0));
	size_t e0 = slurp("/proc/self/environ", env0, sizeof(env0));
	size_t a0 = slurp("/proc/self/auxv", aux0, sizeof(aux0));
	unsigned long phdr = getauxval(AT_PHDR), entry = getauxval(AT_ENTRY);
	if (l0 <= 0 || c0 == 0 || a0 == 0)
		progs_fail(NAME, "cannot read /proc/self before the checkpoint");
	progs_wait(NAME);
	ssize_t l1 = readlink("/proc/self/exe", exe1, sizeof(exe1) - 1);
	size_t c1 = slurp("/proc/self/cmdline", cmd1, sizeof(cmd1));
	size_t e1 = slurp("/proc/self/environ", env1, sizeof(env1));
	size_t a1 = slurp("/proc/self/auxv", aux1, sizeof(aux1));
	if (l1 != l0 || memcmp(exe0, exe1, (size_t)l0))
		progs_fail(NAME, "/proc/self/exe is '%.*s', was '%.*s'", (int)l1, exe1, (int)l0,
			   exe0);
	if (c1 != c0 || memcmp(cmd0, cmd1, c0))
		progs_fail(NAME, "/proc/self/cmdline changed (%zu bytes, was %zu)", c1, c0);
	if (e1 != e0 || memcmp(env0, env1, e0))
		progs_fail(NAME, "/proc/self/environ changed (%zu bytes, was %zu)", e1, e0);
	if (a1 != a0 || memcmp(aux0, aux1, a0))
		progs_fail(NAME, "/proc/self/auxv changed (%zu bytes, was %zu)", a1, a0);
	if (getauxval(AT_PHDR) != phdr || getauxval(AT_ENTRY) != entry)
		progs_fail(NAME, "getauxval(AT_PHDR/AT_ENTRY) changed");
	char *p = sbrk(1 << 20);
	if (p == (void *)-1)
		progs_fail(NAME, "sbrk after restore failed");
	memset(p, 7, 1 << 20);
	progs_pass(NAME);
}
