/* asm_aarch64.S — the goroutine context switch for AArch64 (AAPCS64).
 *
 * weft_ctx_switch(from, to) stores the callee-saved x19–x30, d8–d15 and
 * FPCR in a 176-byte frame on the current stack, saves sp in *from, loads
 * *to's sp and restores the same frame. x30 (lr) is the resume address.
 *
 * Frame layout at a saved sp (offsets): x19..x28 0–79, x29 80, x30 88,
 * d8..d15 96–159, fpcr 160.
 */
        .text
        .globl  weft_ctx_switch
        .hidden weft_ctx_switch
        .type   weft_ctx_switch, %function
weft_ctx_switch:
        sub     sp, sp, #176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x9, sp
        str     x9, [x0]
        ldr     x9, [x1]
        mov     sp, x9
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        ret
        .size   weft_ctx_switch, .-weft_ctx_switch

/* A new goroutine's first switch returns here (x30 of its initial frame).
 * x29 = 0 ends frame-pointer walks at this frame. */
        .globl  weft_goroutine_trampoline
        .hidden weft_goroutine_trampoline
        .type   weft_goroutine_trampoline, %function
weft_goroutine_trampoline:
        mov     x29, #0
        mov     x30, #0
        bl      weft_goroutine_main
        brk     #0
        .size   weft_goroutine_trampoline, .-weft_goroutine_trampoline

/* weft_spill_call(fn, arg) stores the callee-saved x19–x30 in a 96-byte
 * frame and calls fn(arg, sp), sp pointing at them: the caller's frames
 * and every register they may keep a pointer in are then in
 * [sp, stack_hi), which is what the collector scans (mheap.h). */
        .globl  weft_spill_call
        .hidden weft_spill_call
        .type   weft_spill_call, %function
weft_spill_call:
        sub     sp, sp, #96
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        mov     x9, x0
        mov     x0, x1
        mov     x1, sp
        blr     x9
        /* fn preserved x19–x29; only the return address needs reloading. */
        ldp     x29, x30, [sp, #80]
        add     sp, sp, #96
        ret
        .size   weft_spill_call, .-weft_spill_call

/* The public weft_syscall_enter: a branch, so that weft_spill_call saves
 * the registers of the caller itself (proc.c, weft_syscall_enter_spilled). */
        .globl  weft_syscall_enter
        .type   weft_syscall_enter, %function
weft_syscall_enter:
        adrp    x0, weft_syscall_enter_spilled
        add     x0, x0, :lo12:weft_syscall_enter_spilled
        mov     x1, #0
        b       weft_spill_call
        .size   weft_syscall_enter, .-weft_syscall_enter

        .section .note.GNU-stack,"",%progbits
