/* probe.h: what this host offers, probed once (KVM that really runs, memory, tools). */
#ifndef HOSTCTL_PROBE_H
#define HOSTCTL_PROBE_H

#include <stddef.h>

enum probe_kvm {
	PROBE_KVM_ABSENT,   /* no /dev/kvm or ioctls fail: TCG */
	PROBE_KVM_TOO_SLOW, /* /dev/kvm opens but guest code crawls (nested): TCG */
	PROBE_KVM_USABLE,
};

struct probe_host {
	enum probe_kvm kvm;
	char kvm_detail[128];
	long mem_total_mb, mem_avail_mb;
	long cpus;
	const char *missing_tool; /* first required tool not in PATH, or NULL */
};

/* Run a tiny long-mode guest in a child for at most timeout_ms. */
enum probe_kvm probe_kvm(int timeout_ms, char *detail, size_t len);
/* Fill everything in p (takes about timeout_ms at most). */
void probe_host(struct probe_host *p, int kvm_timeout_ms);
/* Name of a KVM verdict. */
const char *probe_kvm_name(enum probe_kvm k);
/* Host memory from /proc/meminfo, MiB. */
void probe_meminfo(long *total_mb, long *avail_mb);

#endif
