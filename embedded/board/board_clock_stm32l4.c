/* STM32L4 clock tree (RM0351 §6.4): the 4 MHz MSI (the reset clock) through the main PLL,
 * SYSCLK = 4 MHz / PLLM × PLLN / PLLR, with the flash wait states, prefetch and caches the
 * timing model assumes set first (§3.3.3: latency before raising the clock). Voltage range 1
 * is the reset state, which allows 80 MHz.
 *
 * SB_BOOST (STM32L4+ above 80 MHz, up to 120: RM0432 §5.1.8, range 1 boost mode): HCLK is
 * halved with the AHB prescaler before the switch, PWR_CR5.R1MODE is cleared (boost), the
 * wait states are raised, the PLL is selected, and after at least 1 µs the prescaler goes
 * back to 1. */
#include <stdint.h>

#include "board_clock.h"

#define FLASH_ACR (*(volatile uint32_t *)0x40022000u)
#define RCC_CR (*(volatile uint32_t *)0x40021000u)
#define RCC_CFGR (*(volatile uint32_t *)0x40021008u)
#define RCC_PLLCFGR (*(volatile uint32_t *)0x4002100Cu)

#define ACR_PRFTEN (1u << 8)
#define ACR_ICEN (1u << 9)
#define ACR_DCEN (1u << 10)
#define CR_PLLON (1u << 24)
#define CR_PLLRDY (1u << 25)
#define PLLCFGR_MSI 1u
#define PLLCFGR_PLLREN (1u << 24)
#define CFGR_SW_PLL 3u
#define RCC_APB1ENR1 (*(volatile uint32_t *)0x40021058u)
#define PWR_CR5 (*(volatile uint32_t *)0x40007080u)
#define APB1ENR1_PWREN (1u << 28)
#define CR5_R1MODE (1u << 8)
#define CFGR_HPRE_MASK (0xFu << 4)
#define CFGR_HPRE_DIV2 (0x8u << 4)

#if !defined(SB_PLLM) || !defined(SB_PLLN) || !defined(SB_PLLR) || !defined(SB_FLASH_LATENCY)
#error "define SB_PLLM, SB_PLLN, SB_PLLR and SB_FLASH_LATENCY (the target's clock: section)"
#endif

#ifndef SB_BOOST
#define SB_BOOST 0
#endif

void sb_board_clock(void) {
    if (SB_BOOST) {
        RCC_APB1ENR1 |= APB1ENR1_PWREN;
        (void)RCC_APB1ENR1;  /* the write takes effect before PWR is touched */
        RCC_CFGR = (RCC_CFGR & ~CFGR_HPRE_MASK) | CFGR_HPRE_DIV2;
        PWR_CR5 &= ~CR5_R1MODE;
    }
    FLASH_ACR = (FLASH_ACR & ~0xFu) | SB_FLASH_LATENCY | ACR_PRFTEN | ACR_ICEN | ACR_DCEN;
    while ((FLASH_ACR & 0xFu) != SB_FLASH_LATENCY) {
    }
    RCC_CR &= ~CR_PLLON;
    while (RCC_CR & CR_PLLRDY) {
    }
    RCC_PLLCFGR = PLLCFGR_MSI | ((SB_PLLM - 1u) << 4) | (SB_PLLN << 8) | (((SB_PLLR / 2u) - 1u) << 25) | PLLCFGR_PLLREN;
    RCC_CR |= CR_PLLON;
    while (!(RCC_CR & CR_PLLRDY)) {
    }
    RCC_CFGR = (RCC_CFGR & ~3u) | CFGR_SW_PLL;
    while (((RCC_CFGR >> 2) & 3u) != CFGR_SW_PLL) {
    }
    if (SB_BOOST) {
        for (volatile int i = 0; i < 200; i++) {  /* ≥ 1 µs at HCLK/2 (≤ 60 MHz: 60 cycles) */
        }
        RCC_CFGR &= ~CFGR_HPRE_MASK;
    }
}
