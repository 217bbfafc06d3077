/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext control device /dev/p2pdma_ext (chardev.c).
 */
#ifndef P2PDMA_EXT_CHARDEV_H
#define P2PDMA_EXT_CHARDEV_H

int p2px_chardev_init(void);
void p2px_chardev_exit(void);

#endif /* P2PDMA_EXT_CHARDEV_H */
