/* ioctl.c: the ioctl requests a migrated process forwards home, with the
 * size and direction of their argument, in x86-64 numbers (asm-generic
 * ioctl encoding and x86's terminal numbers). A request not here sends the
 * process home. */
#include "arch/arch.h"

#include <stddef.h>
#include <string.h>

// clang-format off
static const struct arch_ioctl ioctls[] = {
	{ 0x5401, "TCGETS", ARCH_IO_OUT, 36 },
	{ 0x5402, "TCSETS", ARCH_IO_IN, 36 },
	{ 0x5403, "TCSETSW", ARCH_IO_IN, 36 },
	{ 0x5404, "TCSETSF", ARCH_IO_IN, 36 },
	{ 0x5409, "TCSBRK", ARCH_IO_VAL, 0 },
	{ 0x540a, "TCXONC", ARCH_IO_VAL, 0 },
	{ 0x540b, "TCFLSH", ARCH_IO_VAL, 0 },
	{ 0x540e, "TIOCSCTTY", ARCH_IO_VAL, 0 },
	{ 0x540f, "TIOCGPGRP", ARCH_IO_OUT, 4 },
	{ 0x5410, "TIOCSPGRP", ARCH_IO_IN, 4 },
	{ 0x5411, "TIOCOUTQ", ARCH_IO_OUT, 4 },
	{ 0x5413, "TIOCGWINSZ", ARCH_IO_OUT, 8 },
	{ 0x5414, "TIOCSWINSZ", ARCH_IO_IN, 8 },
	{ 0x5415, "TIOCMGET", ARCH_IO_OUT, 4 },
	{ 0x541b, "FIONREAD", ARCH_IO_OUT, 4 },
	{ 0x5421, "FIONBIO", ARCH_IO_IN, 4 },
	{ 0x5422, "TIOCNOTTY", ARCH_IO_VAL, 0 },
	{ 0x5424, "TIOCGETD", ARCH_IO_OUT, 4 },
	{ 0x5429, "TIOCGSID", ARCH_IO_OUT, 4 },
	{ 0x802c542a, "TCGETS2", ARCH_IO_OUT, 44 },
	{ 0x402c542b, "TCSETS2", ARCH_IO_IN, 44 },
	{ 0x402c542c, "TCSETSW2", ARCH_IO_IN, 44 },
	{ 0x402c542d, "TCSETSF2", ARCH_IO_IN, 44 },
	{ 0x80045430, "TIOCGPTN", ARCH_IO_OUT, 4 },
	{ 0x40045431, "TIOCSPTLCK", ARCH_IO_IN, 4 },
	{ 0x5441, "TIOCGPTPEER", ARCH_IO_VAL, 0 },
	{ 0x5450, "FIONCLEX", ARCH_IO_VAL, 0 },
	{ 0x5451, "FIOCLEX", ARCH_IO_VAL, 0 },
	{ 0x5452, "FIOASYNC", ARCH_IO_IN, 4 },
	{ 0x0002, "FIGETBSZ", ARCH_IO_OUT, 4 },
	{ 0x80086601, "FS_IOC_GETFLAGS", ARCH_IO_OUT, 4 }, /* the kernel copies an int */
	{ 0x40086602, "FS_IOC_SETFLAGS", ARCH_IO_IN, 4 },
	{ 0x80087601, "FS_IOC_GETVERSION", ARCH_IO_OUT, 4 },
	{ 0x801c581f, "FS_IOC_FSGETXATTR", ARCH_IO_OUT, 28 },
	{ 0x40049409, "FICLONE", ARCH_IO_VAL, 0 },
	{ 0x4020940d, "FICLONERANGE", ARCH_IO_IN, 32 },
	{ 0x80081272, "BLKGETSIZE64", ARCH_IO_OUT, 8 },
	{ 0x1268, "BLKSSZGET", ARCH_IO_OUT, 4 },
	{ 0x8910, "SIOCGIFNAME", ARCH_IO_INOUT, 40 },
	{ 0x8913, "SIOCGIFFLAGS", ARCH_IO_INOUT, 40 },
	{ 0x8915, "SIOCGIFADDR", ARCH_IO_INOUT, 40 },
	{ 0x8921, "SIOCGIFMTU", ARCH_IO_INOUT, 40 },
	{ 0x8927, "SIOCGIFHWADDR", ARCH_IO_INOUT, 40 },
	{ 0x8933, "SIOCGIFINDEX", ARCH_IO_INOUT, 40 },
};
// clang-format on

/* Look a request up (the kernel takes the command as 32 bits). */
const struct arch_ioctl *arch_ioctl_find(unsigned long req)
{
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (ioctls[i].req == (req & 0xffffffffu))
			return &ioctls[i];
	return NULL;
}

/* A request's number by name. */
long arch_ioctl_number(const char *name)
{
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (!strcmp(ioctls[i].name, name))
			return (long)ioctls[i].req;
	return -1;
}
