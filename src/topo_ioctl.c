// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology ioctls of /dev/p2pdma_ext: "why (not)" per
 * provider/client pair, and the whole matrix for a set of devices.
 *
 * Every argument is checked before anything is computed or written back:
 * a bad size, flag or reserved field gives EINVAL, too many entries E2BIG,
 * a device id that names no PCI function ENODEV, a bad pointer EFAULT.
 * Nothing is logged for bad input; the errno is the answer.
 */
#include <linux/build_bug.h>
#include <linux/mm.h>
#include <linux/p2pdma_ext.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"
#include "topology.h"
#include "uarg.h"

/* Largest pair stride accepted (room for the structure to grow). */
#define P2PX_MAX_PAIR_SIZE	4096

static void p2px_check_abi(void)
{
	BUILD_BUG_ON(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED !=
		     P2PDMA_EXT_MAP_NOT_SUPPORTED);
	BUILD_BUG_ON(P2PDMA_EXT_TOPO_MAP_BUS_ADDR != P2PDMA_EXT_MAP_BUS_ADDR);
	BUILD_BUG_ON(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE !=
		     P2PDMA_EXT_MAP_THRU_HOST_BRIDGE);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_topo_pair) != 48);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_topo_pairs) != 48);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_topo_cell) != 8);
	BUILD_BUG_ON(sizeof(struct p2pdma_ext_topo_matrix) != 32);
}

/**
 * p2px_ioctl_topo_pairs() - P2PDMA_EXT_IOC_TOPO_PAIRS
 * @uarg: user pointer to struct p2pdma_ext_topo_pairs
 *
 * Return: 0 or a negative errno (see the uapi header).
 */
long p2px_ioctl_topo_pairs(void __user *uarg)
{
	struct p2pdma_ext_topo_pairs q;
	struct p2pdma_ext_topo_pair *pairs = NULL, *p;
	struct pci_dev **clients = NULL, *provider = NULL;
	struct p2px_topo_result *res = NULL;
	u8 __user *upairs, *utext;
	unsigned int i, n = 0, of;
	char *text = NULL;
	long ret;
	int len;

	p2px_check_abi();
	ret = p2px_get_arg(&q, sizeof(q), uarg);
	if (ret)
		return ret;
	if ((q.flags & ~P2PDMA_EXT_TOPO_Q_CACHED) || q.reserved ||
	    !q.num_clients || q.pair_size < sizeof(*pairs) ||
	    q.pair_size > P2PX_MAX_PAIR_SIZE ||
	    q.text_size > P2PDMA_EXT_TOPO_MAX_TEXT)
		return -EINVAL;
	if (q.num_clients > P2PDMA_EXT_TOPO_MAX_CLIENTS)
		return -E2BIG;
	upairs = u64_to_user_ptr(q.pairs);
	utext = u64_to_user_ptr(q.text);

	pairs = kvcalloc(q.num_clients, sizeof(*pairs), GFP_KERNEL);
	clients = kvcalloc(q.num_clients, sizeof(*clients), GFP_KERNEL);
	res = kmalloc(sizeof(*res), GFP_KERNEL);
	text = q.text_size ? kmalloc(q.text_size, GFP_KERNEL) : NULL;
	if (!pairs || !clients || !res || (q.text_size && !text)) {
		ret = -ENOMEM;
		goto out;
	}
	/* Everything is validated before anything is computed. */
	for (i = 0; i < q.num_clients; i++) {
		if (copy_from_user(&pairs[i], upairs + (size_t)i * q.pair_size,
				   sizeof(pairs[i]))) {
			ret = -EFAULT;
			goto out;
		}
		if (pairs[i].reserved) {
			ret = -EINVAL;
			goto out;
		}
	}
	provider = p2px_pci_get_by_id(q.provider);
	for (ret = provider ? 0 : -ENODEV; !ret && n < q.num_clients; n++) {
		clients[n] = p2px_pci_get_by_id(pairs[n].client);
		if (!clients[n])
			ret = -ENODEV;
	}
	if (ret)
		goto out;

	for (i = 0, p = pairs; i < n; i++, p++) {
		ret = p2px_cache_pair(provider, clients[i], res,
				      q.flags & P2PDMA_EXT_TOPO_Q_CACHED, &of);
		if (ret)
			goto out;
		p->common = res->has_common ? res->common_id : 0;
		p->distance = res->map == P2PX_TOPO_MAP_NOT_SUPPORTED ?
			      -1 : res->distance;
		p->map_type = res->map;
		p->reason = res->reason;
		p->detour = res->detour;
		p->flags = of |
			   (res->has_common ? P2PDMA_EXT_TOPO_F_COMMON : 0) |
			   (res->same_host ? P2PDMA_EXT_TOPO_F_SAME_HOST : 0);
		p->acs_count = res->acs_count;
		len = p2px_topo_explain(res, text, q.text_size);
		len = p2px_explain_kernel(provider, clients[i], res, text,
					  q.text_size, len);
		p->text_len = max(len, 0);

		if (copy_to_user(upairs + (size_t)i * q.pair_size, p,
				 sizeof(*p)) ||
		    (text && copy_to_user(utext + (size_t)i * q.text_size, text,
					  min_t(size_t, p->text_len + 1,
						q.text_size)))) {
			ret = -EFAULT;
			goto out;
		}
		cond_resched();
	}
	ret = 0;
out:
	p2px_pci_put_all(clients, n);
	pci_dev_put(provider);
	kfree(text);
	kfree(res);
	kvfree(pairs);
	return ret;
}

