// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops frees device memory per folio. */
#include <linux/mm.h>
#include <linux/memremap.h>

void p2px_probe_free(struct folio *folio);
void p2px_probe_free(struct folio *folio)
{
}

const struct dev_pagemap_ops p2px_probe_ops = { .folio_free = p2px_probe_free };
