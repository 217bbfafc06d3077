/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext internal interfaces between the module's files.
 */
#ifndef P2PDMA_EXT_INTERNAL_H
#define P2PDMA_EXT_INTERNAL_H

#include <linux/types.h>

#define P2PX_NAME	"p2pdma_ext"

/* chardev.c: the control device /dev/p2pdma_ext */
int p2px_chardev_init(void);
void p2px_chardev_exit(void);

/* allowlist.c: host-bridge allowlist module parameters */
void p2px_allowlist_exit(void);

#endif /* P2PDMA_EXT_INTERNAL_H */
