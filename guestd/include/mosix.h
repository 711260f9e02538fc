/* mosix.h: what a program may call to talk to the mosrun that supervises it.
 *
 * mosix_checkpoint() asks mosrun for a checkpoint of the calling process, now.
 * It returns 0 once the checkpoint is written and the process carries on,
 * 1 when the process has just been recovered from that checkpoint
 * (mosrun -R), and -1 with errno set when no checkpoint was taken: ENOSYS when
 * the program does not run under mosrun, another code when mosrun refused
 * (it prints why on its standard error).
 *
 * Mechanism: a SIGURG queued to oneself with a magic value. mosrun sees every
 * signal before delivery (it is the ptrace supervisor), recognises the magic,
 * suppresses the signal and writes the checkpoint. Without mosrun the signal
 * is ignored (SIGURG's default action), so the call is harmless.
 */
#ifndef MOSIX_H
#define MOSIX_H

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MOSIX_CKPT_SIGNAL SIGURG
#define MOSIX_CKPT_MAGIC 0x4d4f5358 /* "MOSX" */
#define MOSIX_CKPT_ENV "MOSIX_CKPT"

/* Ask the supervising mosrun for a checkpoint of this process. */
static inline int mosix_checkpoint(void)
{
	if (!getenv(MOSIX_CKPT_ENV)) {
		errno = ENOSYS;
		return -1;
	}
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = MOSIX_CKPT_SIGNAL;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = MOSIX_CKPT_MAGIC;
	return (int)syscall(SYS_rt_sigqueueinfo, getpid(), MOSIX_CKPT_SIGNAL, &si);
}

#endif
