// SPDX-License-Identifier: GPL-2.0
/*
 * A vendor driver in miniature: built out of tree against the installed
 * p2pdma-ext-dev package only (tools/pkgtest.sh), it calls into
 * p2pdma_ext.ko and logs what it got, which the test checks.
 */
#include <linux/module.h>
#include <linux/p2pdma_ext.h>

static int __init p2px_vendor_sample_init(void)
{
	pr_info("p2px_vendor_sample: p2pdma_ext version %s, %s back end\n",
		p2pdma_ext_version(),
		p2pdma_ext_is_native() ? "native" : "ext");
	return 0;
}

static void __exit p2px_vendor_sample_exit(void)
{
}

module_init(p2px_vendor_sample_init);
module_exit(p2px_vendor_sample_exit);

P2PDMA_EXT_IMPORT_NS();
MODULE_DESCRIPTION("p2pdma-ext vendor driver sample (package test)");
MODULE_LICENSE("GPL");
