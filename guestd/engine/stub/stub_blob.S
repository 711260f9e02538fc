/* stub_blob.S: the restore stub, embedded in libguestd so a restorer never
 * depends on a file path (the body of a migrated process is rebuilt inside an
 * empty root). Executed from a memfd. */
	.section .rodata
	.global guestd_stub_start
	.global guestd_stub_end
	.balign 16
guestd_stub_start:
	.incbin STUB_PATH
guestd_stub_end:
	.section .note.GNU-stack,"",@progbits
