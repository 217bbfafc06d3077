// SPDX-License-Identifier: GPL-2.0
/* page_pgmap() returns the pgmap of a ZONE_DEVICE page. */
#include <linux/mm.h>
#include <linux/memremap.h>

struct dev_pagemap *p2px_probe(struct page *page);
struct dev_pagemap *p2px_probe(struct page *page)
{
	return page_pgmap(page);
}
