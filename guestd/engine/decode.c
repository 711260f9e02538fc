/* decode.c: a reader that prints every record of an image. */
#include "engine/decode.h"
#include "arch/arch.h"
#include "engine/compress.h"
#include "engine/image.h"
#include "engine/procfs.h"

#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static const char *vma_kinds[] = {"anon", "file",	 "heap",     "stack", "vdso",
				  "vvar", "vvar_vclock", "vsyscall", "other"};
static const char *fd_kinds[] = {"?", "file", "dir", "chr", "stdio", "path", "signalfd"};

/* Per-stream totals. */
struct dec {
	FILE *out;
	int json, first;
	uint64_t pages, records, raw_bytes;
	uint64_t last_vma_start, last_vma_end, vma_pages;
};

/* Print a string as a JSON string literal. */
static void dec_jstr(FILE *o, const char *s)
{
	fputc('"', o);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(o, "\\u%04x", *s);
		else
			fputc(*s, o);
	}
	fputc('"', o);
}

/* Start one JSON record object. */
static void dec_jrec(struct dec *d, const char *type)
{
	fprintf(d->out, "%s\n  {\"type\": \"%s\"", d->first ? "" : ",", type);
	d->first = 0;
}

/* PROC record. */
static void dec_proc(struct dec *d, const struct img_proc *p)
{
	if (d->json) {
		dec_jrec(d, "proc");
		fprintf(d->out, ", \"pid\": %d, \"uid\": %u, \"gid\": %u, \"comm\": ", p->pid,
			p->uid, p->gid);
		dec_jstr(d->out, p->comm);
		fprintf(d->out,
			", \"personality\": %u, \"umask\": %u, \"self_checkpoint\": %s, "
			"\"brk\": %" PRIu64 ", \"start_brk\": %" PRIu64 "}",
			p->personality, p->umask, p->flags & IMG_F_SELF_CKPT ? "true" : "false",
			p->brk, p->start_brk);
		return;
	}
	fprintf(d->out, "process   pid %d (%.16s) uid %u gid %u personality %#x umask %03o%s\n",
		p->pid, p->comm, p->uid, p->gid, p->personality, p->umask,
		p->flags & IMG_F_SELF_CKPT ? " [self-checkpoint]" : "");
	fprintf(d->out,
		"mm        code %#" PRIx64 "-%#" PRIx64 " data %#" PRIx64 "-%#" PRIx64
		" brk %#" PRIx64 "-%#" PRIx64 " stack %#" PRIx64 "\n",
		p->start_code, p->end_code, p->start_data, p->end_data, p->start_brk, p->brk,
		p->start_stack);
}

/* REGS record. */
static void dec_regs(struct dec *d, const arch_regs_t *r)
{
	if (d->json) {
		dec_jrec(d, "regs");
		fprintf(d->out, ", \"ip\": %" PRIu64 ", \"sp\": %" PRIu64 ", \"syscall\": %ld}",
			arch_ip(r), arch_sp(r), arch_syscall_nr(r));
		return;
	}
	fprintf(d->out, "registers ip %#" PRIx64 " sp %#" PRIx64 " fs_base %#llx", arch_ip(r),
		arch_sp(r), r->fs_base);
	if (arch_syscall_nr(r) >= 0)
		fprintf(d->out, " (stopped in syscall %ld, result %ld)", arch_syscall_nr(r),
			arch_syscall_ret(r));
	fputc('\n', d->out);
}

