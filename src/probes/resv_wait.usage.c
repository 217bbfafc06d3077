// SPDX-License-Identifier: GPL-2.0
/* dma_resv_wait_timeout() takes an enum dma_resv_usage. */
#include <linux/dma-resv.h>

long p2px_probe(struct dma_resv *obj);
long p2px_probe(struct dma_resv *obj)
{
	return dma_resv_wait_timeout(obj, DMA_RESV_USAGE_BOOKKEEP, false,
				     MAX_SCHEDULE_TIMEOUT);
}
