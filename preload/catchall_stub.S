/*
 * catchall_stub.S - the system call instruction of catch-all mode
 * (catchall.c): the SIGSYS handler re-issues a trapped call from here.
 * The filter traps only calls made from inside libc's text; this stub is
 * in our library, in a section of its own, so its calls always pass.
 *
 *   long mp_catchall_syscall6(long nr, long a1, long a2, long a3,
 *                             long a4, long a5, long a6);
 *
 * Returns the kernel's answer (-errno on failure).  It pushes nothing, so
 * the default unwind rule (return address at the stack pointer) holds at
 * every instruction: cancellation unwinds through it from a SIGCANCEL
 * delivered while the call blocks.
 */
#if defined(__x86_64__)
	.section .text.mp_catchall,"ax",@progbits
	.globl	mp_catchall_syscall6
	.hidden	mp_catchall_syscall6
	.type	mp_catchall_syscall6, @function
mp_catchall_syscall6:
	.cfi_startproc
	endbr64
	movq	%rdi, %rax		/* nr */
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9		/* a6, the seventh argument */
	syscall
	ret
	.cfi_endproc
	.size	mp_catchall_syscall6, .-mp_catchall_syscall6
	.section .note.GNU-stack,"",@progbits
#endif
