#ifndef VIGIL_CCRC32C_H
#define VIGIL_CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli) over `length` bytes. Start with 0; the
/// result of one call is the `crc` of the next to checksum data in pieces.
/// Uses the SSE4.2 `crc32` instruction when the CPU has it, a table otherwise.
uint32_t vigil_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// 1 when the hardware path is in use, 0 for the portable table.
int vigil_crc32c_is_hardware(void);

#endif
