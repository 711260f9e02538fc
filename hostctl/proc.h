/* proc.h: run helper programs (qemu-img, ssh-keygen, libvirtd, useradd). */
#ifndef HOSTCTL_PROC_H
#define HOSTCTL_PROC_H

#include "appliance/err.h"

/* Run argv (argv[0] looked up in PATH), stdin from /dev/null. Its stdout is
 * returned in *out (may be NULL to discard). On a non-zero exit the error
 * carries the command and the last line of its stderr. 0 or -errno. */
int proc_run(char *const argv[], char **out, struct err *e);
/* Start argv with stdin and stdout on /dev/null; *errfd reads its stderr.
 * Returns the pid or -errno. Finish with proc_wait. */
int proc_start(char *const argv[], int *errfd, struct err *e);
/* Wait for a proc_start child; the error names argv0 and quotes its stderr. */
int proc_wait(int pid, int errfd, const char *argv0, struct err *e);
/* Is a program of this name in PATH (or an absolute path that is executable)? */
int proc_have(const char *prog);

#endif
