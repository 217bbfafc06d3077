// SPDX-License-Identifier: GPL-2.0
/* MODULE_IMPORT_NS() and EXPORT_SYMBOL_NS*() take a string literal. */
#include <linux/build_bug.h>
#include <linux/module.h>

#undef MODULE_INFO
#define MODULE_INFO(tag, info) \
	static const char p2px_probe_info[] __maybe_unused = info

MODULE_IMPORT_NS("DMA_BUF");
static_assert(sizeof(p2px_probe_info) == sizeof("DMA_BUF"), "quoted twice");