/**
 * p2px_topo_cells() - the answers for every pair of a set of functions
 * @devs: the functions
 * @n: entries in @devs
 * @flags: P2PDMA_EXT_TOPO_Q_CACHED to accept current cached results
 * @cells: receives @n * @n answers, provider @i's row first
 *
 * Context: process context; may sleep.
 * Return: 0 or a negative errno.
 */
int p2px_topo_cells(struct pci_dev **devs, unsigned int n, unsigned int flags,
		    struct p2pdma_ext_topo_cell *cells)
{
	struct p2pdma_ext_topo_cell *c = cells;
	struct p2px_topo_result *res;
	unsigned int i, j;
	int ret = 0;

	res = kmalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i++) {
		for (j = 0; j < n && !ret; j++, c++) {
			ret = p2px_cache_pair(devs[i], devs[j], res, flags,
					      NULL);
			c->map_type = res->map;
			c->distance = res->map == P2PX_TOPO_MAP_NOT_SUPPORTED ?
				      -1 : res->distance;
			c->reason = res->reason;
			c->detour = res->detour;
		}
		cond_resched();
	}
	kfree(res);
	return ret;
}

/**
 * p2px_ioctl_topo_matrix() - P2PDMA_EXT_IOC_TOPO_MATRIX
 * @uarg: user pointer to struct p2pdma_ext_topo_matrix
 *
 * Return: 0 or a negative errno (see the uapi header).
 */
long p2px_ioctl_topo_matrix(void __user *uarg)
{
	struct p2pdma_ext_topo_matrix __user *um = uarg;
	struct p2pdma_ext_topo_matrix m;
	struct p2pdma_ext_topo_cell *cells = NULL;
	struct pci_dev **devs = NULL;
	unsigned int i, n = 0, flags;
	u64 *ids = NULL;
	long ret;

	ret = p2px_get_arg(&m, sizeof(m), uarg);
	if (ret)
		return ret;
	if ((m.flags & ~(P2PDMA_EXT_TOPO_Q_CACHED | P2PDMA_EXT_TOPO_M_ALL)) ||
	    m.reserved || !m.num_devices)
		return -EINVAL;
	if (m.num_devices > P2PDMA_EXT_TOPO_MAX_DEVICES)
		return -E2BIG;
	flags = m.flags & P2PDMA_EXT_TOPO_Q_CACHED;

	ids = kvcalloc(m.num_devices, sizeof(*ids), GFP_KERNEL);
	if (!ids) {
		ret = -ENOMEM;
		goto out;
	}
	if (m.flags & P2PDMA_EXT_TOPO_M_ALL) {
		ret = p2px_pci_get_all(m.num_devices, &devs, &n);
		if (ret == -ENOSPC && put_user(n, &um->num_devices))
			ret = -EFAULT;
		if (ret) {
			n = min(n, m.num_devices);
			goto out;
		}
		for (i = 0; i < n; i++)
			ids[i] = p2px_pci_id(devs[i]);
	} else {
		if (copy_from_user(ids, u64_to_user_ptr(m.devices),
				   m.num_devices * sizeof(*ids))) {
			ret = -EFAULT;
			goto out;
		}
		devs = kvcalloc(m.num_devices, sizeof(*devs), GFP_KERNEL);
		ret = devs ? p2px_pci_get_ids(ids, m.num_devices, devs) :
			     -ENOMEM;
		if (ret)
			goto out;
		n = m.num_devices;
	}

	cells = kvcalloc((size_t)n * n, sizeof(*cells), GFP_KERNEL);
	ret = cells ? p2px_topo_cells(devs, n, flags, cells) : -ENOMEM;
	if (ret)
		goto out;

	if (copy_to_user(u64_to_user_ptr(m.cells), cells,
			 (size_t)n * n * sizeof(*cells)) ||
	    ((m.flags & P2PDMA_EXT_TOPO_M_ALL) &&
	     copy_to_user(u64_to_user_ptr(m.devices), ids, n * sizeof(*ids))) ||
	    put_user(n, &um->num_devices)) {
		ret = -EFAULT;
		goto out;
	}
	ret = 0;
out:
	kvfree(cells);
	p2px_pci_put_all(devs, n);
	kvfree(ids);
	return ret;
}
