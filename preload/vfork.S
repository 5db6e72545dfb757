/*
 * vfork.S - vfork(2), so that the child cannot change our state.
 *
 * The child runs on the parent's memory, TLS and stack until it execs or
 * exits.  Its wrapped calls (CPython's child closes descriptors and resets
 * signal dispositions) would otherwise act on the parent's M and P, and a
 * sigaction on our signal would change the parent's record of it.  So the
 * calling thread's calls pass straight through (mp_m_vfork_begin) from
 * just before the child exists until the parent resumes.
 *
 * It cannot be C: the child returns through the function's frame and then
 * calls on, overwriting it, before the parent returns through it.  Like
 * glibc's vfork, the return address travels in %rdi (the system call
 * keeps it; each task has its own registers) and nothing else of ours is
 * on the stack across the call.
 */
#if defined(__x86_64__)
	.text
	.globl	vfork
	.type	vfork, @function
vfork:
	.cfi_startproc
	endbr64
	subq	$8, %rsp		/* align for the call */
	.cfi_adjust_cfa_offset 8
	call	mp_m_vfork_begin
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rdi			/* our return address */
	.cfi_adjust_cfa_offset -8
	.cfi_register %rip, %rdi
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rip, 0
	testq	%rax, %rax
	jz	1f			/* the child: 0, calls stay passed through */
	movq	%rax, %rdi
	jmp	mp_vfork_parent		/* tail call: (pid or -errno) -> pid or -1 */
1:	ret
	.cfi_endproc
	.size	vfork, .-vfork
	.section .note.GNU-stack,"",@progbits
#endif
