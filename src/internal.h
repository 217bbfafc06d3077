/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdma-ext: the module's name, shared by every file. The interfaces
 * between files are declared in headers of their own: chardev.h,
 * provider.h, dmabuf.h (dmabuf.c, dmabuf_list.c, dmabuf_ioctl.c), uarg.h
 * (the ioctl argument rules), topology.h (the topology layers), registry.h
 * (the provider registry's back ends).
 */
#ifndef P2PDMA_EXT_INTERNAL_H
#define P2PDMA_EXT_INTERNAL_H

#define P2PX_NAME	"p2pdma_ext"

#endif /* P2PDMA_EXT_INTERNAL_H */
