"""Getting trained models onto microcontrollers: int8 quantization, flash/RAM fit, the
kernel plan and generated C, the firmware in QEMU, latency and the deploy report."""
