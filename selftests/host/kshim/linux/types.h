/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's fixed-size types, over the system's uapi <linux/types.h>. */
#ifndef P2PDMA_EXT_KSHIM_TYPES_H
#define P2PDMA_EXT_KSHIM_TYPES_H

#include_next <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#endif /* P2PDMA_EXT_KSHIM_TYPES_H */
