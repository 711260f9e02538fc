/* virt.c: thin wrappers over the libvirt C API that turn its errors into ours. */
#include "virt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "appliance/util.h"
#include "appliance/xmem.h"
#include "daemon.h"

/* libvirt prints every error to stderr by default; we report them ourselves. */
static void virt_quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

/* Fill e from libvirt's last error. */
static int virt_err(struct err *e, const char *what, const char *name)
{
	const char *m = virGetLastErrorMessage();
	return err_setx(e, -EIO, "%s %s: %s", what, name ? name : "", m ? m : "unknown error");
}

/* Open the system connection, starting the daemons if asked. */
int virt_open(virConnectPtr *out, int start, const char *state_dir, struct err *e)
{
	virSetErrorFunc(NULL, virt_quiet);
	if (!daemon_running()) {
		if (!start)
			return err_setx(e, -ECONNREFUSED,
					"libvirtd is not running (%s absent); "
					"`hostctl up` starts it",
					DAEMON_SOCK);
		int r = daemon_start(state_dir, e);
		if (r < 0)
			return r;
	}
	virConnectPtr c = virConnectOpen(VIRT_URI);
	if (!c)
		return virt_err(e, "connect", VIRT_URI);
	*out = c;
	return 0;
}

/* Drop the connection. */
void virt_close(virConnectPtr c)
{
	if (c)
		virConnectClose(c);
}

/* Define and start a network. */
int virt_net_create(virConnectPtr c, const char *xml, struct err *e)
{
	virNetworkPtr n = virNetworkDefineXML(c, xml);
	if (!n)
		return virt_err(e, "define network", "");
	int r = virNetworkCreate(n);
	if (r < 0) {
		r = virt_err(e, "start network", virNetworkGetName(n));
		virNetworkUndefine(n);
	}
	virNetworkFree(n);
	return r < 0 ? r : 0;
}

/* Remove a network if present. */
int virt_net_remove(virConnectPtr c, const char *name, struct err *e)
{
	virNetworkPtr n = virNetworkLookupByName(c, name);
	if (!n)
		return 0;
	int r = 1;
	if (virNetworkIsActive(n) == 1 && virNetworkDestroy(n) < 0)
		r = virt_err(e, "destroy network", name);
	if (r > 0 && virNetworkIsPersistent(n) == 1 && virNetworkUndefine(n) < 0)
		r = virt_err(e, "undefine network", name);
	virNetworkFree(n);
	return r;
}

/* Add or delete a DHCP host entry of a running network, live and in its
 * persistent definition. */
int virt_net_dhcp_host(virConnectPtr c, const char *name, const char *host_xml, int add,
		       struct err *e)
{
	virNetworkPtr n = virNetworkLookupByName(c, name);
	if (!n)
		return virt_err(e, "look up network", name);
	int r = 0;
	unsigned flags = VIR_NETWORK_UPDATE_AFFECT_LIVE | VIR_NETWORK_UPDATE_AFFECT_CONFIG;
	if (virNetworkUpdate(
		n, add ? VIR_NETWORK_UPDATE_COMMAND_ADD_LAST : VIR_NETWORK_UPDATE_COMMAND_DELETE,
		VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host_xml, flags) < 0)
		r = virt_err(
		    e, add ? "add a DHCP host to network" : "delete a DHCP host of network", name);
	virNetworkFree(n);
	return r;
}

/* Does a network exist? */
int virt_net_exists(virConnectPtr c, const char *name)
{
	virNetworkPtr n = virNetworkLookupByName(c, name);
	if (n)
		virNetworkFree(n);
	return n != NULL;
}

/* Scan every network's XML for an address in the prefix. */
int virt_net_uses_prefix(virConnectPtr c, const char *prefix)
{
	virNetworkPtr *nets = NULL;
	int n = virConnectListAllNetworks(c, &nets, 0);
	int hit = 0;
	_cleanup_free_ char *needle = xasprintf("'%s", prefix);
	for (int i = 0; i < n; i++) {
		char *x = virNetworkGetXMLDesc(nets[i], 0);
		if (x && strstr(x, needle))
			hit = 1;
		free(x);
		virNetworkFree(nets[i]);
	}
	free(nets);
	return hit;
}

/* Define and start a domain; undefine again if it does not start. */
int virt_dom_create(virConnectPtr c, const char *xml, struct err *e)
{
	virDomainPtr d = virDomainDefineXML(c, xml);
	if (!d)
		return virt_err(e, "define domain", "");
	int r = virDomainCreate(d);
	if (r < 0) {
		r = virt_err(e, "start domain", virDomainGetName(d));
		virDomainUndefine(d);
	}
	virDomainFree(d);
	return r < 0 ? r : 0;
}

/* Destroy and undefine a domain if present. */
int virt_dom_remove(virConnectPtr c, const char *name, struct err *e)
{
	virDomainPtr d = virDomainLookupByName(c, name);
	if (!d)
		return 0;
	int r = 1;
	/* A domain may stop between the two calls (e.g. while libvirtd reconnects
	 * after a restart): only a domain still running after a failed destroy is
	 * an error. */
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0 && virDomainIsActive(d) == 1)
		r = virt_err(e, "destroy domain", name);
	if (r > 0 && virDomainIsPersistent(d) == 1 && virDomainUndefine(d) < 0)
		r = virt_err(e, "undefine domain", name);
	virDomainFree(d);
	return r;
}

/* Does a domain exist? */
int virt_dom_exists(virConnectPtr c, const char *name)
{
	virDomainPtr d = virDomainLookupByName(c, name);
	if (d)
		virDomainFree(d);
	return d != NULL;
}

/* List domain names by prefix. */
char **virt_dom_list(virConnectPtr c, const char *prefix)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(c, &doms, 0);
	char **v = xcalloc((size_t)(n > 0 ? n : 0) + 1, sizeof(char *));
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		if (name && !strncmp(name, prefix, strlen(prefix)))
			v[k++] = xstrdup(name);
		virDomainFree(doms[i]);
	}
	free(doms);
	return v;
}

/* Free a string vector. */
void virt_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Read the pid libvirt recorded for a running QEMU. */
static int virt_dom_pid(const char *name)
{
	_cleanup_free_ char *path = xasprintf("/run/libvirt/qemu/%s.pid", name);
	_cleanup_free_ char *s = NULL;
	if (util_read_file(path, &s) < 0)
		return 0;
	return atoi(s);
}

/* State in words. */
const char *virt_dom_state(virConnectPtr c, const char *name, int *pid)
{
	static const char *names[] = {"no state",      "running",  "blocked", "paused",
				      "shutting down", "shut off", "crashed", "suspended"};
	*pid = 0;
	virDomainPtr d = virDomainLookupByName(c, name);
	if (!d)
		return "absent";
	int st = 0, reason = 0;
	const char *s = "unknown";
	if (virDomainGetState(d, &st, &reason, 0) == 0 && st >= 0 && (size_t)st < ARRAY_SIZE(names))
		s = names[st];
	if (st == VIR_DOMAIN_RUNNING)
		*pid = virt_dom_pid(name);
	virDomainFree(d);
	return s;
}

/* tb-cache arrived in libvirt 8.0.0. */
int virt_has_tb_cache(virConnectPtr c)
{
	unsigned long v = 0;
	return virConnectGetLibVersion(c, &v) == 0 && v >= 8000000;
}
