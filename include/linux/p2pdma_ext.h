/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext: PCI peer-to-peer DMA for kernels built without it.
 *
 * Public kernel API for vendor drivers. Every symbol is exported in the
 * P2PDMA_EXT namespace: a user module says MODULE_IMPORT_NS(P2PDMA_EXT)
 * (a string literal, "P2PDMA_EXT", on kernels whose MODULE_IMPORT_NS
 * takes strings) or simply P2PDMA_EXT_IMPORT_NS() from this header, which
 * works everywhere.
 */
#ifndef _LINUX_P2PDMA_EXT_H
#define _LINUX_P2PDMA_EXT_H

#include <linux/module.h>
#include <linux/types.h>

/*
 * P2PDMA_EXT_IMPORT_NS() - import the P2PDMA_EXT symbol namespace.
 *
 * Writes the modinfo record directly, which is what MODULE_IMPORT_NS()
 * expands to on every kernel, whether that macro takes a token or a string.
 */
#define P2PDMA_EXT_IMPORT_NS()	MODULE_INFO(import_ns, "P2PDMA_EXT")

/**
 * p2pdma_ext_version() - version of the loaded p2pdma_ext module
 *
 * Return: a static NUL-terminated string such as "0.1.0".
 */
const char *p2pdma_ext_version(void);

/**
 * p2pdma_ext_is_native() - is P2PDMA provided by the kernel itself?
 *
 * Return: true when the running kernel has CONFIG_PCI_P2PDMA and p2pdma_ext
 * delegates to it; false when p2pdma_ext supplies P2P memory itself.
 */
bool p2pdma_ext_is_native(void);

#endif /* _LINUX_P2PDMA_EXT_H */
