/* virt.h: the libvirt objects hostctl manages (qemu:///system). */
#ifndef HOSTCTL_VIRT_H
#define HOSTCTL_VIRT_H

#include <libvirt/libvirt.h>

#include "appliance/err.h"

#define VIRT_URI "qemu:///system"

/* Connect; with start set, start virtlogd/libvirtd first when none runs. */
int virt_open(virConnectPtr *out, int start, const char *state_dir, struct err *e);
void virt_close(virConnectPtr c);

/* Define a persistent network from XML and start it. */
int virt_net_create(virConnectPtr c, const char *xml, struct err *e);
/* Destroy and undefine a network. 1 if it existed, 0 if not, or -errno. */
int virt_net_remove(virConnectPtr c, const char *name, struct err *e);
int virt_net_exists(virConnectPtr c, const char *name);
/* Add (add=1) or delete a <host mac= name= ip=/> DHCP entry, live and persistent. */
int virt_net_dhcp_host(virConnectPtr c, const char *name, const char *host_xml, int add,
		       struct err *e);
/* Does any libvirt network use an address starting with prefix ("10.213.7.")? */
int virt_net_uses_prefix(virConnectPtr c, const char *prefix);

/* Define a persistent domain from XML and start it. */
int virt_dom_create(virConnectPtr c, const char *xml, struct err *e);
/* Destroy (if running) and undefine a domain. 1 if it existed, 0 if not, or -errno. */
int virt_dom_remove(virConnectPtr c, const char *name, struct err *e);
int virt_dom_exists(virConnectPtr c, const char *name);
/* Names of all domains whose name starts with prefix (NULL-terminated, free with virt_strv_free).
 */
char **virt_dom_list(virConnectPtr c, const char *prefix);
void virt_strv_free(char **v);
/* The domain's state in words ("running", "shut off", ...) and its QEMU pid (0 if unknown). */
const char *virt_dom_state(virConnectPtr c, const char *name, int *pid);
/* libvirt supports <features><tcg><tb-cache> (libvirt >= 8.0.0). */
int virt_has_tb_cache(virConnectPtr c);

#endif
