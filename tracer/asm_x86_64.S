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

/* weft_spill_call(fn, arg) pushes the callee-saved registers (and an
 * alignment word) and calls fn(arg, sp), sp pointing at them: the caller's
 * frames and every register they may keep a pointer in are then in
 * [sp, stack_hi), which is what the collector scans (mheap.h). */
        .globl  weft_spill_call
        .hidden weft_spill_call
        .type   weft_spill_call, @function
weft_spill_call:
        .cfi_startproc
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        subq    $8, %rsp
        .cfi_adjust_cfa_offset 8
        movq    %rdi, %rax
        movq    %rsi, %rdi
        movq    %rsp, %rsi
        call    *%rax
        /* fn preserved the callee-saved registers: drop the copies. */
        addq    $56, %rsp
        .cfi_adjust_cfa_offset -56
        ret
        .cfi_endproc
        .size   weft_spill_call, .-weft_spill_call

/* The public weft_syscall_enter: a jump, so that weft_spill_call saves
 * the registers of the caller itself (proc.c, weft_syscall_enter_spilled). */
        .globl  weft_syscall_enter
        .type   weft_syscall_enter, @function
weft_syscall_enter:
        .cfi_startproc
        leaq    weft_syscall_enter_spilled(%rip), %rdi
        xorl    %esi, %esi
        jmp     weft_spill_call
        .cfi_endproc
        .size   weft_syscall_enter, .-weft_syscall_enter

        .section .note.GNU-stack,"",@progbits
