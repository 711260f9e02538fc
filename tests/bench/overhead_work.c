/* overhead_work: workloads for measuring what running under mosrun costs at
 * home. Usage: overhead_work cpu|sys|fork N
 *   cpu N   N million iterations of integer and floating-point arithmetic
 *   sys N   N thousand getppid() system calls
 *   fork N  N fork+exit+wait cycles */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Arithmetic that the compiler cannot fold away. */
static double work_cpu(long n)
{
	volatile double x = 1.0;
	unsigned long h = 1469598103934665603ul;
	for (long i = 0; i < n * 1000000; i++) {
		h = (h ^ (unsigned long)i) * 1099511628211ul;
		if ((i & 1023) == 0)
			x = sqrt(x + (double)(h & 0xffff));
	}
	return x + (double)(h & 1);
}

/* Real system calls (not cached by libc). */
static long work_sys(long n)
{
	long s = 0;
	for (long i = 0; i < n * 1000; i++)
		s += syscall(SYS_getppid);
	return s;
}

/* Process creation, which mosrun does see (fork events). */
static long work_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		waitpid(p, NULL, 0);
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: overhead_work cpu|sys|fork N\n");
		return 2;
	}
	long n = atol(argv[2]);
	double r = !strcmp(argv[1], "cpu")   ? work_cpu(n)
		   : !strcmp(argv[1], "sys") ? (double)work_sys(n)
					     : (double)work_fork(n);
	return r < 0;
}
