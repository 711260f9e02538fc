/* xml.c: generate the libvirt XML. Every value that comes from outside is
 * escaped; names and numbers were validated before. */
#include "xml.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "sbuf.h"

/* Serial console; quiet (every console line is slow under TCG); no reboot loop on panic. */
#define XML_KERNEL_ARGS "console=ttyS0 quiet"

/* Network XML. */
char *xml_network(const struct vcluster *c)
{
	struct sbuf b = {0};
	_cleanup_free_ char *net = state_net_name(c);
	_cleanup_free_ char *br = state_bridge_name(c);
	sbuf_printf(&b, "<network>\n  <name>%s</name>\n", net);
	sbuf_printf(&b, "  <bridge name='%s' stp='off' delay='0'/>\n", br);
	sbuf_printf(&b, "  <dns enable='no'/>\n");
	sbuf_printf(&b, "  <ip address='%s.1' netmask='255.255.255.0'>\n    <dhcp>\n", c->subnet);
	for (int x = 0; x < c->nodes; x++) {
		int i = c->id[x];
		_cleanup_free_ char *mac = state_node_mac(c, i);
		_cleanup_free_ char *ip = state_node_ip(c, i);
		sbuf_printf(&b, "      <host mac='%s' name='n%d' ip='%s'/>\n", mac, i, ip);
	}
	sbuf_printf(&b, "    </dhcp>\n  </ip>\n</network>\n");
	return sbuf_take(&b);
}

/* One fw_cfg entry from a file in the cluster's state dir. */
static void xml_fwcfg_file(struct sbuf *b, const char *key, const char *path)
{
	sbuf_printf(b, "    <entry name='opt/mosix/%s' file='", key);
	sbuf_xml(b, path);
	sbuf_printf(b, "'/>\n");
}

/* The <sysinfo type='fwcfg'> block the guest's init reads. */
static void xml_fwcfg(struct sbuf *b, const struct vcluster *c, int node)
{
	_cleanup_free_ char *ip = state_node_ip(c, node);
	_cleanup_free_ char *nd = state_node_dir(c, node);
	_cleanup_free_ char *hk = xasprintf("%s/ssh_host_ed25519_key", nd);
	_cleanup_free_ char *conf = xasprintf("%s/mosix/cluster.conf", c->dir);
	_cleanup_free_ char *key = xasprintf("%s/mosix/cluster.key", c->dir);
	_cleanup_free_ char *ak = xasprintf("%s/authorized_keys", c->dir);
	_cleanup_free_ char *nk = xasprintf("%s/node_key", c->dir);
	_cleanup_free_ char *kh = xasprintf("%s/known_hosts", c->dir);
	sbuf_printf(b, "  <sysinfo type='fwcfg'>\n");
	sbuf_printf(b, "    <entry name='opt/mosix/node'>%d</entry>\n", node);
	sbuf_printf(b, "    <entry name='opt/mosix/hostname'>n%d</entry>\n", node);
	sbuf_printf(b, "    <entry name='opt/mosix/ip'>%s/24</entry>\n", ip);
	xml_fwcfg_file(b, "cluster_conf", conf);
	xml_fwcfg_file(b, "cluster_key", key);
	xml_fwcfg_file(b, "authorized_keys", ak);
	xml_fwcfg_file(b, "ssh_host_key", hk);
	xml_fwcfg_file(b, "ssh_node_key", nk);
	xml_fwcfg_file(b, "known_hosts", kh);
	sbuf_printf(b, "  </sysinfo>\n");
}

/* <os>: PVH direct boot of the uncompressed kernel with the tiny initramfs. */
static void xml_os(struct sbuf *b, const struct vcluster *c, const struct xml_opts *o)
{
	sbuf_printf(b, "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <kernel>");
	_cleanup_free_ char *k = xasprintf("%s/vmlinux", c->dir);
	_cleanup_free_ char *i = xasprintf("%s/initrd.img", c->dir);
	sbuf_xml(b, k);
	sbuf_printf(b, "</kernel>\n    <initrd>");
	sbuf_xml(b, i);
	sbuf_printf(b, "</initrd>\n    <cmdline>%s", XML_KERNEL_ARGS);
	if (o->kernel_args && *o->kernel_args) {
		sbuf_printf(b, " ");
		sbuf_xml(b, o->kernel_args);
	}
	sbuf_printf(b, "</cmdline>\n  </os>\n");
}

/* <devices>: overlay disk, NIC on the cluster network, serial logged to a file. */
static void xml_devices(struct sbuf *b, const struct vcluster *c, int node)
{
	_cleanup_free_ char *nd = state_node_dir(c, node);
	_cleanup_free_ char *net = state_net_name(c);
	_cleanup_free_ char *mac = state_node_mac(c, node);
	sbuf_printf(b, "  <devices>\n    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n");
	sbuf_printf(b, "    <disk type='file' device='disk'>\n"
		       "      <driver name='qemu' type='qcow2' cache='writeback'/>\n"
		       "      <source file='");
	sbuf_xml(b, nd);
	sbuf_printf(b, "/disk.qcow2'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
	sbuf_printf(b,
		    "    <interface type='network'>\n      <source network='%s'/>\n"
		    "      <mac address='%s'/>\n      <model type='virtio'/>\n    </interface>\n",
		    net, mac);
	sbuf_printf(b, "    <serial type='pty'>\n      <log file='");
	sbuf_xml(b, nd);
	sbuf_printf(b, "/console.log' append='off'/>\n      <target port='0'/>\n    </serial>\n"
		       "    <console type='pty'><target type='serial' port='0'/></console>\n"
		       "    <memballoon model='none'/>\n");
	/* No USB controller: its early-handoff quirk alone costs 0.7 s of TCG boot.
	 * virtio-rng seeds the guest RNG so that sshd does not wait for entropy. */
	sbuf_printf(b,
		    "    <controller type='usb' model='none'/>\n"
		    "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>\n"
		    "  </devices>\n");
}

/* Domain XML for one node. */
char *xml_domain(const struct vcluster *c, int node, const struct xml_opts *o)
{
	struct sbuf b = {0};
	_cleanup_free_ char *dom = state_dom_name(c, node);
	sbuf_printf(&b, "<domain type='%s'>\n  <name>%s</name>\n", c->accel, dom);
	sbuf_printf(&b, "  <memory unit='MiB'>%d</memory>\n  <vcpu>%d</vcpu>\n", c->mem_mb,
		    c->cpus);
	xml_fwcfg(&b, c, node);
	xml_os(&b, c, o);
	sbuf_printf(&b, "  <features>\n    <acpi/>\n");
	if (o->tb_cache_mib > 0 && !strcmp(c->accel, "qemu"))
		sbuf_printf(&b, "    <tcg><tb-cache unit='MiB'>%d</tb-cache></tcg>\n",
			    o->tb_cache_mib);
	sbuf_printf(&b, "  </features>\n");
	/* One CPU model on every node: a migrated process must find the same
	 * instruction set (and XSAVE layout) wherever it lands. */
	if (!strcmp(c->accel, "kvm"))
		sbuf_printf(&b, "  <cpu mode='host-model'/>\n");
	else
		sbuf_printf(&b, "  <cpu mode='custom' match='exact'><model "
				"fallback='allow'>qemu64</model></cpu>\n");
	sbuf_printf(&b, "  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
			"  <on_reboot>restart</on_reboot>\n  <on_crash>destroy</on_crash>\n");
	xml_devices(&b, c, node);
	sbuf_printf(&b, "</domain>\n");
	return sbuf_take(&b);
}