/* TASK record. */
static void dec_task(struct dec *d, const struct img_task *t)
{
	static const char *itn[] = {"real", "virtual", "prof"};
	if (d->json) {
		dec_jrec(d, "task");
		fprintf(d->out,
			", \"sigmask\": %" PRIu64 ", \"rseq\": %" PRIu64
			", \"tid_address\": %" PRIu64 "}",
			t->sigmask, t->rseq_ptr, t->tid_address);
		return;
	}
	fprintf(d->out,
		"task      sigmask %#" PRIx64 " rseq %#" PRIx64 "/%u tid_address %#" PRIx64
		" robust %#" PRIx64 "\n",
		t->sigmask, t->rseq_ptr, t->rseq_size, t->tid_address, t->robust_head);
	if (!(t->altstack_flags & SS_DISABLE))
		fprintf(d->out, "altstack  %#" PRIx64 " size %" PRIu64 "\n", t->altstack_sp,
			t->altstack_size);
	for (int w = 0; w < 3; w++)
		if (t->itimer[w].value_sec || t->itimer[w].value_usec)
			fprintf(d->out,
				"itimer    %s: %" PRId64 ".%06" PRId64 " s left, every %" PRId64
				".%06" PRId64 " s\n",
				itn[w], t->itimer[w].value_sec, t->itimer[w].value_usec,
				t->itimer[w].interval_sec, t->itimer[w].interval_usec);
}

/* SIGACTIONS record: only the signals with a handler or ignored. */
static void dec_sigactions(struct dec *d, const struct img_sigaction *sa)
{
	if (d->json) {
		dec_jrec(d, "sigactions");
		fprintf(d->out, ", \"handled\": [");
		for (int s = 1, n = 0; s <= 64; s++)
			if (sa[s - 1].handler)
				fprintf(d->out, "%s%d", n++ ? ", " : "", s);
		fprintf(d->out, "]}");
		return;
	}
	fprintf(d->out, "signals  ");
	for (int s = 1; s <= 64; s++)
		if (sa[s - 1].handler)
			fprintf(d->out, " %d:%s", s, sa[s - 1].handler == 1 ? "ignore" : "handler");
	fputc('\n', d->out);
}

/* A VMA's advice as VmFlags mnemonics ("dc wf lo"), into buf. */
static const char *dec_advice(uint32_t flags, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} adv[] = {
	    {IMG_VMA_DONTFORK, "dc"},	{IMG_VMA_WIPEONFORK, "wf"},  {IMG_VMA_DONTDUMP, "dd"},
	    {IMG_VMA_LOCKED, "lo"},	{IMG_VMA_LOCKONFAULT, "lf"}, {IMG_VMA_SEQ, "sr"},
	    {IMG_VMA_RAND, "rr"},	{IMG_VMA_NORESERVE, "nr"},   {IMG_VMA_HUGEPAGE, "hg"},
	    {IMG_VMA_NOHUGEPAGE, "nh"}, {IMG_VMA_MERGEABLE, "mg"},   {IMG_VMA_ACCOUNT, "ac"}};
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]) && n + 4 < len; i++)
		if (flags & adv[i].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", adv[i].name);
	return buf;
}

/* VMA record (pages of the previous VMA are summarised first). */
static void dec_vma(struct dec *d, const struct img_vma *m, const char *path)
{
	const char *kind = m->kind < 9 ? vma_kinds[m->kind] : "?";
	char adv[64];
	dec_advice(m->flags, adv, sizeof(adv));
	if (d->json) {
		dec_jrec(d, "vma");
		fprintf(d->out,
			", \"start\": %" PRIu64 ", \"end\": %" PRIu64
			", \"prot\": %u, \"kind\": \"%s\", \"advice\": ",
			m->start, m->end, m->prot, kind);
		if (m->flags & IMG_VMA_ADVICE)
			dec_jstr(d->out, adv);
		else
			fputs("null", d->out);
		fprintf(d->out, ", \"path\": ");
		dec_jstr(d->out, path);
		fputc('}', d->out);
		return;
	}
	fprintf(d->out, "vma       %012" PRIx64 "-%012" PRIx64 " %c%c%c%c %-6s %s%s%s%s\n",
		m->start, m->end, m->prot & 1 ? 'r' : '-', m->prot & 2 ? 'w' : '-',
		m->prot & 4 ? 'x' : '-', m->flags & IMG_VMA_SHARED ? 's' : 'p', kind, path,
		*adv ? " [" : "", adv, *adv ? "]" : "");
}

