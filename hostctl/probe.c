/* probe.c: host probes. The KVM probe exists because on nested hosts /dev/kvm
 * opens and libvirt advertises kvm, but long-mode guest code runs ~1000x too
 * slowly: only running guest code tells. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appliance/util.h"
#include "proc.h"

#define KVM_MEM 0x400000
#define KVM_CODE 0x1ff000

/* 64-bit loop of 10M iterations, then out 0x10 and hlt: ~10 ms on real KVM. */
static const uint8_t kvm_code[] = {0x48, 0xc7, 0xc1, 0x80, 0x96, 0x98, 0x00, 0x48, 0xff,
				   0xc9, 0x75, 0xfb, 0xb0, 0x42, 0xe6, 0x10, 0xf4};

/* Identity-map 2 MiB and enter long mode directly through the sregs. */
static void probe_kvm_longmode(uint8_t *mem, struct kvm_sregs *s, struct kvm_regs *g)
{
	uint64_t *pml4 = (void *)(mem + 0x2000), *pdpt = (void *)(mem + 0x3000);
	uint64_t *pd = (void *)(mem + 0x4000);
	pml4[0] = 0x3000 | 3;
	pdpt[0] = 0x4000 | 3;
	pd[0] = 0x83; /* present, writable, 2 MiB page */
	memcpy(mem + KVM_CODE, kvm_code, sizeof(kvm_code));
	s->cr3 = 0x2000;
	s->cr4 = 1u << 5;				  /* PAE */
	s->cr0 = 1u | (1u << 4) | (1u << 5) | (1u << 31); /* PE ET NE PG */
	s->efer = (1u << 8) | (1u << 10);		  /* LME LMA */
	struct kvm_segment seg = {.limit = 0xffffffff,
				  .selector = 1 << 3,
				  .present = 1,
				  .type = 11,
				  .s = 1,
				  .l = 1,
				  .g = 1};
	s->cs = seg;
	seg.type = 3;
	seg.selector = 2 << 3;
	seg.l = 0;
	seg.db = 1;
	s->ds = s->es = s->fs = s->gs = s->ss = seg;
	memset(g, 0, sizeof(*g));
	g->rflags = 2;
	g->rip = KVM_CODE;
	g->rsp = KVM_CODE;
}

/* Child: build the VM and run it to HLT. Exit 0 on success, 1 on error. */
static int probe_kvm_child(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != 12)
		return 1;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	uint8_t *mem = mmap(NULL, KVM_MEM, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return 1;
	struct kvm_userspace_memory_region r = {.memory_size = KVM_MEM,
						.userspace_addr = (uintptr_t)mem};
	int vcpu = -1;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0 ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
		return 1;
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	struct kvm_sregs s;
	struct kvm_regs g;
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &s) < 0)
		return 1;
	probe_kvm_longmode(mem, &s, &g);
	if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu, KVM_SET_REGS, &g) < 0)
		return 1;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return 1;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10)
			continue;
		return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
	}
}

/* Probe KVM in a forked child, killed after timeout_ms. */
enum probe_kvm probe_kvm(int timeout_ms, char *detail, size_t len)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		snprintf(detail, len, "no usable /dev/kvm (%s)", strerror(errno));
		return PROBE_KVM_ABSENT;
	}
	fflush(NULL);
	double t0 = util_now();
	pid_t pid = fork();
	if (pid == 0)
		_exit(probe_kvm_child());
	if (pid < 0) {
		snprintf(detail, len, "fork: %s", strerror(errno));
		return PROBE_KVM_ABSENT;
	}
	int st;
	while ((util_now() - t0) * 1000 < timeout_ms) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
			snprintf(detail, len,
				 ok ? "long-mode test guest ran in %.0f ms"
				    : "KVM ioctls failed (after %.0f ms)",
				 (util_now() - t0) * 1000);
			return ok ? PROBE_KVM_USABLE : PROBE_KVM_ABSENT;
		}
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	snprintf(detail, len,
		 "/dev/kvm opens but a 10M-iteration guest loop did not finish in %d ms",
		 timeout_ms);
	return PROBE_KVM_TOO_SLOW;
}

/* Name a verdict. */
const char *probe_kvm_name(enum probe_kvm k)
{
	static const char *names[] = {"absent", "too-slow", "usable"};
	return names[k];
}

/* MemTotal and MemAvailable in MiB. */
void probe_meminfo(long *total_mb, long *avail_mb)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long kb;
	*total_mb = *avail_mb = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
			*total_mb = kb / 1024;
		else if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			*avail_mb = kb / 1024;
	}
}

/* Probe everything. */
void probe_host(struct probe_host *p, int kvm_timeout_ms)
{
	static const char *tools[] = {"qemu-system-x86_64", "qemu-img", "ssh",	    "ssh-keygen",
				      "iptables",	    "dnsmasq",	"libvirtd", "virtlogd"};
	memset(p, 0, sizeof(*p));
	p->kvm = probe_kvm(kvm_timeout_ms, p->kvm_detail, sizeof(p->kvm_detail));
	probe_meminfo(&p->mem_total_mb, &p->mem_avail_mb);
	p->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (size_t i = 0; i < ARRAY_SIZE(tools) && !p->missing_tool; i++) {
		if (!proc_have(tools[i]))
			p->missing_tool = tools[i];
	}
}
