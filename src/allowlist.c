// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext host-bridge allowlist parameters (host_bridge_allow,
 * host_bridge_deny, trust_all_host_bridges), at load and at run time. A
 * new value is parsed whole before anything changes: bad input gets
 * EINVAL and the previous value stays. p2px_policy_gen counts changes.
 *
 * Locking: p2px_policy points to an immutable snapshot. Writers build a new
 * snapshot and swap it in under p2px_policy_lock, then bump
 * p2px_policy_gen; readers dereference it under rcu_read_lock().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "topology.h"

/* The allowlist fields, P2PX_FIELD_ALLOW and _DENY indexing its lists. */
enum p2px_policy_field { P2PX_FIELD_ALLOW, P2PX_FIELD_DENY, P2PX_FIELD_TRUST };

struct p2px_policy {
	struct rcu_head rcu;
	struct p2px_topo_entry list[2][P2PX_TOPO_MAX_ENTRIES];
	unsigned int nr[2];
	bool trust_all;
};

static struct p2px_policy p2px_policy_default;
static struct p2px_policy __rcu *p2px_policy = &p2px_policy_default;
static DEFINE_MUTEX(p2px_policy_lock);
static atomic_t p2px_policy_gen = ATOMIC_INIT(0);

static int p2px_param_set(const char *val, const struct kernel_param *kp)
{
	enum p2px_policy_field field = *(enum p2px_policy_field *)kp->arg;
	struct p2px_policy *old, *new;
	bool was_trusted, trusted;
	char why[96] = "";
	int ret;

	new = kmalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;

	mutex_lock(&p2px_policy_lock);
	old = rcu_dereference_protected(p2px_policy,
					lockdep_is_held(&p2px_policy_lock));
	*new = *old;

	if (field == P2PX_FIELD_TRUST) {
		ret = kstrtobool(val, &new->trust_all);
		if (ret)
			strscpy(why, "expected y/n/1/0", sizeof(why));
	} else {
		ret = p2px_topo_allowlist_parse(val, new->list[field],
						P2PX_TOPO_MAX_ENTRIES,
						&new->nr[field],
						why, sizeof(why));
	}
	if (ret) {
		mutex_unlock(&p2px_policy_lock);
		kfree(new);
		/* Errors at load time are reported by the kernel itself. */
		if (THIS_MODULE->state == MODULE_STATE_LIVE)
			pr_warn("%s: %s: value refused, previous value kept\n",
				kp->name, why);
		return ret;
	}

	was_trusted = old->trust_all;
	trusted = new->trust_all;	/* @new is not ours after the unlock */
	rcu_assign_pointer(p2px_policy, new);
	/* Publish the new snapshot before the generation that announces it. */
	smp_mb__before_atomic();
	atomic_inc(&p2px_policy_gen);
	mutex_unlock(&p2px_policy_lock);

	if (old != &p2px_policy_default)
		kfree_rcu(old, rcu);

	if (trusted && !was_trusted) {
		pr_warn("trust_all_host_bridges is set: peer-to-peer DMA is allowed through every host bridge, which can corrupt data or hang the machine on hardware that does not route it; for testing only\n");
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	}
	return 0;
}

static int p2px_param_get(char *buf, const struct kernel_param *kp)
{
	enum p2px_policy_field field = *(enum p2px_policy_field *)kp->arg;
	const struct p2px_policy *pol;
	int len;

	rcu_read_lock();
	pol = rcu_dereference(p2px_policy);
	if (field == P2PX_FIELD_TRUST)
		len = scnprintf(buf, PAGE_SIZE - 1, "%c",
				pol->trust_all ? 'Y' : 'N');
	else
		len = p2px_topo_allowlist_format(pol->list[field],
						 pol->nr[field], buf,
						 PAGE_SIZE - 1);
	rcu_read_unlock();

	len = clamp(len, 0, (int)PAGE_SIZE - 2);
	buf[len++] = '\n';
	buf[len] = 0;
	return len;
}

/* Which field a parameter sets: its kernel_param's arg. */
static enum p2px_policy_field p2px_fields[] = {
	P2PX_FIELD_ALLOW, P2PX_FIELD_DENY, P2PX_FIELD_TRUST,
};

static const struct kernel_param_ops p2px_param_ops = {
	.set = p2px_param_set,
	.get = p2px_param_get,
};

module_param_cb(host_bridge_allow, &p2px_param_ops,
		&p2px_fields[P2PX_FIELD_ALLOW], 0644);
MODULE_PARM_DESC(host_bridge_allow,
		 "Extra host bridges/root ports that route peer-to-peer DMA: comma-separated VVVV:DDDD (hex; DDDD may be *), ':same' = only within one host bridge. Example: 8086:29c0,1ae0:*");

module_param_cb(host_bridge_deny, &p2px_param_ops,
		&p2px_fields[P2PX_FIELD_DENY], 0644);
MODULE_PARM_DESC(host_bridge_deny,
		 "Built-in allowlist entries to disable: comma-separated VVVV:DDDD (hex)");

module_param_cb(trust_all_host_bridges, &p2px_param_ops,
		&p2px_fields[P2PX_FIELD_TRUST], 0644);
MODULE_PARM_DESC(trust_all_host_bridges,
		 "Allow peer-to-peer DMA through every host bridge (testing only; warns and taints the kernel) [default N]");

/**
 * p2px_policy_fill() - the topology policy now in force
 * @pol: filled in; its allowlist pointers stay valid until the caller
 *	leaves the RCU read-side critical section it must hold
 */
void p2px_policy_fill(struct p2px_topo_policy *pol)
{
	const struct p2px_policy *cur = rcu_dereference(p2px_policy);

	pol->extra = cur->list[P2PX_FIELD_ALLOW];
	pol->nr_extra = cur->nr[P2PX_FIELD_ALLOW];
	pol->removed = cur->list[P2PX_FIELD_DENY];
	pol->nr_removed = cur->nr[P2PX_FIELD_DENY];
	pol->trust_all = cur->trust_all;
	pol->cpu_allows = p2px_cpu_routes_p2p();
}

/**
 * p2px_policy_generation() - how many times the policy has changed
 *
 * A topology answer computed after reading generation G under the policy
 * then in force is out of date once this returns anything but G.
 *
 * Return: the policy generation.
 */
unsigned int p2px_policy_generation(void)
{
	return (unsigned int)atomic_read_acquire(&p2px_policy_gen);
}

/**
 * p2px_allowlist_exit() - free the policy snapshot at module unload
 */
void p2px_allowlist_exit(void)
{
	struct p2px_policy *pol;

	pol = rcu_dereference_protected(p2px_policy, true);
	if (pol != &p2px_policy_default)
		kfree(pol);
	RCU_INIT_POINTER(p2px_policy, &p2px_policy_default);
}
