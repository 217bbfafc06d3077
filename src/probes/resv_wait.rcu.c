// SPDX-License-Identifier: GPL-2.0
/* Only dma_resv_wait_timeout_rcu(obj, wait_all, intr, timeout) exists. */
#include <linux/dma-resv.h>

long p2px_probe(struct dma_resv *obj);
long p2px_probe(struct dma_resv *obj)
{
	return dma_resv_wait_timeout_rcu(obj, true, false,
					 MAX_SCHEDULE_TIMEOUT);
}
