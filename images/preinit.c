/* preinit.c: /init of the guest's tiny initramfs. The Debian kernel builds
 * virtio, ext4 and qemu_fw_cfg as modules, so something must load them before
 * the root file system can be mounted. This is that something: no shell, no
 * libc beyond a static glibc, a few hundred microseconds of work.
 *
 * It loads /lib/modules/<file> for every line of /modules.list (in order,
 * dependencies first), mounts /dev/vda (ext4) on /root, moves /dev along, and
 * switches root to it: exec of /sbin/init (or rdinit's argv). Errors go to the
 * console and drop into a wait loop so that the log shows why. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROOT_DEV "/dev/vda"
#define NEW_ROOT "/root"

/* Print a fatal message and stop forever (the kernel panics if init exits). */
static void die(const char *what)
{
	fprintf(stderr, "mosix-preinit: %s: %s\n", what, strerror(errno));
	for (;;)
		pause();
}

/* Load one module file; an already-present module is fine. */
static int load_module(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "/lib/modules/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = (int)syscall(SYS_finit_module, fd, "", 0);
	int e = errno;
	close(fd);
	if (r < 0 && e != EEXIST)
		return -e;
	return 0;
}

/* Load every module named in /modules.list. */
static void load_modules(void)
{
	FILE *f = fopen("/modules.list", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		int r = load_module(line);
		/* ENODEV: a CPU-specific variant (crc32c-intel on qemu64). */
		if (r < 0 && r != -ENODEV)
			fprintf(stderr, "mosix-preinit: load %s: %s\n", line, strerror(-r));
	}
	fclose(f);
}

/* Wait up to ~5 s for the root block device (virtio probing is asynchronous). */
static void wait_root(void)
{
	struct stat st;
	for (int i = 0; i < 500; i++) {
		if (stat(ROOT_DEV, &st) == 0)
			return;
		usleep(10000);
	}
	errno = ENODEV;
	die("waiting for " ROOT_DEV);
}

int main(int argc, char **argv)
{
	(void)argc;
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, "mode=0755") < 0 && errno != EBUSY)
		die("mount /dev");
	/* The console is opened by the kernel only if /dev/console existed. */
	int c = open("/dev/console", O_RDWR);
	if (c >= 0) {
		dup2(c, 0);
		dup2(c, 1);
		dup2(c, 2);
		if (c > 2)
			close(c);
	}
	load_modules();
	wait_root();
	mkdir(NEW_ROOT, 0755);
	if (mount(ROOT_DEV, NEW_ROOT, "ext4", 0, "") < 0)
		die("mount " ROOT_DEV);
	/* mount points the real init's fstab needs in /dev (it has no mkdir to spare) */
	mkdir("/dev/pts", 0755);
	mkdir("/dev/shm", 01777);
	if (mount("/dev", NEW_ROOT "/dev", NULL, MS_MOVE, NULL) < 0)
		die("move /dev");
	/* switch_root: the initramfs is a rootfs that cannot be unmounted, so
	 * move the new root over "/" and chroot into it. Its few MB stay in
	 * memory; deleting them would save little and cost boot time. */
	if (chdir(NEW_ROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		die("switch root");
	argv[0] = "/sbin/init";
	execv("/sbin/init", argv);
	die("exec /sbin/init");
	return 1;
}
