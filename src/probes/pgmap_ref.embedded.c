// SPDX-License-Identifier: GPL-2.0
/* struct dev_pagemap embeds its percpu_ref. */
#include <linux/memremap.h>

struct percpu_ref *p2px_probe(struct dev_pagemap *pgmap);
struct percpu_ref *p2px_probe(struct dev_pagemap *pgmap)
{
	return &pgmap->ref;
}
