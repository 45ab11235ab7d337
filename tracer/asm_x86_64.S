/* asm_x86_64.S — the goroutine context switch for x86-64 (System V).
 *
 * weft_ctx_switch(from, to) pushes the callee-saved registers and the
 * SSE/x87 control words on the current stack, stores the stack pointer in
 * *from, loads *to's and pops the same frame. Everything else is
 * caller-saved by the ABI, so this is a complete switch. Keeping the
 * registers on the goroutine's own stack means a conservative scan of
 * [sp, stack_hi) sees them.
 *
 * Frame layout at a saved sp (low to high):
 *   mxcsr(4) fpucw(4) r15 r14 r13 r12 rbx rbp return-address
 */
        .text
        .globl  weft_ctx_switch
        .hidden weft_ctx_switch
        .type   weft_ctx_switch, @function
weft_ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    (%rsi), %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   weft_ctx_switch, .-weft_ctx_switch

/* A new goroutine's first switch "returns" here with rsp 16-byte aligned.
 * rbp = 0 ends frame-pointer walks at this frame. */
        .globl  weft_goroutine_trampoline
        .hidden weft_goroutine_trampoline
        .type   weft_goroutine_trampoline, @function
weft_goroutine_trampoline:
        .cfi_startproc
        .cfi_undefined rip
        xorl    %ebp, %ebp
        call    weft_goroutine_main
        ud2
        .cfi_endproc
        .size   weft_goroutine_trampoline, .-weft_goroutine_trampoline

        .section .note.GNU-stack,"",@progbits
