/* stub.c: the restore stub. A static, libc-free program whose entry point is
 * the injection trampoline itself: "syscall; int3". The restorer executes it
 * under ptrace, points it at syscalls of its choosing, and finally replaces
 * every mapping of the stub with the image's. It never runs on its own: if it
 * ever did, it would just sit in pause(). */
__attribute__((naked, noreturn)) void _start(void)
{
	__asm__ volatile("syscall\n\t"
			 "int3\n\t"
			 "1: mov $34, %eax\n\t" /* pause */
			 "syscall\n\t"
			 "jmp 1b\n\t");
}
