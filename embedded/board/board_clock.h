/* The board's clock tree and flash latency (board_clock_stm32l4.c); the code generator
 * defines SB_PLLM, SB_PLLN, SB_PLLR and SB_FLASH_LATENCY from conf/target/<board>.yaml. */
#ifndef SB_BOARD_CLOCK_H
#define SB_BOARD_CLOCK_H
void sb_board_clock(void);
#endif
