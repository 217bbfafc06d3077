// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology API for kernel drivers: distances, map types,
 * explanations (recomputed from the hardware) and the cache flush.
 */
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "compat.h"
#include "topology.h"

/* A PCI client is the caller's, valid for the call: no reference needed. */
static int p2px_client_answer(struct pci_dev *provider, struct device *dev,
			      struct p2px_topo_answer *ans)
{
	struct pci_dev *client;
	int ret;

	if (dev && dev_is_pci(dev))
		return p2px_cache_answer(provider, to_pci_dev(dev), ans);
	client = p2px_pci_ancestor(dev);
	if (!client)
		return -ENODEV;
	ret = p2px_cache_answer(provider, client, ans);
	pci_dev_put(client);
	return ret;
}

/* One client of a verbose distance query: recomputed, a no logged why. */
static int p2px_client_verbose(struct pci_dev *provider, struct device *dev,
			       struct p2px_topo_answer *ans)
{
	struct pci_dev *client = p2px_pci_ancestor(dev);
	struct p2px_topo_result *res;
	char *why = NULL;
	int ret = -ENOMEM;

	if (!client) {
		if (dev)
			dev_warn(dev, "not a PCI device: cannot be used for peer-to-peer DMA\n");
		return -ENODEV;
	}
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	if (res)
		ret = p2px_cache_pair(provider, client, res, 0, NULL);
	if (!ret) {
		ans->map = res->map;
		ans->distance = res->distance;
		if (res->map != P2PX_TOPO_MAP_NOT_SUPPORTED)
			goto out;
		why = kmalloc(P2PDMA_EXT_EXPLAIN_MAX, GFP_KERNEL);
		if (why)
			p2px_topo_explain(res, why, P2PDMA_EXT_EXPLAIN_MAX);
	}
	pci_warn(client, "%s\n", why ? why : "no peer-to-peer DMA");
out:
	kfree(why);
	kfree(res);
	pci_dev_put(client);
	return ret;
}

/**
 * p2pdma_ext_distance_many() - how far clients are from a provider
 * @provider: PCI device whose memory (BAR) would be used
 * @clients: devices that would DMA to it; a non-PCI device counts through
 *	its nearest PCI ancestor
 * @num_clients: number of entries in @clients
 * @verbose: log, for every client that cannot use @provider, why not (and
 *	recompute rather than trust the cache)
 *
 * The answer of the kernel's pci_p2pdma_distance_many(), from the module's
 * walker with its allowlist parameters, on every kernel; cached per pair
 * (Documentation/design.rst says when the cache is invalidated).
 *
 * Context: process context; may sleep.
 * Return: the sum of the distances, or -1 if @num_clients is not positive
 * or any client cannot do peer-to-peer DMA with @provider.
 */
int p2pdma_ext_distance_many(struct pci_dev *provider, struct device **clients,
			     int num_clients, bool verbose)
{
	struct p2px_topo_answer ans;
	int i, ret, total = 0;

	if (!provider || !clients || num_clients <= 0)
		return -1;
	for (i = 0; i < num_clients; i++) {
		if (verbose)
			ret = p2px_client_verbose(provider, clients[i], &ans);
		else
			ret = p2px_client_answer(provider, clients[i], &ans);
		total = ret ? -1 : p2px_topo_sum(total, &ans);
		/* Verbose mode judges (and logs) every client. */
		if (total < 0 && !verbose)
			return -1;
	}
	return total;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_distance_many);

/**
 * p2pdma_ext_map_type() - how @client would reach @provider's memory
 * @provider: PCI device whose memory would be used
 * @client: device that would DMA to it (its nearest PCI ancestor counts)
 *
 * Context: any context; does not sleep (client drivers ask it while
 * mapping in atomic context, as upstream's pci_p2pdma_map_type()).
 * Return: P2PDMA_EXT_MAP_BUS_ADDR, P2PDMA_EXT_MAP_THRU_HOST_BRIDGE or
 * P2PDMA_EXT_MAP_NOT_SUPPORTED (also for a client without a PCI ancestor).
 */
enum p2pdma_ext_map_type p2pdma_ext_map_type(struct pci_dev *provider,
					     struct device *client)
{
	struct p2px_topo_answer ans;

