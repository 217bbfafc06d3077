// SPDX-License-Identifier: GPL-2.0
/*
 * p2px_upstream_client: the client side of the upstream P2PDMA API as a
 * driver written for Linux 7.2 calls it, built like p2px_upstream with
 * include/p2pdma-ext-compat first on its include path: proof that the
 * drop-in covers every name on every kernel (build only; the test bed's
 * DMA through these calls is p2px_edu's, with the p2pdma_ext names).
 * Loading it does nothing.
 */
#include <linux/dma-buf-mapping.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>

/* The upstream block/IOMMU code's loop over one list, by the names. */
static int p2px_upstream_client_map(struct device *dev, struct sg_table *sgt)
{
	struct pci_p2pdma_map_state state = {};
	struct scatterlist *sg;
	int i, p2p = 0;

	for_each_sgtable_sg(sgt, sg, i) {
		switch (pci_p2pdma_state(&state, dev, sg_page(sg))) {
		case PCI_P2PDMA_MAP_BUS_ADDR:
			p2p++;
			if (pci_p2pdma_bus_addr_map(state.mem, sg_phys(sg)) == 0)
				return -EFAULT;
			break;
		case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
			p2p++;
			break;
		case PCI_P2PDMA_MAP_NONE:
			if (is_pci_p2pdma_page(sg_page(sg)))
				return -EINVAL;
			break;
		default:
			return -EREMOTEIO;
		}
	}
	return p2p;
}

/* A dma-buf exporter's map callback on a provider handle. */
static struct sg_table *
p2px_upstream_client_export(struct dma_buf_attachment *attach,
			    struct p2pdma_provider *provider,
			    phys_addr_t paddr, size_t len)
{
	struct phys_vec vec = { .paddr = paddr, .len = len };

	if (pci_p2pdma_map_type(provider, attach->dev) ==
	    PCI_P2PDMA_MAP_NOT_SUPPORTED)
		return ERR_PTR(-EREMOTEIO);
	return dma_buf_phys_vec_to_sgt(attach, provider, &vec, 1, len,
				       DMA_BIDIRECTIONAL);
}

static void p2px_upstream_client_unexport(struct dma_buf_attachment *attach,
					  struct sg_table *sgt)
{
	dma_buf_free_sgt(attach, sgt, DMA_BIDIRECTIONAL);
}

/* Kept, so that modpost checks every symbol they need is exported. */
static const void *const p2px_upstream_client_calls[] __used = {
	p2px_upstream_client_map,
	p2px_upstream_client_export,
	p2px_upstream_client_unexport,
};

MODULE_DESCRIPTION("p2pdma-ext test: the upstream client API names build everywhere");
MODULE_LICENSE("GPL");
MODULE_INFO(import_ns, "DMA_BUF");
