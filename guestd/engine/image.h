/* image.h: the process image stream format (migration, checkpoints, freezing).
 *
 * A stream is a header followed by typed records and an END record:
 *   header  { magic "MOSXIMG\0", version, header_len, arch, kernel release, time, crc }
 *   record  { type, comp, len, raw_len, crc32c(payload), crc32c(header), pad } payload
 * Both CRCs over a header are computed with the CRC field itself zeroed, so
 * every byte of the stream is covered.
 * Records come in the order a restorer needs them: process, task and signal
 * state, fds, the VMA list, then PAGES (per run of present pages, compressed
 * per record), then END { record count, page count }. Every record is checked
 * (header CRC, payload CRC, length bounds) before use; a stream without END is
 * truncated. Fixed-size structures are little-endian, x86-64 layout.
 *
 * Version 2: PAGES records hold up to 2 MiB (one read per run of present
 * pages, up to 512 of them), and a writer onto a regular file puts a PAD
 * record (zeros, CRC-covered like any other) before each full (2 MiB)
 * uncompressed PAGES record so that its page data starts at a page-aligned
 * file offset: a restorer may then map those pages from the file instead of
 * copying them (restore.h, RESTORE_MAP). Readers skip PAD records. Version 1 images are
 * refused.
 *
 * Version 3 adds, compatibly with version 2 (which readers still take):
 *   - memory advice in img_vma.flags (IMG_VMA_DONTFORK ... IMG_VMA_MERGEABLE, with
 *     IMG_VMA_ADVICE set when the dumper read them), applied by a restore;
 *   - PROCX: process state beyond PROC (THP setting, membarrier registrations,
 *     oom_score_adj, child subreaper, audit loginuid), each field with a bit in
 *     img_procx.have;
 *   - TIMER: one POSIX timer (timer_create) each;
 *   - LEASE: the lease held on an fd (F_GETLEASE), after its FD record;
 *   - GUARD: a run of guard pages (MADV_GUARD_INSTALL), after the VMAs;
 *   - FD records of kind IMG_FD_PATH (O_PATH) and IMG_FD_SIGNALFD.
 * A version 2 reader refuses version 3 images by their version, so a new image
 * is never restored without these.
 */
#ifndef GUESTD_IMAGE_H
#define GUESTD_IMAGE_H

#include "appliance/err.h"

#include <stddef.h>
#include <stdint.h>

#define IMG_MAGIC "MOSXIMG"
#define IMG_VERSION 3
#define IMG_VERSION_MIN 2 /* the oldest version readers take */
#define IMG_PAGE 4096u
#define IMG_PAGES_PER_REC 512u			/* 2 MiB of pages per PAGES record */
#define IMG_HUGE (IMG_PAGES_PER_REC * IMG_PAGE) /* the dumper ends records at multiples of this */
#define IMG_REC_MAX (4u << 20)

enum img_type {
	IMG_R_PROC = 1,	  /* struct img_proc */
	IMG_R_STRING,	  /* struct img_string + bytes */
	IMG_R_AUXV,	  /* raw auxv words */
	IMG_R_REGS,	  /* arch_regs_t */
	IMG_R_XSTATE,	  /* XSAVE area */
	IMG_R_TASK,	  /* struct img_task */
	IMG_R_SIGACTIONS, /* struct img_sigaction[64] */
	IMG_R_SIGINFO,	  /* struct img_siginfo: one pending signal */
	IMG_R_VDSO,	  /* struct img_vdso */
	IMG_R_FD,	  /* struct img_fd + path */
	IMG_R_VMA,	  /* struct img_vma + path */
	IMG_R_PAGES,	  /* struct img_pages + npages * 4096 bytes */
	IMG_R_END,	  /* struct img_end */
	IMG_R_PAD,	  /* zeros: aligns the next PAGES record's pages in a file */
	IMG_R_PROCX,	  /* struct img_procx (version 3) */
	IMG_R_TIMER,	  /* struct img_timer (version 3) */
	IMG_R_LEASE,	  /* struct img_lease (version 3) */
	IMG_R_GUARD,	  /* struct img_guard (version 3) */
	IMG_R__MAX
};

struct img_header {
	char magic[8];
	uint32_t version;
	uint32_t header_len;
	char arch[16];
	char kernel[64];
	uint64_t created; /* unix time */
	uint32_t crc;	  /* crc32c of this header, crc field zeroed */
	uint32_t pad;
};