	if (!provider || p2px_client_answer(provider, client, &ans))
		return P2PDMA_EXT_MAP_NOT_SUPPORTED;
	return (enum p2pdma_ext_map_type)ans.map;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_map_type);

/**
 * p2px_explain_kernel() - add what the kernel's own table says, if it differs
 * @provider: the provider of the explained pair
 * @client: its client (a PCI device)
 * @res: the explained result
 * @buf: the explanation, @n characters long (truncated if @n >= @len)
 * @len: size of @buf
 * @n: what p2px_topo_explain() returned
 *
 * On the native back end, in-tree drivers mapping with dma_map_sg() get
 * the kernel's answer, from its built-in host bridge table. When that
 * differs from the module's, one sentence says so, before the remedy.
 *
 * Context: process context; may sleep (the kernel caches its answer).
 * Return: the length of the full text, like snprintf().
 */
int p2px_explain_kernel(struct pci_dev *provider, struct pci_dev *client,
			const struct p2px_topo_result *res, char *buf,
			size_t len, int n)
{
	struct device *dev = &client->dev;
	bool ours, theirs;
	char add[160], *r;
	int k;

	if (n < 0 || !p2px_native_p2pdma() ||
	    res->detour == P2PX_TOPO_REASON_NONE)
		return n;
	ours = res->map != P2PX_TOPO_MAP_NOT_SUPPORTED;
	theirs = pci_p2pdma_distance_many(provider, &dev, 1, false) >= 0;
	if (ours == theirs)
		return n;
	k = scnprintf(add, sizeof(add),
		      "In-tree drivers mapping with the kernel's dma_map_sg() follow its built-in host bridge table, not p2pdma_ext's parameters: it %s this pair. ",
		      theirs ? "allows" : "refuses");
	if ((size_t)(n + k) >= len)
		return n + k;
	r = strstr(buf, "Remedy: ");
	if (!r) {
		/* At the end: a space before the sentence, none after. */
		memmove(add + 1, add, k - 1);
		add[0] = ' ';
		r = buf + n;
	}
	memmove(r + k, r, buf + n + 1 - r);
	memcpy(r, add, k);
	return n + k;
}

/**
 * p2pdma_ext_explain() - why @client can or cannot reach @provider
 * @provider: PCI device whose memory would be used
 * @client: device that would DMA to it (its nearest PCI ancestor counts)
 * @buf: one line of text, NUL-terminated when @len is not zero
 * @len: size of @buf; P2PDMA_EXT_EXPLAIN_MAX bytes hold every explanation
 *
 * Recomputes the answer from the hardware (refreshing the cache if it
 * differed). The text names the answer, the devices involved and, unless
 * the path is direct, what to change (kernel command line or parameter).
 *
 * Context: process context; may sleep.
 * Return: the length of the full text (like snprintf()), or -ENODEV if
 * @client has no PCI ancestor, -EINVAL for a NULL argument, -ENOMEM.
 */
int p2pdma_ext_explain(struct pci_dev *provider, struct device *client,
		       char *buf, size_t len)
{
	struct p2px_topo_result *res;
	struct pci_dev *pclient;
	int ret;

	if (!provider || !client || (!buf && len))
		return -EINVAL;
	pclient = p2px_pci_ancestor(client);
	if (!pclient)
		return -ENODEV;
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	ret = res ? p2px_cache_pair(provider, pclient, res, 0, NULL) : -ENOMEM;
	if (ret != -ENOMEM)
		ret = p2px_explain_kernel(provider, pclient, res, buf, len,
					  p2px_topo_explain(res, buf, len));
	kfree(res);
	pci_dev_put(pclient);
	return ret;
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_explain);

/**
 * p2pdma_ext_topology_flush() - forget every cached topology answer
 *
 * For changes the kernel raises no event for, such as a write to ACS
 * Control; PCI hotplug, driver binding and the allowlist parameters
 * invalidate the cache by themselves (as does debugfs p2pdma_ext/flush).
 *
 * Context: process context; may sleep.
 */
void p2pdma_ext_topology_flush(void)
{
	p2px_cache_invalidate();
}
EXPORT_SYMBOL_P2PX(p2pdma_ext_topology_flush);
