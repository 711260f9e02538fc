#!/bin/sh
# /sbin/init of a mosix appliance node. Brings the node up fast (no systemd):
# file systems, per-node config from QEMU fw_cfg (written by hostctl), static
# network, sshd, guestd; then stays PID 1 and reaps orphans.
#
# Under TCG every exec of a dynamically linked program costs 0.15-0.3 s, so
# this script runs only four programs (mount, ip, sshd, guestd) and does the
# rest with dash builtins: `read` instead of cat, redirections instead of
# chmod, /proc/sys instead of hostname.
#
# fw_cfg entries (all under opt/mosix/, see hostctl/hostctl.1):
#   node  hostname  ip (ADDR/PREFIX)
#   cluster_conf  cluster_key  (-> /etc/mosix, the format of appliance/cluster.h)
#   authorized_keys  ssh_host_key (this node's ed25519 host key)
#   ssh_node_key (key the nodes use to reach each other)  known_hosts
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
FW=/sys/firmware/qemu_fw_cfg/by_name/opt/mosix

say() { echo "mosix-init: $*"; }
uptime_s() { read -r UP _ </proc/uptime; }

# get NAME VAR: first line of fw_cfg entry NAME into VAR (empty if absent).
get() {
	eval "$2="
	[ -r "$FW/$1/raw" ] && IFS= read -r "$2" <"$FW/$1/raw"
	return 0
}

# copy NAME FILE: fw_cfg entry NAME to FILE (created with the current umask).
copy() {
	: >"$2"
	[ -r "$FW/$1/raw" ] || return 0
	while IFS= read -r l || [ -n "$l" ]; do
		printf '%s\n' "$l"
	done <"$FW/$1/raw" >"$2"
}

mount_fs() {
	# one exec for all of them (/etc/fstab from the image); /dev is there already
	mount -a -O no_netdev 2>/dev/null
	umask 022
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
}

setup_identity() {
	get node NODE
	get hostname NAME
	[ -n "$NAME" ] || NAME=mosix-node
	echo "$NAME" >/proc/sys/kernel/hostname
	echo "$NAME" >/etc/hostname
	echo "${NODE:-0}" >/etc/mosix/node
	copy cluster_conf /etc/mosix/cluster.conf
	(umask 077 && copy cluster_key /etc/mosix/cluster.key)
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost ip6-localhost ip6-loopback"
		# "node N ADDRESS" lines: node N is host nN
		while read -r kw n a _; do
			[ "$kw" = node ] && echo "$a n$n"
		done </etc/mosix/cluster.conf
	} >/etc/hosts
}

setup_network() {
	get ip IP
	if [ -z "$IP" ]; then
		say "no opt/mosix/ip: only loopback"
		ip link set lo up
		return 0
	fi
	printf 'link set lo up\naddr add %s dev eth0\nlink set eth0 up\n' "$IP" |
		ip -batch - && say "eth0 $IP"
}

setup_ssh() {
	(
		umask 077
		copy authorized_keys /root/.ssh/authorized_keys
		# node to node: one key for the cluster, every host key pinned
		copy ssh_node_key /root/.ssh/id_ed25519
		copy ssh_host_key /etc/ssh/ssh_host_ed25519_key
	)
	[ -s /root/.ssh/id_ed25519 ] || rm -f /root/.ssh/id_ed25519
	copy known_hosts /etc/ssh/ssh_known_hosts
	K=/etc/ssh/ssh_host_ed25519_key
	[ -s $K ] || ssh-keygen -q -t ed25519 -N '' -f $K
	/usr/sbin/sshd -o HostKey=$K && say "sshd up"
}

start_guestd() {
	[ -x /usr/local/sbin/guestd ] || return 0
	# guestd reads /etc/mosix (cluster.conf, cluster.key, node) and daemonizes
	/usr/local/sbin/guestd && say "guestd up"
}

# A root shell on the serial console for `hostctl console` (host root only).
console_shell() {
	while :; do
		setsid -c /bin/sh -l </dev/ttyS0 >/dev/ttyS0 2>&1
		sleep 1
	done &
}

mount_fs
uptime_s
say "start $UP"
[ -d /sys/firmware/qemu_fw_cfg ] || say "no qemu_fw_cfg: node config unavailable"
setup_identity
setup_network
setup_ssh
start_guestd
uptime_s
say "MOSIX-NODE-READY node=${NODE:-?} uptime=$UP"
console_shell
# PID 1 inherits every orphan. dash's wait reaps any child while it waits.
trap '' TERM INT HUP
while :; do
	sleep 3600 &
	wait $!
done
