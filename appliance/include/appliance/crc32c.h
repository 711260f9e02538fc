/* crc32c.h: CRC-32C (Castagnoli), hardware-accelerated when the CPU has SSE4.2. */
#ifndef APPLIANCE_CRC32C_H
#define APPLIANCE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc over buf; start with 0. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
