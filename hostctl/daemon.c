/* daemon.c: bring up libvirt ourselves. Without systemd nothing socket-activates
 * virtlogd, and libvirtd does not spawn it, so both are started here. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_PREFIX "hostctl"
#include "appliance/log.h"
#include "appliance/util.h"
#include "appliance/xmem.h"
#include "proc.h"

#define VIRTLOGD_SOCK "/run/libvirt/virtlogd-sock"

/* Settings this host needs (PLATFORM.md): no cgroup moves (no systemd/machined),
 * no security driver (no AppArmor/SELinux), and shared base images must never
 * be chowned by libvirt. */
static const char qemu_conf[] = "# Written by hostctl (mosix appliance) because none existed.\n"
				"cgroup_controllers = [ ]\n"
				"security_driver = \"none\"\n"
				"user = \"root\"\n"
				"group = \"root\"\n"
				"dynamic_ownership = 0\n";

/* Can we connect to a unix socket at path? */
static int daemon_sock_alive(const char *path)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
}

/* Is libvirtd up? */
int daemon_running(void)
{
	return daemon_sock_alive(DAEMON_SOCK);
}

/* Write a file only if it does not exist yet. */
static int daemon_write_new(const char *path, const char *text, struct err *e)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? 0 : err_set(e, -errno, "create %s", path);
	int r = util_write_full(fd, text, strlen(text));
	return r < 0 ? err_set(e, r, "write %s", path) : 1;
}

/* Debian's libvirtd refuses to start its QEMU driver unless the compiled-in
 * user libvirt-qemu exists (libvirt-daemon-system's postinst creates it; that
 * package also pulls systemd and a NAT "default" network, so we do not use it). */
static int daemon_ensure_user(struct err *e)
{
	if (getpwnam("libvirt-qemu"))
		return 0;
	char *ga[] = {"groupadd", "--system", "libvirt-qemu", NULL};
	char *ua[] = {
	    "useradd",	  "--system",	      "--gid",	 "libvirt-qemu",      "--no-create-home",
	    "--home-dir", "/var/lib/libvirt", "--shell", "/usr/sbin/nologin", "libvirt-qemu",
	    NULL};
	int r = getgrnam("libvirt-qemu") ? 0 : proc_run(ga, NULL, e);
	if (r == 0)
		r = proc_run(ua, NULL, e);
	if (r == 0)
		log_info("created system user libvirt-qemu (needed by Debian's libvirtd)");
	return r;
}

/* Our libvirtd.conf with a persistent, valid, non-trivial host_uuid. */
static char *daemon_conf(const char *state_dir, struct err *e)
{
	_cleanup_free_ char *uuid_path = xasprintf("%s/host-uuid", state_dir);
	_cleanup_free_ char *uuid = NULL;
	if (util_read_file(uuid_path, &uuid) < 0 || strlen(uuid) < 36) {
		free(uuid);
		uuid = NULL;
		if (util_read_file("/proc/sys/kernel/random/uuid", &uuid) < 0) {
			err_setx(e, -EIO, "cannot read a random uuid");
			return NULL;
		}
		_cleanup_close_ int fd =
		    open(uuid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || util_write_full(fd, uuid, 36) < 0) {
			err_set(e, -errno, "write %s", uuid_path);
			return NULL;
		}
	}
	uuid[36] = '\0';
	char *conf = xasprintf("%s/libvirtd.conf", state_dir);
	_cleanup_free_ char *text = xasprintf("# Written by hostctl.\nhost_uuid = \"%s\"\n", uuid);
	_cleanup_close_ int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || util_write_full(fd, text, strlen(text)) < 0) {
		err_set(e, -errno, "write %s", conf);
		free(conf);
		return NULL;
	}
	return conf;
}

/* Wait for a socket to accept connections. */
static int daemon_wait_sock(const char *path, double secs)
{
	double t0 = util_now();
	while (util_now() - t0 < secs) {
		if (daemon_sock_alive(path))
			return 0;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

/* Start virtlogd and libvirtd. */
int daemon_start(const char *state_dir, struct err *e)
{
	if (!proc_have("libvirtd") || !proc_have("virtlogd"))
		return err_setx(e, -ENOENT,
				"libvirtd/virtlogd not installed "
				"(apt-get install libvirt-daemon libvirt-daemon-driver-qemu)");
	mkdir("/etc/libvirt", 0755);
	mkdir("/var/log/libvirt", 0755);
	mkdir("/run/libvirt", 0755);
	int r = daemon_write_new(DAEMON_QEMU_CONF, qemu_conf, e);
	if (r < 0)
		return r;
	if (r > 0)
		log_info("wrote %s", DAEMON_QEMU_CONF);
	if ((r = daemon_ensure_user(e)) < 0)
		return r;
	_cleanup_free_ char *dir = xasprintf("%s/libvirtd", state_dir);
	mkdir(state_dir, 0755);
	mkdir(dir, 0755);
	_cleanup_free_ char *conf = daemon_conf(dir, e);
	if (!conf)
		return e ? e->code : -EIO;
	if (!daemon_sock_alive(VIRTLOGD_SOCK)) {
		char *la[] = {"virtlogd", "-d", NULL};
		if ((r = proc_run(la, NULL, e)) < 0)
			return err_prefix(e, "start virtlogd: ");
	}
	char *da[] = {"libvirtd", "-d", "-f", conf, NULL};
	if ((r = proc_run(da, NULL, e)) < 0)
		return err_prefix(e, "start libvirtd: ");
	if (daemon_wait_sock(DAEMON_SOCK, 15) < 0)
		return err_setx(e, -ETIMEDOUT,
				"libvirtd started but %s does not answer "
				"(see /var/log/libvirt/libvirtd.log)",
				DAEMON_SOCK);
	log_info("started virtlogd and libvirtd");
	return 0;
}