struct img_rec {
	uint16_t type;
	uint16_t comp;
	uint32_t len;	  /* payload bytes in the stream */
	uint32_t raw_len; /* payload bytes after decompression */
	uint32_t crc;	  /* crc32c of the stream payload */
	uint32_t hcrc;	  /* crc32c of this record header, hcrc zeroed */
	uint32_t pad;
};

#define IMG_F_SELF_CKPT 1u /* taken at the program's own request (mosix_checkpoint) */
#define IMG_F_ALLPAGES 2u  /* every page of file mappings is included */

struct img_proc {
	int32_t pid, ppid;
	uint32_t uid, gid, flags, personality, umask, pad;
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	char comm[16];
};

enum img_string_kind { IMG_S_EXE = 1, IMG_S_CWD = 2 };
struct img_string {
	uint32_t kind, len;
};

struct img_itimer {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

struct img_task {
	uint64_t tid_address, robust_head, robust_len;
	uint64_t rseq_ptr;
	uint32_t rseq_size, rseq_sig;
	uint64_t sigmask;
	uint64_t altstack_sp, altstack_size;
	int32_t altstack_flags, pad;
	struct img_itimer itimer[3];
	uint64_t rlim[16][2];
};

struct img_sigaction {
	uint64_t handler, flags, restorer, mask;
};

struct img_siginfo {
	uint32_t shared, pad;
	uint8_t info[128];
};

struct img_vdso {
	uint64_t vdso_start, vdso_len, vvar_start, vvar_len, vclock_start, vclock_len;
	uint32_t vdso_crc, pad;
};

/* IMG_FD_PATH: an O_PATH descriptor (of anything the path names); IMG_FD_SIGNALFD: a
 * signalfd, its signal mask in pos. */
enum img_fd_kind {
	IMG_FD_REG = 1,
	IMG_FD_DIR,
	IMG_FD_CHR,
	IMG_FD_STDIO,
	IMG_FD_PATH,
	IMG_FD_SIGNALFD
};
struct img_fd {
	int32_t fd, fd_flags, flags, kind;
	uint64_t pos;
	uint32_t mode, pathlen;
};

/* Guard pages (MADV_GUARD_INSTALL): a touch faults. */
struct img_guard {
	uint64_t addr, npages;
};

/* A lease on an fd (F_RDLCK or F_WRLCK, as F_GETLEASE says). */
struct img_lease {
	int32_t fd, type;
};

/* Process state beyond img_proc. A reader takes a longer record (fields it
 * does not know) and a shorter one (the fields it has); a field counts only
 * with its bit in have. */
#define IMG_PX_THP 1u	     /* thp_disable: PR_GET_THP_DISABLE's answer */
#define IMG_PX_MEMBARRIER 2u /* membarrier: MEMBARRIER_CMD_GET_REGISTRATIONS */
#define IMG_PX_OOM 4u	     /* oom_score_adj */
#define IMG_PX_SUBREAPER 8u  /* subreaper: PR_GET_CHILD_SUBREAPER */
#define IMG_PX_LOGINUID 16u  /* loginuid: /proc/PID/loginuid */
struct img_procx {
	uint32_t have;
	uint32_t thp_disable;
	uint32_t membarrier;
	int32_t oom_score_adj;
	uint32_t subreaper;
	uint32_t loginuid;
};

/* One POSIX timer: /proc/PID/timers and timer_gettime. */
struct img_timer {
	int32_t id, clock, notify, signo; /* notify: SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	uint64_t value;			  /* sigev_value */
	int64_t interval_ns, value_ns;	  /* value_ns: time to the next expiry (0: disarmed) */
};

#define IMG_VMA_SHARED 1u
#define IMG_VMA_GROWSDOWN 2u
/* Memory advice and VMA flags (version 3), as /proc/PID/smaps VmFlags shows them. */
#define IMG_VMA_DONTFORK 4u	  /* dc: MADV_DONTFORK */
#define IMG_VMA_WIPEONFORK 8u	  /* wf: MADV_WIPEONFORK */
#define IMG_VMA_DONTDUMP 16u	  /* dd: MADV_DONTDUMP */
#define IMG_VMA_LOCKED 32u	  /* lo: mlock */
#define IMG_VMA_LOCKONFAULT 64u	  /* lf: mlock2(MLOCK_ONFAULT) */
#define IMG_VMA_SEQ 128u	  /* sr: MADV_SEQUENTIAL */
#define IMG_VMA_RAND 256u	  /* rr: MADV_RANDOM */
#define IMG_VMA_NORESERVE 512u	  /* nr: MAP_NORESERVE */
#define IMG_VMA_HUGEPAGE 1024u	  /* hg: MADV_HUGEPAGE */
#define IMG_VMA_NOHUGEPAGE 2048u  /* nh: MADV_NOHUGEPAGE */
#define IMG_VMA_MERGEABLE 4096u	  /* mg: MADV_MERGEABLE */
#define IMG_VMA_ACCOUNT 8192u	  /* ac: committed memory (private and once writable) */
#define IMG_VMA_ADVICE (1u << 31) /* the bits above were read (else: unknown) */
struct img_vma {
	uint64_t start, end, pgoff;
	uint32_t prot, flags, kind, pathlen; /* kind: enum vma_kind */
	uint64_t dev, ino, size, mtime;
};

struct img_pages {
	uint64_t addr;
	uint32_t npages, pad;
};

struct img_end {
	uint64_t nrecords, npages;
};

/* Where a stream goes to or comes from: an fd, or a function moving exactly
 * n bytes (0, -EIO at end of input, or a negative code). */
typedef int (*img_io_fn)(void *ctx, void *buf, size_t n);
struct img_io {
	int fd;
	img_io_fn fn; /* used instead of fd when set */
	void *ctx;
};

struct img_async;

/* A buffered writer onto an fd (file, pipe or socket) or an img_io. From the
 * first page payload on, a writer thread writes the previous payload while
 * the next one is read and checksummed (buffers are doubled for that). */
struct img_writer {
	int fd;
	struct img_io io;
	int comp;
	uint8_t *out;
	size_t out_len, out_cap;
	uint8_t *raw;  /* staging for one PAGES payload */
	uint8_t *cbuf; /* compression output */
	uint64_t nrec, npages, bytes;
	int align;     /* a regular file: page-align uncompressed page data */
	uint64_t base; /* file offset of the stream's first byte */
	struct img_async *async;
	/* Compress a PAGES record only while the writer thread is still busy
	 * with the one before: when it waits for us instead, the sink is faster
	 * than the compressor and compressing only slows the stream down. */
	int adaptive;
	uint64_t nstored; /* PAGES records left uncompressed that way */
};

/* Write the header; comp applies to PAGES records. 0 or negative code. */
int img_writer_open(struct img_writer *w, int fd, int comp, struct err *e);
int img_writer_open_io(struct img_writer *w, const struct img_io *io, int comp, struct err *e);
/* Append a record whose payload is a (alen bytes) followed by b (blen bytes). */
int img_write(struct img_writer *w, uint16_t type, const void *a, size_t alen, const void *b,
	      size_t blen, struct err *e);
/* Staging area for npages (<= IMG_PAGES_PER_REC) pages at addr: fill it, then commit. */
uint8_t *img_pages_buf(struct img_writer *w);
int img_pages_commit(struct img_writer *w, uint64_t addr, uint32_t npages, struct err *e);
/* Write END and flush. */
int img_writer_finish(struct img_writer *w, struct err *e);
/* Release buffers (does not close fd). */
void img_writer_free(struct img_writer *w);

/* A sequential reader: works on pipes and sockets too. */
struct img_reader {
	int fd;
	struct img_io io;
	struct img_header hdr;
	uint8_t *buf, *raw;
	uint8_t *spare_buf, *spare_raw; /* the other set: img_read alternates */
	uint64_t nrec, npages, offset;
	int done;
	/* A regular file is read through a read-only mapping, not copied
	 * (it must not be truncated while it is read). */
	const uint8_t *map;
	size_t map_len; /* bytes of the stream in the mapping */
	uint64_t base;	/* file offset of the stream's first byte */
};

/* One record as read: data stays valid through the next img_read (which
 * reads into the other set of buffers), so one record can be applied while
 * the next is read. */
struct img_view {
	uint16_t type;
	uint32_t len;
	const uint8_t *data;
	uint64_t offset;  /* where the record starts in the stream */
	int64_t file_off; /* file offset of data when it is stored raw in a mapped file, else -1 */
};

/* Read and check the header. */
int img_reader_open(struct img_reader *r, int fd, struct err *e);
int img_reader_open_io(struct img_reader *r, const struct img_io *io, struct err *e);
/* Next record: 1 with *v filled, 0 after a valid END, negative on error. */
int img_read(struct img_reader *r, struct img_view *v, struct err *e);
void img_reader_free(struct img_reader *r);
/* Check a record's length is exactly n (or at least n when var is set). */
int img_expect(const struct img_view *v, size_t n, int var, struct err *e);
/* Name of a record type. */
const char *img_type_name(unsigned type);

#endif