/* PROCX record: what it has. */
static void dec_procx(struct dec *d, const struct img_procx *p)
{
	if (d->json) {
		dec_jrec(d, "procx");
		fprintf(d->out,
			", \"have\": %u, \"thp_disable\": %u, \"membarrier\": %u, "
			"\"oom_score_adj\": %d, \"subreaper\": %u, \"loginuid\": %u}",
			p->have, p->thp_disable, p->membarrier, p->oom_score_adj, p->subreaper,
			p->loginuid);
		return;
	}
	fprintf(d->out, "process+ ");
	if (p->have & IMG_PX_THP)
		fprintf(d->out, " thp_disable %u", p->thp_disable);
	if (p->have & IMG_PX_MEMBARRIER)
		fprintf(d->out, " membarrier %#x", p->membarrier);
	if (p->have & IMG_PX_OOM)
		fprintf(d->out, " oom_score_adj %d", p->oom_score_adj);
	if (p->have & IMG_PX_SUBREAPER)
		fprintf(d->out, " subreaper %u", p->subreaper);
	if (p->have & IMG_PX_LOGINUID)
		fprintf(d->out, " loginuid %u", p->loginuid);
	fputc('\n', d->out);
}

/* TIMER record. */
static void dec_timer(struct dec *d, const struct img_timer *t)
{
	if (d->json) {
		dec_jrec(d, "timer");
		fprintf(d->out,
			", \"id\": %d, \"clock\": %d, \"notify\": %d, \"signal\": %d, "
			"\"value_ns\": %" PRId64 ", \"interval_ns\": %" PRId64 "}",
			t->id, t->clock, t->notify, t->signo, t->value_ns, t->interval_ns);
		return;
	}
	fprintf(d->out, "timer     %d clock %d signal %d notify %d: %.6f s left, every %.6f s\n",
		t->id, t->clock, t->signo, t->notify, (double)t->value_ns / 1e9,
		(double)t->interval_ns / 1e9);
}

/* FD record. */
static void dec_fd(struct dec *d, const struct img_fd *f, const char *path)
{
	const char *kind = f->kind >= 0 && f->kind < 7 ? fd_kinds[f->kind] : "?";
	if (d->json) {
		dec_jrec(d, "fd");
		fprintf(d->out,
			", \"fd\": %d, \"kind\": \"%s\", \"pos\": %" PRIu64 ", \"path\": ", f->fd,
			kind, f->pos);
		dec_jstr(d->out, path);
		fputc('}', d->out);
		return;
	}
	fprintf(d->out, "fd        %d %s %s pos %" PRIu64 " flags %#o\n", f->fd, kind, path, f->pos,
		f->flags);
}

