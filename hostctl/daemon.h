/* daemon.h: start virtlogd and libvirtd on hosts without systemd. */
#ifndef HOSTCTL_DAEMON_H
#define HOSTCTL_DAEMON_H

#include "appliance/err.h"

#define DAEMON_SOCK "/run/libvirt/libvirt-sock"
#define DAEMON_QEMU_CONF "/etc/libvirt/qemu.conf"

/* Is a libvirtd listening on the system socket? */
int daemon_running(void);
/* Prepare the configuration libvirtd needs here and start virtlogd and
 * libvirtd (both daemonize themselves). state_dir/libvirtd/ holds our libvirtd.conf
 * and the persistent host_uuid. Waits until the socket answers. 0 or -errno. */
int daemon_start(const char *state_dir, struct err *e);

#endif
