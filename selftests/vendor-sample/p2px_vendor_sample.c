// SPDX-License-Identifier: GPL-2.0
/*
 * A vendor driver in miniature, written against the upstream PCI P2PDMA
 * names of <linux/pci-p2pdma.h> and built out of tree from the installed
 * p2pdma-ext-dev package only, with P2PDMA_EXT_UPSTREAM_NAMES=y
 * (tools/pkgtest.sh): the drop-in header of the package maps those names
 * onto p2pdma_ext.ko where the kernel lacks CONFIG_PCI_P2PDMA; where it
 * has it, they are the kernel's own.
 *
 * At load it logs the p2pdma_ext version. It drives QEMU's edu device
 * (1234:11e8): at probe, P2P memory from the provider nearest to edu
 * (pci_p2pmem_find(), pci_alloc_p2pmem(), pci_p2pmem_virt_to_bus()) is
 * written by edu's DMA engine (RAM -> edu -> P2P memory) and checked
 * through the CPU mapping, then the CPU writes the inverted pattern there
 * and edu reads it back into RAM (P2P memory -> edu -> RAM), checked too.
 * One log line says how many bytes moved; any failure fails the probe
 * with one log line naming the step.
 *
 * The bus address is the DMA address only when the pair is mapped by bus
 * address (behind one switch, no translating IOMMU): the sample checks
 * pci_p2pdma_distance() and refuses otherwise; a real driver would map
 * with the DMA API.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>

#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2	/* edu buffer -> address; else address -> edu */
#define EDU_BUF		0x40000
#define SAMPLE_LEN	1024	/* below edu's 4 KiB buffer */

static int sample_edu_dma(void __iomem *regs, u64 src, u64 dst, u32 cmd)
{
	int i;

	writeq(src, regs + EDU_DMA_SRC);
	writeq(dst, regs + EDU_DMA_DST);
	writeq(SAMPLE_LEN, regs + EDU_DMA_CNT);
	writeq(cmd | EDU_CMD_START, regs + EDU_DMA_CMD);
	for (i = 0; i < 150; i++) {
		if (!(readq(regs + EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		msleep(20);
	}
	return -ETIMEDOUT;
}

static u8 sample_pattern(size_t i)
{
	return (u8)(0x5a + 7 * i + (i >> 8));
}

/* edu: RAM -> P2P memory, then P2P memory -> RAM; 0 or the step's errno. */
static int sample_move(void __iomem *regs, u8 *ram, dma_addr_t ram_dma,
		       u8 *p2p, u64 bus, const char **step)
{
	size_t i;
	int ret;

	for (i = 0; i < SAMPLE_LEN; i++)
		ram[i] = sample_pattern(i);
	*step = "DMA to P2P memory";
	ret = sample_edu_dma(regs, ram_dma, EDU_BUF, 0);
	if (!ret)
		ret = sample_edu_dma(regs, EDU_BUF, bus, EDU_CMD_TO_RAM);
	if (ret)
		return ret;
	*step = "CPU check of the P2P memory";
	for (i = 0; i < SAMPLE_LEN; i++)
		if (readb(p2p + i) != sample_pattern(i))
			return -EIO;

	for (i = 0; i < SAMPLE_LEN; i++)
		writeb(~sample_pattern(i), p2p + i);
	memset(ram, 0, SAMPLE_LEN);
	*step = "DMA from P2P memory";
	ret = sample_edu_dma(regs, bus, EDU_BUF, 0);
	if (!ret)
		ret = sample_edu_dma(regs, EDU_BUF, ram_dma, EDU_CMD_TO_RAM);
	if (ret)
		return ret;
	*step = "check of what edu read";
	for (i = 0; i < SAMPLE_LEN; i++)
		if (ram[i] != (u8)~sample_pattern(i))
			return -EIO;
	return 0;
}

static int sample_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	const char *step = "pcim_enable_device";
	struct pci_dev *prov = NULL;
	void __iomem *regs;
	dma_addr_t ram_dma;
	u8 *ram = NULL;
	void *p2p = NULL;
	int dist, ret;
	u64 bus;

	ret = pcim_enable_device(pdev);
	if (ret)
		goto out;
	step = "BAR0";
	regs = pcim_iomap(pdev, 0, 0);
	if (!regs) {
		ret = -ENOMEM;
		goto out;
	}
	pci_set_master(pdev);
	step = "dma_set_mask";
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		goto out;

	step = "pci_p2pmem_find";
	ret = -ENODEV;
	prov = pci_p2pmem_find(&pdev->dev);
	if (!prov)
		goto out;
	step = "pci_p2pdma_distance";
	dist = pci_p2pdma_distance(prov, &pdev->dev, true);
	if (dist < 0)
		goto out;
	step = "pci_alloc_p2pmem";
	ret = -ENOMEM;
	p2p = pci_alloc_p2pmem(prov, SAMPLE_LEN);
	if (!p2p)
		goto out;
	step = "pci_p2pmem_virt_to_bus";
	ret = -EFAULT;
	bus = pci_p2pmem_virt_to_bus(prov, p2p);
	if (!bus)
		goto out;
	step = "dma_alloc_coherent";
	ret = -ENOMEM;
	ram = dma_alloc_coherent(&pdev->dev, SAMPLE_LEN, &ram_dma, GFP_KERNEL);
	if (!ram)
		goto out;

	ret = sample_move(regs, ram, ram_dma, p2p, bus, &step);
	if (!ret)
		pci_info(pdev, "p2px_vendor_sample: %d bytes moved by edu DMA to and from P2P memory of %s (distance %d), pattern checked\n",
			 SAMPLE_LEN, pci_name(prov), dist);
out:
	if (ram)
		dma_free_coherent(&pdev->dev, SAMPLE_LEN, ram, ram_dma);
	if (p2p)
		pci_free_p2pmem(prov, p2p, SAMPLE_LEN);
	pci_dev_put(prov);
	if (ret)
		pci_err(pdev, "p2px_vendor_sample: %s failed: %d\n", step, ret);
	return ret;
}

static const struct pci_device_id sample_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },	/* QEMU edu */
	{ }
};
MODULE_DEVICE_TABLE(pci, sample_ids);

static struct pci_driver sample_driver = {
	.name = "p2px_vendor_sample",
	.id_table = sample_ids,
	.probe = sample_probe,
};

static int __init p2px_vendor_sample_init(void)
{
	pr_info("p2px_vendor_sample: p2pdma_ext version %s, %s back end\n",
		p2pdma_ext_version(),
		p2pdma_ext_is_native() ? "native" : "ext");
	return pci_register_driver(&sample_driver);
}

static void __exit p2px_vendor_sample_exit(void)
{
	pci_unregister_driver(&sample_driver);
}

module_init(p2px_vendor_sample_init);
module_exit(p2px_vendor_sample_exit);

P2PDMA_EXT_IMPORT_NS();
MODULE_DESCRIPTION("p2pdma-ext vendor driver sample with upstream names (package test)");
MODULE_LICENSE("GPL");
