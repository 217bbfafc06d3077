// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops frees device memory per page. */
#include <linux/mm.h>
#include <linux/memremap.h>

void p2px_probe_free(struct page *page);
void p2px_probe_free(struct page *page)
{
}

const struct dev_pagemap_ops p2px_probe_ops = { .page_free = p2px_probe_free };
