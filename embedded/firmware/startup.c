/* Cortex-M4F startup for the soundbench test firmware: vector table, .data copy, .bss
 * clear, FPU enable, then main() and a semihosting exit with its return code. */
#include <stdint.h>

#include "semihosting.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);

void Reset_Handler(void) {
    /* CPACR: full access to coprocessors 10 and 11 (the FPU). Without it the first
     * floating-point instruction faults (QEMU models this faithfully). */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= (0xFu << 20);
    __asm volatile("dsb\n isb");

    uint32_t *src = &_sidata;
    for (uint32_t *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
    for (uint32_t *dst = &_sbss; dst < &_ebss;) *dst++ = 0;

    sh_exit(main());
}

static void Fault_Handler(void) {
    sh_write0("firmware: hard fault\n");
    sh_exit(3);
}

__attribute__((section(".isr_vector"), used))
const void *const vector_table[16] = {
    &_estack, (void *)Reset_Handler, (void *)Fault_Handler, (void *)Fault_Handler,
    (void *)Fault_Handler, (void *)Fault_Handler, (void *)Fault_Handler, 0, 0, 0, 0,
    (void *)Fault_Handler, (void *)Fault_Handler, 0, (void *)Fault_Handler, (void *)Fault_Handler,
};