/* Any record. */
static void dec_record(struct dec *d, const struct img_view *v)
{
	d->records++;
	char s[4096];
	if (v->type == IMG_R_PAGES) {
		struct img_pages ph;
		memcpy(&ph, v->data, sizeof(ph));
		d->pages += ph.npages;
		return;
	}
	if (v->type == IMG_R_PROC && v->len == sizeof(struct img_proc))
		dec_proc(d, (const struct img_proc *)v->data);
	else if (v->type == IMG_R_REGS && v->len == sizeof(arch_regs_t))
		dec_regs(d, (const arch_regs_t *)v->data);
	else if (v->type == IMG_R_TASK && v->len == sizeof(struct img_task))
		dec_task(d, (const struct img_task *)v->data);
	else if (v->type == IMG_R_SIGACTIONS && v->len == 64 * sizeof(struct img_sigaction))
		dec_sigactions(d, (const struct img_sigaction *)v->data);
	else if (v->type == IMG_R_VMA && v->len >= sizeof(struct img_vma)) {
		size_t n = v->len - sizeof(struct img_vma);
		snprintf(s, sizeof(s), "%.*s", (int)n, v->data + sizeof(struct img_vma));
		dec_vma(d, (const struct img_vma *)v->data, s);
	} else if (v->type == IMG_R_FD && v->len >= sizeof(struct img_fd)) {
		size_t n = v->len - sizeof(struct img_fd);
		snprintf(s, sizeof(s), "%.*s", (int)n, v->data + sizeof(struct img_fd));
		dec_fd(d, (const struct img_fd *)v->data, s);
	} else if (v->type == IMG_R_STRING && v->len >= sizeof(struct img_string)) {
		const struct img_string *st = (const void *)v->data;
		snprintf(s, sizeof(s), "%.*s", (int)(v->len - sizeof(*st)), v->data + sizeof(*st));
		const char *what = st->kind == IMG_S_EXE ? "exe" : "cwd";
		if (d->json) {
			dec_jrec(d, what);
			fprintf(d->out, ", \"path\": ");
			dec_jstr(d->out, s);
			fputc('}', d->out);
		} else {
			fprintf(d->out, "%-9s %s\n", what, s);
		}
	} else if (v->type == IMG_R_PROCX && v->len >= sizeof(struct img_procx)) {
		dec_procx(d, (const struct img_procx *)v->data);
	} else if (v->type == IMG_R_TIMER && v->len == sizeof(struct img_timer)) {
		dec_timer(d, (const struct img_timer *)v->data);
	} else if (v->type == IMG_R_LEASE && v->len == sizeof(struct img_lease)) {
		const struct img_lease *l = (const void *)v->data;
		if (d->json) {
			dec_jrec(d, "lease");
			fprintf(d->out, ", \"fd\": %d, \"type\": %d}", l->fd, l->type);
		} else {
			fprintf(d->out, "lease     fd %d %s\n", l->fd,
				l->type == 1 ? "write" : "read");
		}
	} else if (v->type == IMG_R_GUARD && v->len == sizeof(struct img_guard)) {
		const struct img_guard *g = (const void *)v->data;
		if (d->json) {
			dec_jrec(d, "guard");
			fprintf(d->out, ", \"addr\": %" PRIu64 ", \"pages\": %" PRIu64 "}", g->addr,
				g->npages);
		} else {
			fprintf(d->out, "guard     %#" PRIx64 " %" PRIu64 " pages\n", g->addr,
				g->npages);
		}
	} else if (v->type == IMG_R_SIGINFO && !d->json) {
		const struct img_siginfo *si = (const void *)v->data;
		int signo;
		memcpy(&signo, si->info, sizeof(signo));
		fprintf(d->out, "pending   signal %d (%s queue)\n", signo,
			si->shared ? "process" : "thread");
	} else if (v->type == IMG_R_XSTATE && !d->json) {
		fprintf(d->out, "fpu       %u bytes of XSAVE state, features %#" PRIx64 "\n",
			v->len, arch_xstate_features(v->data, v->len));
	} else if (v->type == IMG_R_VDSO && !d->json) {
		const struct img_vdso *vd = (const void *)v->data;
		fprintf(d->out, "vdso      %#" PRIx64 " (%" PRIu64 " bytes, crc %08x)\n",
			vd->vdso_start, vd->vdso_len, vd->vdso_crc);
	}
}

/* Decode a whole stream. */
int decode_image(int fd, FILE *out, int json, struct err *e)
{
	struct img_reader rd;
	struct dec d = {out, json, 1, 0, 0, 0, 0, 0, 0};
	int rc = img_reader_open(&rd, fd, e);
	if (rc)
		return rc;
	char when[64] = "?";
	time_t t = (time_t)rd.hdr.created;
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json) {
		fprintf(out, "{\"version\": %u, \"arch\": \"%s\", \"kernel\": ", rd.hdr.version,
			rd.hdr.arch);
		dec_jstr(out, rd.hdr.kernel);
		fprintf(out, ", \"created\": \"%s\", \"records\": [", when);
	} else {
		fprintf(out, "image     version %u, %s, kernel %s, taken %s\n", rd.hdr.version,
			rd.hdr.arch, rd.hdr.kernel, when);
	}
	struct img_view v;
	while ((rc = img_read(&rd, &v, e)) > 0)
		dec_record(&d, &v);
	if (json)
		fprintf(out,
			"\n ], \"pages\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"valid\": %s}\n",
			d.pages, rd.offset, rc == 0 ? "true" : "false");
	else
		fprintf(out,
			"memory    %" PRIu64 " pages (%.1f MiB) in %" PRIu64
			" records; stream %" PRIu64 " bytes%s\n",
			d.pages, (double)d.pages * IMG_PAGE / 1048576.0, d.records + 1, rd.offset,
			rc == 0 ? ", complete" : "");
	img_reader_free(&rd);
	return rc;
}
