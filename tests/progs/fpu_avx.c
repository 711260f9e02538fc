/* fpu_avx: x87 stack and control word, MXCSR, xmm/ymm survive a wait done in asm. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "progs.h"

#define NAME "fpu_avx"
#define STR_(x) #x
#define STR(x) STR_(x)
#define WAIT_ROUNDS 24000 /* 5 ms polls: 120 s */

/* Everything the asm routine reads or writes; offsets are fixed below. */
struct fpu_ctx {
	const char *go;		 /* 0: go file, NULL for no wait */
	const char *ready;	 /* 8: READY line */
	long ready_len;		 /* 16 */
	long avx;		 /* 24: load ymm (1) or only xmm (0) */
	long timed_out;		 /* 32: set by the routine */
	uint32_t mxcsr_in;	 /* 40 */
	uint32_t mxcsr_out;	 /* 44 */
	uint16_t fcw_in;	 /* 48 */
	uint16_t fcw_out;	 /* 50 */
	uint32_t pad;		 /* 52 */
	struct timespec nap;	 /* 56 */
	long double st_in[8];	 /* 80: st(0) is st_in[7] after the loads */
	long double st_out[8];	 /* 208 */
	uint8_t vec_in[16][32];	 /* 336 */
	uint8_t vec_out[16][32]; /* 848 */
};
_Static_assert(offsetof(struct fpu_ctx, nap) == 56, "nap");
_Static_assert(offsetof(struct fpu_ctx, st_in) == 80, "st_in");
_Static_assert(offsetof(struct fpu_ctx, st_out) == 208, "st_out");
_Static_assert(offsetof(struct fpu_ctx, vec_in) == 336, "vec_in");
_Static_assert(offsetof(struct fpu_ctx, vec_out) == 848, "vec_out");

void fpu_run(struct fpu_ctx *c);

/* Load, announce, wait with raw syscalls, store back. No compiler code runs in
 * between, so nothing but the checkpoint can touch the registers. Offsets are
 * those of struct fpu_ctx; x86-64 syscall numbers: write 1, access 21,
 * nanosleep 35. */
// clang-format off
__asm__(".text\n"
	".globl fpu_run\n"
	".type fpu_run, @function\n"
	"fpu_run:\n"
	"	push %r12\n"
	"	push %r13\n"
	"	sub $16, %rsp\n"
	"	mov %rdi, %r12\n"
	"	stmxcsr 0(%rsp)\n"		/* the caller's, restored on return */
	"	fnstcw 4(%rsp)\n"
	"	fninit\n"
	"	fldcw 48(%r12)\n"
	"	ldmxcsr 40(%r12)\n"
	"	.irp i,0,1,2,3,4,5,6,7\n"
	"	fldt 80+16*\\i(%r12)\n"
	"	.endr\n"
	"	cmpq $0, 24(%r12)\n"
	"	je 1f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu 336+32*\\i(%r12), %ymm\\i\n"
	"	.endr\n"
	"	jmp 2f\n"
	"1:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu 336+32*\\i(%r12), %xmm\\i\n"
	"	.endr\n"
	"2:	mov $1, %eax\n"			/* write(1, ready, ready_len) */
	"	mov $1, %edi\n"
	"	mov 8(%r12), %rsi\n"
	"	mov 16(%r12), %rdx\n"
	"	syscall\n"
	"	cmpq $0, 0(%r12)\n"		/* no go file: no wait */
	"	je 5f\n"
	"	mov $" STR(WAIT_ROUNDS) ", %r13\n"
	"3:	mov $21, %eax\n"		/* access(go, F_OK) == 0 ends the wait */
	"	mov 0(%r12), %rdi\n"
	"	xor %esi, %esi\n"
	"	syscall\n"
	"	test %rax, %rax\n"
	"	je 5f\n"
	"	dec %r13\n"
	"	je 4f\n"
	"	mov $35, %eax\n"		/* nanosleep(&nap, NULL) */
	"	lea 56(%r12), %rdi\n"
	"	xor %esi, %esi\n"
	"	syscall\n"
	"	jmp 3b\n"
	"4:	movq $1, 32(%r12)\n"		/* timed out */
	"5:	stmxcsr 44(%r12)\n"
	"	fnstcw 50(%r12)\n"
	"	.irp i,7,6,5,4,3,2,1,0\n"	/* st(0) was loaded last */
	"	fstpt 208+16*\\i(%r12)\n"
	"	.endr\n"
	"	cmpq $0, 24(%r12)\n"
	"	je 6f\n"
	"	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	vmovdqu %ymm\\i, 848+32*\\i(%r12)\n"
	"	.endr\n"
	"	vzeroupper\n"
	"	jmp 7f\n"
	"6:	.irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	"	movdqu %xmm\\i, 848+32*\\i(%r12)\n"
	"	.endr\n"
	"7:	ldmxcsr 0(%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	add $16, %rsp\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	ret\n"
	".size fpu_run, .-fpu_run\n");
// clang-format on

/* Fill the inputs with values no default state could produce. */
static void fill(struct fpu_ctx *c)
{
	for (int i = 0; i < 8; i++)
		c->st_in[i] = (i + 1) / 3.0L + (long double)i * 1e-17L; /* full 64-bit mantissas */
	for (int r = 0; r < 16; r++)
		for (int b = 0; b < 32; b++)
			c->vec_in[r][b] = (uint8_t)(r * 37 + b * 11 + 1);
	c->mxcsr_in = 0x1f80 | 0x6000; /* all masked, round toward zero */
	c->fcw_in = 0x037f | 0x0c00;   /* default, round toward zero */
	c->nap.tv_nsec = 5 * 1000 * 1000;
}

/* Compare what came back with what went in. */
static void verify(const struct fpu_ctx *c)
{
	if (c->timed_out)
		progs_fail(NAME, "timed out waiting for %s", c->go);
	if (c->mxcsr_out != c->mxcsr_in)
		progs_fail(NAME, "mxcsr %#x, want %#x", c->mxcsr_out, c->mxcsr_in);
	if ((c->fcw_out & 0x1f3f) != (c->fcw_in & 0x1f3f))
		progs_fail(NAME, "x87 control word %#x, want %#x", c->fcw_out, c->fcw_in);
	for (int i = 0; i < 8; i++)
		if (memcmp(&c->st_in[i], &c->st_out[i], 10) != 0)
			progs_fail(NAME, "x87 st(%d) = %.21Lg, want %.21Lg", 7 - i, c->st_out[i],
				   c->st_in[i]);
	int len = c->avx ? 32 : 16;
	for (int r = 0; r < 16; r++)
		if (memcmp(c->vec_in[r], c->vec_out[r], len) != 0)
			progs_fail(NAME, "%s%d differs", c->avx ? "ymm" : "xmm", r);
}

int main(void)
{
	static struct fpu_ctx c __attribute__((aligned(32)));
	static char ready[64];
	fill(&c);
	c.go = getenv("MOSTEST_GO");
	c.avx = __builtin_cpu_supports("avx");
	if (!c.avx)
		progs_say("note: no AVX, testing x87 and SSE only\n");
	c.ready_len = snprintf(ready, sizeof(ready), "READY %s pid=%d\n", NAME, (int)getpid());
	c.ready = ready;
	fflush(stdout);

	fpu_run(&c);

	verify(&c);
	progs_pass(NAME);
}
