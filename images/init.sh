#!/bin/sh
# /sbin/init of a mosix appliance node. Brings the node up fast (no systemd):
# file systems, per-node config from QEMU fw_cfg (written by hostctl), static
# network, sshd, guestd; then stays PID 1 and reaps orphans.
#
# fw_cfg entries (all under opt/mosix/, see hostctl/hostctl.1):
#   node  hostname  ip (ADDR/PREFIX)  cluster_map  cluster_key
#   authorized_keys  ssh_host_key (this node's ed25519 host key)
#   ssh_node_key (key the nodes use to reach each other)  known_hosts
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
umask 022
FW=/sys/firmware/qemu_fw_cfg/by_name/opt/mosix

say() { echo "mosix-init: $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }
# cfg NAME: print fw_cfg entry NAME (empty if absent).
cfg() { cat "$FW/$1/raw" 2>/dev/null; }

mount_fs() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	mount -t tmpfs -o mode=755 tmpfs /run
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -o remount,rw /
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
}

# The preinit loaded the modules; load any still missing (needs kmod).
load_modules() {
	[ -d /sys/firmware/qemu_fw_cfg ] && return 0
	command -v modprobe >/dev/null && modprobe -q qemu_fw_cfg
	[ -d /sys/firmware/qemu_fw_cfg ] || say "no qemu_fw_cfg: node config unavailable"
}

setup_identity() {
	NODE=$(cfg node)
	NAME=$(cfg hostname)
	[ -n "$NAME" ] || NAME=mosix-node
	hostname "$NAME"
	echo "$NAME" >/etc/hostname
	mkdir -p /etc/mosix
	chmod 700 /etc/mosix
	echo "${NODE:-0}" >/etc/mosix/node
	cfg cluster_map >/etc/mosix/cluster.map
	(umask 077 && cfg cluster_key >/etc/mosix/cluster.key)
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost ip6-localhost ip6-loopback"
		awk '!/^#/ && NF >= 3 { print $2, $3 }' /etc/mosix/cluster.map
	} >/etc/hosts
}

setup_network() {
	ip link set lo up
	IP=$(cfg ip)
	if [ -z "$IP" ]; then
		say "no opt/mosix/ip: network left down"
		return 0
	fi
	ip addr add "$IP" dev eth0 && ip link set eth0 up && say "eth0 $IP"
}

setup_ssh() {
	mkdir -p /root/.ssh /run/sshd
	chmod 700 /root/.ssh
	cfg authorized_keys >/root/.ssh/authorized_keys
	chmod 600 /root/.ssh/authorized_keys
	# node to node: one key for the cluster, every host key pinned
	(umask 077 && cfg ssh_node_key >/root/.ssh/id_ed25519)
	[ -s /root/.ssh/id_ed25519 ] || rm -f /root/.ssh/id_ed25519
	cfg known_hosts >/etc/ssh/ssh_known_hosts
	K=/etc/ssh/ssh_host_ed25519_key
	if [ -n "$(cfg ssh_host_key)" ]; then
		(umask 077 && cfg ssh_host_key >$K)
		ssh-keygen -y -f $K >$K.pub
	elif [ ! -s $K ]; then
		ssh-keygen -q -t ed25519 -N '' -f $K
	fi
	/usr/sbin/sshd -o HostKey=$K && say "sshd up"
}

start_guestd() {
	[ -x /usr/local/sbin/guestd ] || return 0
	/usr/local/sbin/guestd -d && say "guestd up"
}

# A root shell on the serial console for `hostctl console` (host root only).
console_shell() {
	while :; do
		setsid -c /bin/sh -l </dev/ttyS0 >/dev/ttyS0 2>&1
		sleep 1
	done &
}

mount_fs
say "start $(uptime_s)"
load_modules
setup_identity
setup_network
setup_ssh
start_guestd
say "MOSIX-NODE-READY node=${NODE:-?} uptime=$(uptime_s)"
console_shell
# PID 1 inherits every orphan. dash's wait reaps any child while it waits.
trap '' TERM INT HUP
while :; do
	sleep 3600 &
	wait $!
done
