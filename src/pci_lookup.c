// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext PCI lookups: the function of a topology id or of a
 * "DDDD:BB:DD.F" name, sets of functions with references.
 * Calls nothing in the module but the decision core's id macros.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "pci_lookup.h"

/**
 * p2px_pci_get_by_id() - look up a PCI function by topology id
 * @id: P2PX_TOPO_ID() of the function
 *
 * Finds the bus, then the function on it, rather than stepping through
 * every PCI device (pci_get_domain_bus_and_slot()); the rescan/remove
 * lock keeps the bus from going away in between.
 *
 * Context: process context; takes pci_lock_rescan_remove(), so the caller
 * must not hold a device lock.
 * Return: the function with a reference (pci_dev_put() it), or NULL.
 */
struct pci_dev *p2px_pci_get_by_id(u64 id)
{
	u64 domain = P2PX_TOPO_ID_DOMAIN(id);
	struct pci_dev *pdev = NULL;
	struct pci_bus *bus;

	if (domain > INT_MAX)
		return NULL;
	pci_lock_rescan_remove();
	bus = pci_find_bus((int)domain, P2PX_TOPO_ID_BUS(id));
	if (bus)
		pdev = pci_get_slot(bus, P2PX_TOPO_ID_DEVFN(id));
	pci_unlock_rescan_remove();
	return pdev;
}

/**
 * p2px_pci_put_all() - drop the references of a set of functions, free it
 * @devs: the set (kvmalloc()ed), or NULL
 * @n: functions in @devs
 */
void p2px_pci_put_all(struct pci_dev **devs, unsigned int n)
{
	unsigned int i;

	if (!devs)
		return;
	for (i = 0; i < n; i++)
		pci_dev_put(devs[i]);
	kvfree(devs);
}

/**
 * p2px_pci_get_ids() - the functions of a list of ids, with references
 * @ids: P2PX_TOPO_ID()s
 * @n: entries in @ids
 * @devs: receives the functions
 *
 * Return: 0, or -ENODEV (and no references held) if an id names none.
 */
int p2px_pci_get_ids(const u64 *ids, unsigned int n, struct pci_dev **devs)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		devs[i] = p2px_pci_get_by_id(ids[i]);
		if (!devs[i]) {
			while (i)
				pci_dev_put(devs[--i]);
			return -ENODEV;
		}
	}
	return 0;
}

static int p2px_cmp_dev(const void *a, const void *b)
{
	u64 ia = p2px_pci_id(*(struct pci_dev * const *)a);
	u64 ib = p2px_pci_id(*(struct pci_dev * const *)b);

	return ia < ib ? -1 : ia > ib;
}

/**
 * p2px_pci_get_all() - every PCI function, sorted by id, with references
 * @max: most functions wanted
 * @devs: receives the set (free it with p2px_pci_put_all())
 * @n: receives the number of functions there are
 *
 * Return: 0, -ENOMEM, or -ENOSPC when there are more than @max (*@devs
 * then holds @max of them).
 */
int p2px_pci_get_all(unsigned int max, struct pci_dev ***devs,
		     unsigned int *n)
{
	struct pci_dev *pdev = NULL;
	unsigned int count = 0;

	*devs = kvcalloc(max, sizeof(**devs), GFP_KERNEL);
	if (!*devs)
		return -ENOMEM;
	for_each_pci_dev(pdev) {
		if (count < max)
			(*devs)[count] = pci_dev_get(pdev);
		count++;
	}
	*n = count;
	sort(*devs, min(count, max), sizeof(**devs), p2px_cmp_dev, NULL);
	return count > max ? -ENOSPC : 0;
}

/**
 * p2px_pci_ancestor() - the nearest PCI function at or above a device
 * @dev: the device, or NULL
 *
 * Return: the function with a reference (pci_dev_put() it), or NULL.
 */
struct pci_dev *p2px_pci_ancestor(struct device *dev)
{
	for (; dev; dev = dev->parent)
		if (dev_is_pci(dev))
			return pci_dev_get(to_pci_dev(dev));
	return NULL;
}

/**
 * p2px_parse_bdf() - parse "DDDD:BB:DD.F" or "BB:DD.F"
 * @s: the text; leading blanks are skipped, parsing stops at a blank
 * @id: receives the topology id
 * @end: if not NULL, receives the position after the name
 *
 * Return: 0, or -EINVAL if @s does not start with a device name.
 */
int p2px_parse_bdf(const char *s, u64 *id, const char **end)
{
	unsigned int domain = 0, bus, dev, fn;
	int n = 0;

	s = skip_spaces(s);
	if (sscanf(s, "%x:%x:%x.%x%n", &domain, &bus, &dev, &fn, &n) != 4) {
		domain = 0;
		n = 0;
		if (sscanf(s, "%x:%x.%x%n", &bus, &dev, &fn, &n) != 3)
			return -EINVAL;
	}
	if (bus > 0xff || dev > 0x1f || fn > 7 || domain > INT_MAX ||
	    (s[n] && !isspace(s[n])))
		return -EINVAL;
	*id = P2PX_TOPO_ID(domain, bus, PCI_DEVFN(dev, fn));
	if (end)
		*end = s + n;
	return 0;
}
