// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for src/topology_core.c: hand-written topologies, the
 * allowlist and its parameter parser, the explanations, and a sweep of
 * generated topologies checked against a separate reference oracle.
 */
#include "kselftest_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology_core.h"
#include "uapi/linux/p2pdma_ext.h"

#define DEVFN(dev, fn)	((((dev) & 0x1f) << 3) | ((fn) & 7))
#define EXPLAIN_LEN	P2PDMA_EXT_EXPLAIN_MAX

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

static void node_init(struct p2px_topo_node *n, const struct p2px_topo_node *up,
		      const struct p2px_topo_bridge *hb, unsigned int domain,
		      unsigned int bus, unsigned int dev, unsigned int fn)
{
	memset(n, 0, sizeof(*n));
	n->up = up;
	n->id = P2PX_TOPO_ID(domain, bus, DEVFN(dev, fn));
	n->vendor = 0x1234;
	n->device = 0x0001;
	n->host = hb;
}

static void hb_init(struct p2px_topo_bridge *hb, unsigned int domain,
		    unsigned int bus, bool has_root, u16 vendor, u16 device)
{
	memset(hb, 0, sizeof(*hb));
	hb->id = P2PX_TOPO_HB_ID(domain, bus);
	hb->has_root = has_root;
	hb->root_vendor = vendor;
	hb->root_device = device;
}

/* DDDD:BB:DD.F, as the explanations name a device */
static void dev_name(u64 id, char *buf, size_t len)
{
	snprintf(buf, len, "%04llx:%02x:%02x.%u", P2PX_TOPO_ID_DOMAIN(id),
		 P2PX_TOPO_ID_BUS(id), P2PX_TOPO_ID_DEVFN(id) >> 3,
		 P2PX_TOPO_ID_DEVFN(id) & 7);
}

static void set_acs(struct p2px_topo_node *n, u16 ctrl)
{
	n->has_acs = true;
	n->acs_ctrl = ctrl;
}

static bool has(const char *text, const char *needle)
{
	if (strstr(text, needle))
		return true;
	fprintf(stderr, "# missing \"%s\" in: %s\n", needle, text);
	return false;
}

static bool lacks(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		return true;
	fprintf(stderr, "# unexpected \"%s\" in: %s\n", needle, text);
	return false;
}

static bool ends(const char *text, const char *suffix)
{
	size_t lt = strlen(text), ls = strlen(suffix);

	if (lt >= ls && !strcmp(text + lt - ls, suffix))
		return true;
	fprintf(stderr, "# does not end in \"%s\": %s\n", suffix, text);
	return false;
}

static const char *explain(const struct p2px_topo_result *r)
{
	static char buf[EXPLAIN_LEN];
	int len = p2px_topo_explain(r, buf, sizeof(buf));

	if (len < 0 || (size_t)len >= sizeof(buf))
		fprintf(stderr, "# explanation too long: %d\n", len);
	return buf;
}

/*
 * What p2pdma_ext_distance_many() does with the core: one
 * p2px_topo_answer() per client, added up by p2px_topo_sum(). With @ans,
 * every client is judged (verbose mode) and its answer kept there.
 */
static int sum_answers(const struct p2px_topo_node *provider,
		       const struct p2px_topo_node *const *clients,
		       unsigned int n, const struct p2px_topo_policy *pol,
		       struct p2px_topo_answer *ans)
{
	struct p2px_topo_answer one;
	int total = 0;
	unsigned int i;

	if (!n || !clients)
		return -1;
	for (i = 0; i < n; i++) {
		struct p2px_topo_answer *a = ans ? &ans[i] : &one;

		total = p2px_topo_answer(provider, clients[i], pol, a) ? -1 :
			p2px_topo_sum(total, a);
		if (total < 0 && !ans)
			return -1;
	}
	return total;
}

/*
 * q35-like machine: host bridge 0000:00 with root 00.0, three root ports,
 * a two-function endpoint, a switch, and a switch nested below it.
 *
 *   00:1c.0 - 01:00.0 (a), 01:00.1 (a1)
 *   00:1c.1 - 02:00.0 usp - 03:00.0 dsp1 - 04:00.0 (b)
 *                         - 03:01.0 dsp2 - 05:00.0 (c)
 *                         - 03:02.0 dsp3 - 06:00.0 usp2 - 07:00.0 - 08:00.0 (d)
 *                                                       - 07:01.0 - 09:00.0 (e)
 *   00:1c.2 - 0a:00.0 (f)
 */
struct q35 {
	struct p2px_topo_bridge hb;
	struct p2px_topo_node root, rp1, rp2, rp3, a, a1, usp, dsp1, dsp2, dsp3;
	struct p2px_topo_node b, c, usp2, dsp2a, dsp2b, d, e, f;
};

static void q35_build(struct q35 *q, u16 root_vendor, u16 root_device)
{
	hb_init(&q->hb, 0, 0, true, root_vendor, root_device);
	node_init(&q->root, NULL, &q->hb, 0, 0x00, 0x00, 0);
	node_init(&q->rp1, NULL, &q->hb, 0, 0x00, 0x1c, 0);
	node_init(&q->rp2, NULL, &q->hb, 0, 0x00, 0x1c, 1);
	node_init(&q->rp3, NULL, &q->hb, 0, 0x00, 0x1c, 2);
	node_init(&q->a, &q->rp1, &q->hb, 0, 0x01, 0, 0);
	node_init(&q->a1, &q->rp1, &q->hb, 0, 0x01, 0, 1);
	node_init(&q->usp, &q->rp2, &q->hb, 0, 0x02, 0, 0);
	node_init(&q->dsp1, &q->usp, &q->hb, 0, 0x03, 0, 0);
	node_init(&q->dsp2, &q->usp, &q->hb, 0, 0x03, 1, 0);
	node_init(&q->dsp3, &q->usp, &q->hb, 0, 0x03, 2, 0);
	node_init(&q->b, &q->dsp1, &q->hb, 0, 0x04, 0, 0);
	node_init(&q->c, &q->dsp2, &q->hb, 0, 0x05, 0, 0);
	node_init(&q->usp2, &q->dsp3, &q->hb, 0, 0x06, 0, 0);
	node_init(&q->dsp2a, &q->usp2, &q->hb, 0, 0x07, 0, 0);
	node_init(&q->dsp2b, &q->usp2, &q->hb, 0, 0x07, 1, 0);
	node_init(&q->d, &q->dsp2a, &q->hb, 0, 0x08, 0, 0);
	node_init(&q->e, &q->dsp2b, &q->hb, 0, 0x09, 0, 0);
	node_init(&q->f, &q->rp3, &q->hb, 0, 0x0a, 0, 0);
}

/*
 * Two host bridges, 0000:00 and 0000:80, each identified by its own root
 * device; x0a and x0b sit below different root ports of the first one,
 * x1 below the second one.
 */
struct twohb {
	struct p2px_topo_bridge hb0, hb1;
	struct p2px_topo_node rp0a, rp0b, rp1, x0a, x0b, x1;
};

static void twohb_build(struct twohb *t, u16 v0, u16 d0, u16 v1, u16 d1)
{
	hb_init(&t->hb0, 0, 0x00, true, v0, d0);
	hb_init(&t->hb1, 0, 0x80, true, v1, d1);
	node_init(&t->rp0a, NULL, &t->hb0, 0, 0x00, 1, 0);
	node_init(&t->rp0b, NULL, &t->hb0, 0, 0x00, 2, 0);
	node_init(&t->rp1, NULL, &t->hb1, 0, 0x80, 1, 0);
	node_init(&t->x0a, &t->rp0a, &t->hb0, 0, 0x01, 0, 0);
	node_init(&t->x0b, &t->rp0b, &t->hb0, 0, 0x02, 0, 0);
	node_init(&t->x1, &t->rp1, &t->hb1, 0, 0x81, 0, 0);
}

static const struct p2px_topo_policy no_policy;

/* ------------------------------------------------------------------ */
/* Distances and direct paths                                          */

TEST(same_function)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.a, &no_policy, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_SAME_UPSTREAM_BRIDGE, r.reason);
	EXPECT_EQ(P2PX_TOPO_REASON_NONE, r.detour);
	EXPECT_EQ(0, r.distance);
	EXPECT_TRUE(r.has_common);
	EXPECT_EQ(q.a.id, r.common_id);
	EXPECT_EQ(0, r.acs_count);
}

TEST(multifunction_device)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.a1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(2, r.distance);
	EXPECT_EQ(q.rp1.id, r.common_id);
}

TEST(same_switch)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(4, r.distance);
	EXPECT_EQ(q.usp.id, r.common_id);
	ASSERT_EQ(0, p2px_topo_calc(&q.d, &q.e, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(4, r.distance);
	EXPECT_EQ(q.usp2.id, r.common_id);
}

TEST(nested_switches)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	/* b: 2 hops to usp; d: 4 hops (dsp2a, usp2, dsp3, usp) */
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.d, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(6, r.distance);
	EXPECT_EQ(q.usp.id, r.common_id);
	ASSERT_EQ(0, p2px_topo_calc(&q.d, &q.b, NULL, &r));
	EXPECT_EQ(6, r.distance);
	/* a bridge and a device below it */
	ASSERT_EQ(0, p2px_topo_calc(&q.usp, &q.e, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(4, r.distance);
	EXPECT_EQ(q.usp.id, r.common_id);
	ASSERT_EQ(0, p2px_topo_calc(&q.e, &q.usp, NULL, &r));
	EXPECT_EQ(4, r.distance);
}

TEST(nodes_compared_by_id)
{
	struct p2px_topo_node rp_copy, c_copy, dsp2_copy, usp_copy;
	struct p2px_topo_result r;
	struct q35 q;

	/* the client's chain built from separate copies of the same devices */
	q35_build(&q, 0x8086, 0x29c0);
	rp_copy = q.rp2;
	usp_copy = q.usp;
	usp_copy.up = &rp_copy;
	dsp2_copy = q.dsp2;
	dsp2_copy.up = &usp_copy;
	c_copy = q.c;
	c_copy.up = &dsp2_copy;
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &c_copy, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(4, r.distance);
	EXPECT_EQ(q.usp.id, r.common_id);
}

/* ------------------------------------------------------------------ */
/* Through the host bridge                                             */

TEST(q35_root_ports_refused_by_default)
{
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, r.reason);
	EXPECT_EQ(P2PX_TOPO_REASON_NO_COMMON_UPSTREAM, r.detour);
	EXPECT_FALSE(r.has_common);
	/* a, rp1 plus b, dsp1, usp, rp2 */
	EXPECT_EQ(6, r.distance);
	EXPECT_TRUE(r.same_host);
	EXPECT_TRUE(r.hb[0].br.has_root);
	EXPECT_FALSE(r.hb[0].listed);
	EXPECT_EQ(0x8086, r.hb[0].br.root_vendor);
	EXPECT_EQ(0x29c0, r.hb[0].br.root_device);

	text = explain(&r);
	EXPECT_TRUE(has(text, "0000:01:00.0 -> 0000:04:00.0"));
	EXPECT_TRUE(has(text, "not supported"));
	EXPECT_TRUE(has(text, "p2pdma_ext.host_bridge_allow=8086:29c0"));
	EXPECT_TRUE(lacks(text, "disable_acs_redir"));

	/* a device on the root bus and one below a root port */
	ASSERT_EQ(0, p2px_topo_calc(&q.root, &q.f, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(3, r.distance);
}

TEST(q35_allowed_when_added)
{
	struct p2px_topo_entry extra[] = { { 0x8086, 0x29c0, 0 } };
	struct p2px_topo_policy pol = { .extra = extra, .nr_extra = 1 };
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);
	EXPECT_EQ(6, r.distance);
	EXPECT_TRUE(r.hb[0].listed);
	EXPECT_EQ(P2PX_TOPO_F_EXTRA, r.hb[0].flags);
	text = explain(&r);
	EXPECT_TRUE(has(text, "through the host bridge"));
	EXPECT_TRUE(has(text, "added by p2pdma_ext.host_bridge_allow"));
	EXPECT_TRUE(lacks(text, "Remedy"));

	/* a wildcard entry does the same */
	extra[0].device = 0;
	extra[0].flags = P2PX_TOPO_F_ANY_DEVICE;
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	/* a same-host-bridge-only entry too, the bridge being shared */
	extra[0].device = 0x29c0;
	extra[0].flags = P2PX_TOPO_F_SAME_HB;
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
}

TEST(same_host_bridge_only_across_bridges)
{
	struct p2px_topo_result r;
	const char *text;
	struct twohb t;

	twohb_build(&t, 0x8086, 0x3c00, 0x8086, 0x3c00);
	/* within one host bridge it is fine */
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x0b, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);
	EXPECT_EQ(4, r.distance);
	EXPECT_EQ(P2PX_TOPO_F_SAME_HB | P2PX_TOPO_F_BUILTIN, r.hb[0].flags);

	/* across two it is refused */
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY, r.reason);
	EXPECT_FALSE(r.same_host);
	EXPECT_TRUE(r.hb[0].listed);
	EXPECT_TRUE(r.hb[1].listed);
	text = explain(&r);
	EXPECT_TRUE(has(text, "0000:00 and 0000:80"));
	EXPECT_TRUE(ends(text, "p2pdma_ext.host_bridge_allow=8086:3c00"));

	/* one same-only and one plain entry: still refused */
	twohb_build(&t, 0x8086, 0x2030, 0x8086, 0x2f01);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY, r.reason);
	text = explain(&r);
	EXPECT_TRUE(ends(text, "host_bridge_allow=8086:2f01"));

	/* two plain entries: allowed */
	twohb_build(&t, 0x8086, 0x2030, 0x8086, 0x2031);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);

	/* one listed, one not: refused, only the missing one suggested */
	twohb_build(&t, 0x8086, 0x2030, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&t.x1, &t.x0a, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, r.reason);
	text = explain(&r);
	EXPECT_TRUE(ends(text, "host_bridge_allow=8086:29c0"));
	EXPECT_TRUE(lacks(text, "2030,"));
}

TEST(extra_entry_overrides_same_only)
{
	struct p2px_topo_entry extra[] = { { 0x8086, 0x3c00, 0 } };
	struct p2px_topo_policy pol = { .extra = extra, .nr_extra = 1 };
	struct p2px_topo_result r;
	struct twohb t;

	twohb_build(&t, 0x8086, 0x3c00, 0x8086, 0x3c00);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);
}

TEST(removed_builtin_entry)
{
	struct p2px_topo_entry removed[] = { { 0x8086, 0x2030, 0 } };
	struct p2px_topo_policy pol = { .removed = removed, .nr_removed = 1 };
	struct p2px_topo_result r;
	const char *text;
	struct twohb t;

	twohb_build(&t, 0x8086, 0x2030, 0x8086, 0x2030);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x0b, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x0b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, r.reason);
	EXPECT_EQ(P2PX_TOPO_F_REMOVED, r.hb[0].flags);
	text = explain(&r);
	EXPECT_TRUE(has(text, "disabled by the admin"));
	EXPECT_TRUE(has(text, "p2pdma_ext.host_bridge_allow=8086:2030"));

	/* a wildcard removal disables a whole vendor */
	removed[0].flags = P2PX_TOPO_F_ANY_DEVICE;
	twohb_build(&t, 0x8086, 0x2031, 0x8086, 0x2031);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
}

TEST(amd_cpu_flag)
{
	struct p2px_topo_policy pol = { .cpu_allows = true };
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x1022, 0x1480);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_CPU_ALLOWS, r.reason);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, r.hb_verdict);
	EXPECT_EQ(6, r.distance);
	text = explain(&r);
	EXPECT_TRUE(has(text, "CPU"));
	EXPECT_TRUE(lacks(text, "host_bridge_allow="));
	/* the CPU rule does not need a root device either */
	q.hb.has_root = false;
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	/* nor does it change a direct path */
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
}

TEST(trust_all)
{
	struct p2px_topo_entry extra[] = { { 0x1022, 0x1480, 0 } };
	struct p2px_topo_policy pol = { .trust_all = true };
	struct p2px_topo_result r;
	struct twohb t;

	twohb_build(&t, 0x1022, 0x1480, 0x1022, 0x1480);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_TRUSTED_BY_PARAM, r.reason);
	EXPECT_TRUE(has(explain(&r), "trusted"));
	t.hb1.has_root = false;
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_TRUSTED_BY_PARAM, r.reason);
	/* the allowlist, when it agrees, is named first */
	t.hb1.has_root = true;
	pol.extra = extra;
	pol.nr_extra = 1;
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);
}

TEST(no_host_root)
{
	struct p2px_topo_entry extra[] = { { 0x8086, 0x29c0, 0 } };
	struct p2px_topo_policy pol = { .extra = extra, .nr_extra = 1 };
	struct p2px_topo_result r;
	const char *text;
	struct twohb t;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	q.hb.has_root = false;
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, &pol, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_NO_HOST_ROOT, r.reason);
	text = explain(&r);
	EXPECT_TRUE(has(text, "no root device"));
	EXPECT_TRUE(lacks(text, "host_bridge_allow="));

	twohb_build(&t, 0x8086, 0x2030, 0x8086, 0x2030);
	t.hb1.has_root = false;
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_NO_HOST_ROOT, r.reason);
}

TEST(same_host_by_id)
{
	struct p2px_topo_bridge copy;
	struct p2px_topo_result r;
	struct twohb t;

	/* two descriptors of one host bridge count as the same bridge */
	twohb_build(&t, 0x8086, 0x3c00, 0x8086, 0x3c00);
	copy = t.hb0;
	t.x0b.host = &copy;
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x0b, NULL, &r));
	EXPECT_TRUE(r.same_host);
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
}

TEST(other_builtin_vendors)
{
	struct p2px_topo_result r;
	struct twohb t;

	twohb_build(&t, 0x1ae0, 0x0123, 0x1ae0, 0xfffe);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	twohb_build(&t, 0x10de, 0x2f95, 0x10de, 0x2f98);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	twohb_build(&t, 0x10de, 0x2f95, 0x10de, 0x2f99);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	twohb_build(&t, 0x8086, 0x4948, 0x8086, 0x0b25);
	ASSERT_EQ(0, p2px_topo_calc(&t.x0a, &t.x1, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
}

/* ------------------------------------------------------------------ */
/* ACS                                                                 */

TEST(acs_on_common_bridge)
{
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.usp, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_ACS_REDIRECT, r.detour);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED, r.reason);
	EXPECT_EQ(4, r.distance);
	EXPECT_TRUE(r.has_common);
	EXPECT_EQ(q.usp.id, r.common_id);
	ASSERT_EQ(1, r.acs_count);
	EXPECT_EQ(q.usp.id, r.acs[0].id);
	EXPECT_EQ(P2PX_TOPO_ACS_RR, r.acs[0].bits);
	text = explain(&r);
	EXPECT_TRUE(has(text, "pci=disable_acs_redir=0000:02:00.0 to"));
	EXPECT_TRUE(has(text, "p2pdma_ext.host_bridge_allow=8086:29c0"));
	EXPECT_TRUE(has(text, "[RR]"));
	/* same in the other direction: the common device is checked once */
	ASSERT_EQ(0, p2px_topo_calc(&q.c, &q.b, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
}

TEST(acs_below_common_on_client_path)
{
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.dsp1, P2PX_TOPO_ACS_CR | P2PX_TOPO_ACS_EC | 0x0001);
	set_acs(&q.dsp2, P2PX_TOPO_ACS_EC);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	ASSERT_EQ(2, r.acs_count);
	/* provider side first */
	EXPECT_EQ(q.dsp1.id, r.acs[0].id);
	EXPECT_EQ(P2PX_TOPO_ACS_CR | P2PX_TOPO_ACS_EC, r.acs[0].bits);
	EXPECT_EQ(q.dsp2.id, r.acs[1].id);
	EXPECT_EQ(P2PX_TOPO_ACS_EC, r.acs[1].bits);
	text = explain(&r);
	EXPECT_TRUE(has(text, "pci=disable_acs_redir=0000:03:00.0;0000:03:01.0 to"));
	EXPECT_TRUE(has(text, "[CR EC]"));

	/* only the client side */
	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.dsp2, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
	EXPECT_EQ(q.dsp2.id, r.acs[0].id);

	/* the endpoints themselves count too */
	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.c, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
	set_acs(&q.a, P2PX_TOPO_ACS_CR);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.a, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(0, r.distance);
	EXPECT_EQ(1, r.acs_count);
	/* a multifunction device's own ACS counts on the provider side */
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.a1, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
	ASSERT_EQ(0, p2px_topo_calc(&q.a1, &q.a, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
}

TEST(acs_above_common_not_counted)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.rp2, P2PX_TOPO_ACS_REDIR);
	set_acs(&q.dsp3, P2PX_TOPO_ACS_REDIR);
	/* other ACS bits (SV, TB, UF, DT) are not redirects */
	set_acs(&q.dsp1, 0x0001 | 0x0002 | 0x0010 | 0x0040);
	set_acs(&q.dsp2, 0xffff & ~P2PX_TOPO_ACS_REDIR);
	/* ACS Control without the capability is ignored */
	q.usp.acs_ctrl = P2PX_TOPO_ACS_REDIR;
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(0, r.acs_count);
	EXPECT_TRUE(lacks(explain(&r), "disable_acs_redir"));
	/* but dsp3 is on d's path below usp */
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.d, NULL, &r));
	EXPECT_EQ(1, r.acs_count);
	EXPECT_EQ(q.dsp3.id, r.acs[0].id);
}

TEST(acs_with_host_bridge_allowed)
{
	struct p2px_topo_result r;
	const char *text;
	struct q35 q;

	q35_build(&q, 0x8086, 0x2020);
	set_acs(&q.usp, P2PX_TOPO_ACS_RR | P2PX_TOPO_ACS_CR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_THRU_HOST_BRIDGE, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED, r.reason);
	EXPECT_EQ(4, r.distance);
	text = explain(&r);
	EXPECT_TRUE(has(text, "For a direct path"));
	EXPECT_TRUE(has(text, "pci=disable_acs_redir=0000:02:00.0"));
	EXPECT_TRUE(lacks(text, "host_bridge_allow="));
}

TEST(acs_many_devices)
{
	struct p2px_topo_node chain[12], leaf;
	struct p2px_topo_bridge hb;
	struct p2px_topo_result r;
	const char *text;
	unsigned int i;

	hb_init(&hb, 0, 0, true, 0x8086, 0x29c0);
	for (i = 0; i < 12; i++) {
		node_init(&chain[i], i ? &chain[i - 1] : NULL, &hb, 0, i, 0, 0);
		set_acs(&chain[i], P2PX_TOPO_ACS_RR);
	}
	node_init(&leaf, &chain[11], &hb, 0, 12, 0, 0);
	ASSERT_EQ(0, p2px_topo_calc(&leaf, &chain[0], NULL, &r));
	EXPECT_EQ(12, r.distance);
	EXPECT_EQ(12, r.acs_count);
	EXPECT_EQ(chain[11].id, r.acs[0].id);
	EXPECT_EQ(chain[4].id, r.acs[7].id);
	text = explain(&r);
	EXPECT_TRUE(has(text, "set on 12 device(s)"));
	EXPECT_TRUE(has(text, "(plus 4 more not listed here)"));
	EXPECT_TRUE(has(text, "0000:0b:00.0;0000:0a:00.0;"));
}

TEST(no_common_ignores_acs)
{
	struct p2px_topo_result r;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.rp1, P2PX_TOPO_ACS_RR);
	set_acs(&q.rp2, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.a, &q.b, NULL, &r));
	EXPECT_EQ(P2PX_TOPO_REASON_NO_COMMON_UPSTREAM, r.detour);
	EXPECT_EQ(0, r.acs_count);
	EXPECT_TRUE(lacks(explain(&r), "disable_acs_redir"));
}

/* ------------------------------------------------------------------ */
/* Bounds                                                              */

/* The answer alone: no host bridge needed for a direct path. */
TEST(answer_without_host_bridges)
{
	struct p2px_topo_answer ans;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	q.b.host = NULL;
	q.c.host = NULL;
	ASSERT_EQ(0, p2px_topo_answer(&q.b, &q.c, NULL, &ans));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, ans.map);
	EXPECT_EQ(4, ans.distance);
	/* through the (unlisted) host bridge: distance set, answer no */
	ASSERT_EQ(0, p2px_topo_answer(&q.a, &q.f, NULL, &ans));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, ans.map);
	EXPECT_EQ(4, ans.distance);
}

TEST(depth_limit_and_loops)
{
	static struct p2px_topo_node chain[P2PX_TOPO_MAX_DEPTH + 1];
	const struct p2px_topo_node *cl[1];
	struct p2px_topo_node x, y;
	struct p2px_topo_answer ans;
	struct p2px_topo_bridge hb;
	struct p2px_topo_result r;
	unsigned int i;

	hb_init(&hb, 0, 0, true, 0x8086, 0x29c0);
	for (i = 0; i <= P2PX_TOPO_MAX_DEPTH; i++)
		node_init(&chain[i], i ? &chain[i - 1] : NULL, &hb,
			  i >> 8, i & 0xff, 0, 0);
	/* exactly the limit: fine */
	ASSERT_EQ(0, p2px_topo_calc(&chain[P2PX_TOPO_MAX_DEPTH - 1], &chain[0],
				    NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, r.map);
	EXPECT_EQ(P2PX_TOPO_MAX_DEPTH - 1, r.distance);
	/* one more: refused */
	EXPECT_EQ(-ELOOP, p2px_topo_calc(&chain[P2PX_TOPO_MAX_DEPTH],
					 &chain[0], NULL, &r));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, r.map);
	EXPECT_EQ(P2PX_TOPO_REASON_TOO_DEEP, r.reason);
	EXPECT_TRUE(has(explain(&r), "loop"));
	EXPECT_EQ(-ELOOP, p2px_topo_answer(&chain[P2PX_TOPO_MAX_DEPTH],
					   &chain[0], NULL, &ans));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, ans.map);
	EXPECT_EQ(-1, ans.distance);

	/* a cycle */
	node_init(&x, &y, NULL, 0, 1, 0, 0);
	node_init(&y, &x, NULL, 0, 2, 0, 0);
	EXPECT_EQ(-ELOOP, p2px_topo_calc(&x, &chain[0], NULL, &r));
	EXPECT_EQ(-ELOOP, p2px_topo_calc(&chain[0], &y, NULL, &r));
	cl[0] = &x;
	EXPECT_EQ(-1, sum_answers(&chain[0], cl, 1, NULL, NULL));
}

/* ------------------------------------------------------------------ */
/* distance_many                                                       */

/* What the cache compares to tell a stale whole result. */
TEST(results_same)
{
	struct p2px_topo_result r1, r2;
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r1));
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r2));
	EXPECT_TRUE(p2px_topo_same(&r1, &r2));
	set_acs(&q.c, P2PX_TOPO_ACS_RR);
	set_acs(&q.d, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r2));
	EXPECT_FALSE(p2px_topo_same(&r1, &r2));
	r2 = r1;
	r2.hb[1].flags ^= P2PX_TOPO_F_EXTRA;
	EXPECT_FALSE(p2px_topo_same(&r1, &r2));
	r2 = r1;
	r2.common_id++;
	EXPECT_FALSE(p2px_topo_same(&r1, &r2));
}

TEST(distance_many)
{
	struct p2px_topo_answer ans[3];
	const struct p2px_topo_node *cl[3];
	struct q35 q;

	q35_build(&q, 0x8086, 0x29c0);
	cl[0] = &q.c;
	cl[1] = &q.d;
	cl[2] = &q.b;
	EXPECT_EQ(4 + 6 + 0, sum_answers(&q.b, cl, 3, NULL, NULL));
	EXPECT_EQ(10, sum_answers(&q.b, cl, 3, NULL, ans));
	EXPECT_EQ(4, ans[0].distance);
	EXPECT_EQ(6, ans[1].distance);
	EXPECT_EQ(0, ans[2].distance);
	EXPECT_EQ(-1, sum_answers(&q.b, cl, 0, NULL, NULL));
	EXPECT_EQ(-1, sum_answers(&q.b, NULL, 3, NULL, NULL));

	/* one refused client spoils the lot; verbose mode judges all */
	cl[0] = &q.a;
	EXPECT_EQ(-1, sum_answers(&q.b, cl, 3, NULL, NULL));
	memset(ans, 0xa5, sizeof(ans));
	EXPECT_EQ(-1, sum_answers(&q.b, cl, 3, NULL, ans));
	EXPECT_EQ(P2PX_TOPO_MAP_NOT_SUPPORTED, ans[0].map);
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, ans[1].map);
	EXPECT_EQ(P2PX_TOPO_MAP_BUS_ADDR, ans[2].map);
	EXPECT_EQ(6, ans[1].distance);

	/* through an allowed host bridge the distance still adds up */
	EXPECT_EQ(6 + 6 + 0,
		  sum_answers(&q.b, cl, 3,
			      &(struct p2px_topo_policy){ .cpu_allows = true },
			      NULL));

	/* the sum itself */
	ans[0].map = P2PX_TOPO_MAP_BUS_ADDR;
	ans[0].distance = 4;
	EXPECT_EQ(9, p2px_topo_sum(5, &ans[0]));
	EXPECT_EQ(-1, p2px_topo_sum(-1, &ans[0]));
	EXPECT_EQ(INT_MAX, p2px_topo_sum(INT_MAX - 1, &ans[0]));
	ans[0].map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	EXPECT_EQ(-1, p2px_topo_sum(5, &ans[0]));
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */

/* Device names, as the explanations print them (like pci_name()). */
TEST(names)
{
	struct p2px_topo_result r = { .map = P2PX_TOPO_MAP_BUS_ADDR };
	char buf[80];

	r.provider_id = P2PX_TOPO_ID(0, 3, DEVFN(1, 0));
	r.client_id = P2PX_TOPO_ID(0x10000, 0xe1, DEVFN(0x1f, 7));
	EXPECT_TRUE(has(explain(&r), "0000:03:01.0 -> 10000:e1:1f.7: "));
	r.provider_id = P2PX_TOPO_ID(0xabcd, 0xff, 0xff);
	EXPECT_TRUE(has(explain(&r), "abcd:ff:1f.7 -> "));
	/* truncation, snprintf style */
	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ((int)strlen(explain(&r)), p2px_topo_explain(&r, buf, 5));
	EXPECT_STREQ("abcd", buf);
	EXPECT_EQ('x', buf[5]);
	EXPECT_STREQ("bus-address", p2px_topo_map_str(P2PX_TOPO_MAP_BUS_ADDR));
	EXPECT_STREQ("acs-redirect",
		     p2px_topo_reason_str(P2PX_TOPO_REASON_ACS_REDIRECT));
}

TEST(explain_truncation)
{
	char full[EXPLAIN_LEN], small[EXPLAIN_LEN];
	struct p2px_topo_result r;
	struct q35 q;
	size_t cut;
	int len;

	q35_build(&q, 0x8086, 0x29c0);
	set_acs(&q.dsp1, P2PX_TOPO_ACS_RR);
	ASSERT_EQ(0, p2px_topo_calc(&q.b, &q.c, NULL, &r));
	len = p2px_topo_explain(&r, full, sizeof(full));
	ASSERT_GT(len, 0);
	ASSERT_EQ((size_t)len, strlen(full));
	for (cut = 0; cut <= (size_t)len + 1; cut++) {
		memset(small, '#', sizeof(small));
		ASSERT_EQ(len, p2px_topo_explain(&r, cut ? small : NULL, cut));
		if (!cut)
			continue;
		ASSERT_EQ(0, strncmp(small, full, cut - 1));
		ASSERT_EQ(0, small[cut - 1 < (size_t)len ? cut - 1 : (size_t)len]);
		ASSERT_EQ('#', small[cut]);
	}
}

/* ------------------------------------------------------------------ */
/* Allowlist and parser                                                */

/* The newest upstream table, written out independently. */
static const struct {
	u16 vendor;
	int device;	/* -1: any */
	bool same;
} ref_table[] = {
	{ 0x8086, 0x3c00, true }, { 0x8086, 0x3c01, true },
	{ 0x8086, 0x2f00, true }, { 0x8086, 0x2f01, true },
	{ 0x8086, 0x2030, false }, { 0x8086, 0x2031, false },
	{ 0x8086, 0x2032, false }, { 0x8086, 0x2033, false },
	{ 0x8086, 0x2020, false }, { 0x8086, 0x09a2, false },
	{ 0x8086, 0x0b25, false }, { 0x8086, 0x0cfe, false },
	{ 0x8086, 0x11fb, false }, { 0x8086, 0x1212, false },
	{ 0x8086, 0x1216, false }, { 0x8086, 0x4940, false },
	{ 0x8086, 0x4942, false }, { 0x8086, 0x4944, false },
	{ 0x8086, 0x4946, false }, { 0x8086, 0x4948, false },
	{ 0x1ae0, -1, false },
	{ 0x10de, 0x2f95, false }, { 0x10de, 0x2f96, false },
	{ 0x10de, 0x2f97, false }, { 0x10de, 0x2f98, false },
};

TEST(builtin_table)
{
	unsigned int i;
	u32 flags;

	/* Every reference entry matches, with its flags. */
	for (i = 0; i < ARRAY_SIZE(ref_table); i++) {
		bool any = ref_table[i].device < 0;

		EXPECT_TRUE(p2px_topo_allowlist_find(&no_policy, ref_table[i].vendor,
						     any ? 0x1234 :
						     ref_table[i].device,
						     &flags));
		EXPECT_EQ(any, !!(flags & P2PX_TOPO_F_ANY_DEVICE));
		EXPECT_EQ(ref_table[i].same, !!(flags & P2PX_TOPO_F_SAME_HB));
	}
	EXPECT_TRUE(p2px_topo_allowlist_find(&no_policy, 0x8086, 0x2f01, &flags));
	EXPECT_EQ(P2PX_TOPO_F_SAME_HB | P2PX_TOPO_F_BUILTIN, flags);
	EXPECT_TRUE(p2px_topo_allowlist_find(&no_policy, 0x1ae0, 0x0000, &flags));
	EXPECT_EQ(P2PX_TOPO_F_ANY_DEVICE | P2PX_TOPO_F_BUILTIN, flags);
	EXPECT_FALSE(p2px_topo_allowlist_find(&no_policy, 0x8086, 0x29c0, &flags));
	EXPECT_EQ(0, flags);
	EXPECT_FALSE(p2px_topo_allowlist_find(&no_policy, 0x1022, 0x1480,
					      &flags));
	EXPECT_FALSE(p2px_topo_allowlist_find(&no_policy, 0x0000, 0x0000,
					      &flags));
}

static int parse(const char *s, struct p2px_topo_entry *out, unsigned int max,
		 unsigned int *n, char *err)
{
	return p2px_topo_allowlist_parse(s, out, max, n, err, 256);
}

TEST(parse_good)
{
	struct p2px_topo_entry e[P2PX_TOPO_MAX_ENTRIES];
	char err[256], buf[256];
	unsigned int n = 99;

	ASSERT_EQ(0, parse("8086:29c0", e, 32, &n, err));
	ASSERT_EQ(1, n);
	EXPECT_EQ(0x8086, e[0].vendor);
	EXPECT_EQ(0x29c0, e[0].device);
	EXPECT_EQ(0, e[0].flags);
	EXPECT_STREQ("", err);

	ASSERT_EQ(0, parse("8086:29c0,1ae0:*,0x8086:0X3C00:same,1:2\n",
			   e, 32, &n, err));
	ASSERT_EQ(4, n);
	EXPECT_EQ(P2PX_TOPO_F_ANY_DEVICE, e[1].flags);
	EXPECT_EQ(0x1ae0, e[1].vendor);
	EXPECT_EQ(0x3c00, e[2].device);
	EXPECT_EQ(P2PX_TOPO_F_SAME_HB, e[2].flags);
	EXPECT_EQ(1, e[3].vendor);
	EXPECT_EQ(2, e[3].device);
	p2px_topo_allowlist_format(e, n, buf, sizeof(buf));
	EXPECT_STREQ("8086:29c0,1ae0:*,8086:3c00:same,0001:0002", buf);

	ASSERT_EQ(0, parse("  10DE:2F95 ,\t1ae0:*:same  \r\n", e, 32, &n, err));
	ASSERT_EQ(2, n);
	EXPECT_EQ(0x2f95, e[0].device);
	EXPECT_EQ(P2PX_TOPO_F_ANY_DEVICE | P2PX_TOPO_F_SAME_HB, e[1].flags);

	/* empty lists */
	ASSERT_EQ(0, parse("", e, 32, &n, err));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, parse("\n", e, 32, &n, err));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, parse(NULL, e, 32, &n, err));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, parse("", NULL, 0, &n, NULL));

	/* validation only */
	ASSERT_EQ(0, parse("8086:1,8086:2", NULL, 2, &n, err));
	EXPECT_EQ(2, n);

	/* exactly the maximum */
	ASSERT_EQ(0, parse("1:1,1:2,1:3", e, 3, &n, err));
	EXPECT_EQ(3, n);
	p2px_topo_allowlist_format(e, 0, buf, sizeof(buf));
	EXPECT_STREQ("", buf);
}

TEST(parse_bad)
{
	static const struct {
		const char *in;
		const char *quoted;	/* must appear in the message */
	} bad[] = {
		{ "8086", "\"8086\"" },
		{ "8086:", "\"8086:\"" },
		{ ":29c0", "\":29c0\"" },
		{ "8086:29c0:", "\"8086:29c0:\"" },
		{ "8086:29c0:foo", "\"8086:29c0:foo\"" },
		{ "8086:29c0:SAME", "unknown flag" },
		{ "8086:29c0:same:x", "too many" },
		{ "zz:1", "\"zz:1\"" },
		{ "8086:12345", "\"8086:12345\"" },
		{ "18086:1", "vendor" },
		{ "0x:1", "vendor" },
		{ "0x0x1:1", "vendor" },
		{ "0000:1", "invalid vendor" },
		{ "ffff:1", "invalid vendor" },
		{ "*:1", "vendor" },
		{ "8086:**", "device" },
		{ "8086:-1", "device" },
		{ "8086:+1", "device" },
		{ "8086:0x", "device" },
		{ "8086: 29c0", "\"8086: 29c0\"" },
		{ "8086 :29c0", "\"8086 :29c0\"" },
		{ "8086:29c0,,1:2", "empty entry after 1" },
		{ "8086:29c0,", "empty entry" },
		{ ",8086:29c0", "empty entry after 0" },
		{ "8086:29c0, ,1:2", "empty entry" },
		{ "1:2,3:4,8086;29c0", "\"8086;29c0\"" },
		{ "8086:29c0\n1:2", "\"8086:29c0?1:2\"" },
	};
	struct p2px_topo_entry e[4];
	unsigned int i, n;
	char err[256];

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		n = 77;
		EXPECT_EQ(-EINVAL, parse(bad[i].in, e, 4, &n, err))
			TH_LOG("input \"%s\"", bad[i].in);
		EXPECT_EQ(0, n);
		EXPECT_TRUE(has(err, bad[i].quoted));
		EXPECT_EQ(NULL, strchr(err, '\n'));
	}
}

TEST(parse_too_many)
{
	struct p2px_topo_entry e[P2PX_TOPO_MAX_ENTRIES + 1];
	char in[1024], err[256];
	unsigned int i, n;
	size_t pos = 0;

	for (i = 0; i <= P2PX_TOPO_MAX_ENTRIES; i++)
		pos += snprintf(in + pos, sizeof(in) - pos, "%s8086:%x",
				i ? "," : "", i);
	memset(&e[P2PX_TOPO_MAX_ENTRIES], 0x5a, sizeof(e[0]));
	EXPECT_EQ(-E2BIG, parse(in, e, P2PX_TOPO_MAX_ENTRIES, &n, err));
	EXPECT_EQ(0, n);
	EXPECT_TRUE(has(err, "at most 32"));
	EXPECT_TRUE(has(err, "\"8086:20\""));
	EXPECT_EQ(0x5a5a, e[P2PX_TOPO_MAX_ENTRIES].vendor);
	/* a bad token is reported as such even past the limit */
	EXPECT_EQ(-EINVAL, parse("1:1,1:2,x", e, 1, &n, err));
	EXPECT_EQ(-E2BIG, parse("1:1", e, 0, &n, err));
	EXPECT_EQ(-E2BIG, parse("1:1", NULL, 0, &n, err));
}

TEST(parse_long_garbage)
{
	struct p2px_topo_entry e[P2PX_TOPO_MAX_ENTRIES];
	size_t big = 1 << 20, i;
	char err[64 + 8];
	unsigned int n;
	char *in;

	in = malloc(big + 1);
	ASSERT_NE(NULL, in);
	memset(in, 'a', big);
	in[big] = '\0';
	memset(err, '#', sizeof(err));
	EXPECT_EQ(-EINVAL, p2px_topo_allowlist_parse(in, e, 32, &n, err, 64));
	EXPECT_LT(strlen(err), 64);
	EXPECT_EQ('#', err[64]);
	EXPECT_TRUE(has(err, "aaaaaaaa..."));

	/* a long string of valid entries */
	for (i = 0; i + 10 <= big; i += 10)
		memcpy(in + i, "8086:29c0,", 10);
	in[i - 1] = '\0';
	EXPECT_EQ(-E2BIG, p2px_topo_allowlist_parse(in, e, 32, &n, err, 64));

	/* control characters are masked in the message */
	strcpy(in, "\x1b[31m:1");
	EXPECT_EQ(-EINVAL, p2px_topo_allowlist_parse(in, e, 32, &n, err, 64));
	EXPECT_EQ(NULL, strchr(err, '\x1b'));

	/* tiny and absent error buffers */
	for (i = 0; i < 8; i++) {
		memset(err, '#', sizeof(err));
		EXPECT_EQ(-EINVAL, p2px_topo_allowlist_parse("q", e, 32, &n,
							     err, i));
		EXPECT_EQ('#', err[i]);
		if (i)
			EXPECT_EQ('\0', err[strnlen(err, i - 1)]);
	}
	EXPECT_EQ(-EINVAL, p2px_topo_allowlist_parse("q", e, 32, &n, NULL, 64));
	free(in);
}

/* ------------------------------------------------------------------ */
/* Pseudo-random input                                                 */

static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static u32 rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (u32)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static unsigned int rnd(unsigned int n)
{
	return n ? rng() % n : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

static bool entries_equal(const struct p2px_topo_entry *a,
			  const struct p2px_topo_entry *b)
{
	if (a->vendor != b->vendor || a->flags != b->flags)
		return false;
	return (a->flags & P2PX_TOPO_F_ANY_DEVICE) || a->device == b->device;
}

TEST(parse_fuzz)
{
	static const char *const pieces[] = {
		"8086", "29c0", ":", ":", ",", ",", "*", "same", "0x", "X",
		" ", "\n", "\t", "1", "ffff", "12345", "g", ";", "0", "1ae0",
		":same", "\xff", "a:b", "ABCD",
	};
	struct p2px_topo_entry e[8], back[8];
	char in[128], err[40], text[400];
	unsigned int iter, i, n, n2, max;
	int rc, len;

	rng_seed(0x5eed0001);
	for (iter = 0; iter < 50000; iter++) {
		size_t pos = 0, errlen = rnd(sizeof(err) - 4);
		unsigned int pieces_nr = rnd(14);

		for (i = 0; i < pieces_nr; i++) {
			const char *p = pieces[rnd(ARRAY_SIZE(pieces))];
			size_t l = strlen(p);

			if (pos + l >= sizeof(in))
				break;
			memcpy(in + pos, p, l);
			pos += l;
		}
		in[pos] = '\0';
		max = rnd(7);
		memset(e, 0x5a, sizeof(e));
		memset(err, '#', sizeof(err));
		n = 1234;
		rc = p2px_topo_allowlist_parse(in, e, max, &n, err, errlen);
		ASSERT_TRUE(rc == 0 || rc == -EINVAL || rc == -E2BIG)
			TH_LOG("rc %d for \"%s\"", rc, in);
		ASSERT_EQ('#', err[errlen]);
		if (errlen)
			ASSERT_NE(NULL, memchr(err, '\0', errlen));
		for (i = max; i < ARRAY_SIZE(e); i++)
			ASSERT_EQ(0x5a5a, e[i].vendor);
		if (rc) {
			ASSERT_EQ(0, n);
			if (errlen > 1)
				ASSERT_NE('\0', err[0]);
			continue;
		}
		ASSERT_LE(n, max);
		if (errlen)
			ASSERT_EQ('\0', err[0]);
		/* canonical text parses back to the same entries */
		len = p2px_topo_allowlist_format(e, n, text, sizeof(text));
		ASSERT_LT(len, (int)sizeof(text));
		ASSERT_EQ(0, p2px_topo_allowlist_parse(text, back, max, &n2,
						       NULL, 0));
		ASSERT_EQ(n, n2);
		for (i = 0; i < n; i++)
			ASSERT_TRUE(entries_equal(&e[i], &back[i]))
				TH_LOG("\"%s\" -> \"%s\"", in, text);
	}
}

/* ------------------------------------------------------------------ */
/* Generated topologies against a reference oracle                     */

#define SW_NODES	64
#define SW_HBS		8
#define SW_LIST		4

struct sweep {
	struct p2px_topo_node n[SW_NODES];
	int parent[SW_NODES];		/* index of the upstream bridge, -1 */
	int hbi[SW_NODES];		/* index of the host bridge */
	int secondary[SW_NODES];	/* bus below a bridge, -1 if none */
	unsigned int nn;

	struct p2px_topo_bridge hb[SW_HBS];
	struct p2px_topo_bridge hb_copy[SW_HBS];
	unsigned int hb_domain[SW_HBS];
	unsigned int nhb;

	struct p2px_topo_entry extra[SW_LIST], removed[SW_LIST];
	struct p2px_topo_policy pol;
};

static const u16 root_pool[][2] = {
	{ 0x8086, 0x29c0 }, { 0x8086, 0x2030 }, { 0x8086, 0x3c00 },
	{ 0x8086, 0x2f01 }, { 0x1ae0, 0x0042 }, { 0x1ae0, 0xbeef },
	{ 0x10de, 0x2f96 }, { 0x10de, 0x1234 }, { 0x1022, 0x1480 },
	{ 0x8086, 0x09a2 }, { 0x8086, 0x4948 }, { 0x8086, 0x1212 },
};

static const unsigned int domain_pool[] = { 0x0000, 0x0001, 0x000a, 0x10000 };

/* Next free bus number and devfn per domain and bus. */
struct sweep_alloc {
	unsigned int next_bus[ARRAY_SIZE(domain_pool)];
	unsigned char next_devfn[ARRAY_SIZE(domain_pool)][256];
	bool devfn_full[ARRAY_SIZE(domain_pool)][256];
};

static unsigned int domain_index(unsigned int domain)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(domain_pool); i++)
		if (domain_pool[i] == domain)
			return i;
	return 0;
}

static int sweep_add(struct sweep *t, struct sweep_alloc *a, int parent,
		     unsigned int hbi, int bus, bool bridge)
{
	unsigned int d = domain_index(t->hb_domain[hbi]);
	unsigned int idx = t->nn, devfn, step;
	struct p2px_topo_node *n;

	if (t->nn >= SW_NODES || a->devfn_full[d][bus])
		return -1;
	devfn = a->next_devfn[d][bus];
	step = 1 + (chance(30) ? rnd(7) : 0);
	if (devfn + step > 255)
		a->devfn_full[d][bus] = true;
	else
		a->next_devfn[d][bus] = devfn + step;
	n = &t->n[idx];
	memset(n, 0, sizeof(*n));
	n->id = P2PX_TOPO_ID(t->hb_domain[hbi], bus, devfn);
	n->vendor = 0x1000 + rnd(16);
	n->device = rnd(0x10000);
	n->up = parent >= 0 ? &t->n[parent] : NULL;
	n->host = chance(20) ? &t->hb_copy[hbi] : &t->hb[hbi];
	if (chance(45)) {
		n->has_acs = true;
		n->acs_ctrl = rnd(0x80);
		if (chance(60))
			n->acs_ctrl &= ~P2PX_TOPO_ACS_REDIR;
	} else if (chance(10)) {
		n->acs_ctrl = P2PX_TOPO_ACS_REDIR;	/* no capability */
	}
	t->parent[idx] = parent;
	t->hbi[idx] = hbi;
	t->secondary[idx] = -1;
	if (bridge && a->next_bus[d] < 256)
		t->secondary[idx] = a->next_bus[d]++;
	t->nn++;
	return idx;
}

static void sweep_entry(struct p2px_topo_entry *e)
{
	const u16 *id = root_pool[rnd(ARRAY_SIZE(root_pool))];

	e->vendor = id[0];
	e->device = id[1];
	e->flags = 0;
	if (chance(15)) {
		e->flags |= P2PX_TOPO_F_ANY_DEVICE;
		e->device = 0;
	}
	if (chance(25))
		e->flags |= P2PX_TOPO_F_SAME_HB;
}

static void sweep_build(struct sweep *t)
{
	static struct sweep_alloc a;
	unsigned int ndom = 1 + rnd(ARRAY_SIZE(domain_pool));
	unsigned int i, target, attempts;

	memset(t, 0, sizeof(*t));
	memset(&a, 0, sizeof(a));

	t->nhb = 1 + rnd(SW_HBS);
	for (i = 0; i < t->nhb; i++) {
		unsigned int dom = domain_pool[rnd(ndom)];
		unsigned int d = domain_index(dom);
		const u16 *id = root_pool[rnd(ARRAY_SIZE(root_pool))];
		unsigned int bus = a.next_bus[d]++;

		t->hb_domain[i] = dom;
		hb_init(&t->hb[i], dom, bus, !chance(12), id[0], id[1]);
		t->hb_copy[i] = t->hb[i];
		/* the root device itself, devfn 00.0 */
		if (t->hb[i].has_root)
			sweep_add(t, &a, -1, i, bus, false);
	}

	target = 8 + rnd(SW_NODES - 8);
	for (attempts = 0; t->nn < target && attempts < 10000; attempts++) {
		unsigned int pick = rnd(t->nn + t->nhb);
		int parent = -1, bus, idx, hbi, depth, k;

		if (pick < t->nhb) {
			hbi = pick;
			bus = (int)(t->hb[pick].id & 0xff);
		} else {
			parent = pick - t->nhb;
			if (t->secondary[parent] < 0)
				continue;
			hbi = t->hbi[parent];
			bus = t->secondary[parent];
		}
		/* mostly single devices, sometimes a deep switch chain */
		depth = chance(8) ? 2 + rnd(20) : 1;
		for (k = 0; k < depth; k++) {
			bool bridge = k + 1 < depth || chance(45);

			idx = sweep_add(t, &a, parent, hbi, bus, bridge);
			if (idx < 0 || t->secondary[idx] < 0)
				break;
			parent = idx;
			bus = t->secondary[idx];
		}
		if (t->nn >= SW_NODES)
			break;
	}

	t->pol.nr_extra = rnd(SW_LIST + 1);
	for (i = 0; i < t->pol.nr_extra; i++)
		sweep_entry(&t->extra[i]);
	t->pol.nr_removed = rnd(SW_LIST + 1);
	for (i = 0; i < t->pol.nr_removed; i++)
		sweep_entry(&t->removed[i]);
	t->pol.extra = t->extra;
	t->pol.removed = t->removed;
	if (!chance(85)) {	/* the built-in table alone */
		t->pol.nr_extra = 0;
		t->pol.nr_removed = 0;
	}
	t->pol.cpu_allows = chance(10);
	t->pol.trust_all = chance(10);
}

/* The oracle's answer. */
struct ref_answer {
	enum p2px_topo_map map;
	enum p2px_topo_reason reason;
	enum p2px_topo_reason verdict;
	int distance;
	int common;		/* node index or -1 */
	int acs[SW_NODES];	/* node indexes with ACS redirect */
	int nacs;
};

static bool ref_matches(u16 ev, u16 ed, u32 eflags, u16 v, u16 d)
{
	return ev == v && ((eflags & P2PX_TOPO_F_ANY_DEVICE) || ed == d);
}

/* Is root v:d allowed, and only for one host bridge? */
static bool ref_allowed(const struct sweep *t, u16 v, u16 d, bool *same_only)
{
	const struct p2px_topo_policy *al = &t->pol;
	unsigned int i;

	*same_only = false;
	for (i = 0; al && i < al->nr_extra; i++) {
		if (ref_matches(al->extra[i].vendor, al->extra[i].device,
				al->extra[i].flags, v, d)) {
			*same_only = al->extra[i].flags & P2PX_TOPO_F_SAME_HB;
			return true;
		}
	}
	for (i = 0; al && i < al->nr_removed; i++)
		if (ref_matches(al->removed[i].vendor, al->removed[i].device,
				al->removed[i].flags, v, d))
			return false;
	for (i = 0; i < ARRAY_SIZE(ref_table); i++) {
		if (ref_table[i].vendor != v)
			continue;
		if (ref_table[i].device >= 0 && ref_table[i].device != d)
			continue;
		*same_only = ref_table[i].same;
		return true;
	}
	return false;
}

static enum p2px_topo_reason ref_verdict(const struct sweep *t, int p, int c)
{
	const struct p2px_topo_bridge *hp = &t->hb[t->hbi[p]];
	const struct p2px_topo_bridge *hc = &t->hb[t->hbi[c]];
	bool sp, sc, lp, lc;

	if (t->hbi[p] == t->hbi[c]) {
		if (!hp->has_root)
			return P2PX_TOPO_REASON_NO_HOST_ROOT;
		if (ref_allowed(t, hp->root_vendor, hp->root_device, &sp))
			return P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED;
		return P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	}
	if (!hp->has_root || !hc->has_root)
		return P2PX_TOPO_REASON_NO_HOST_ROOT;
	lp = ref_allowed(t, hp->root_vendor, hp->root_device, &sp);
	lc = ref_allowed(t, hc->root_vendor, hc->root_device, &sc);
	if (!lp || !lc)
		return P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	if (sp || sc)
		return P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY;
	return P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED;
}

static bool ref_redirects(const struct p2px_topo_node *n)
{
	return n->has_acs && (n->acs_ctrl & (0x0004 | 0x0008 | 0x0020));
}

static void ref_calc(const struct sweep *t, int p, int c, struct ref_answer *r)
{
	int pp[SW_NODES], cp[SW_NODES], lp = 0, lc = 0, k = 0, i;

	/* paths from each device to the top, indexes of t->n */
	for (i = p; i >= 0; i = t->parent[i])
		pp[lp++] = i;
	for (i = c; i >= 0; i = t->parent[i])
		cp[lc++] = i;
	/* length of the shared part, counted from the top */
	while (k < lp && k < lc && pp[lp - 1 - k] == cp[lc - 1 - k])
		k++;

	memset(r, 0, sizeof(*r));
	r->verdict = ref_verdict(t, p, c);
	r->common = -1;
	if (k) {
		int ps = lp - k, cs = lc - k;

		r->common = pp[ps];
		r->distance = ps + cs;
		for (i = 0; i <= ps; i++)
			if (ref_redirects(&t->n[pp[i]]))
				r->acs[r->nacs++] = pp[i];
		for (i = 0; i < cs; i++)
			if (ref_redirects(&t->n[cp[i]]))
				r->acs[r->nacs++] = cp[i];
		if (!r->nacs) {
			r->map = P2PX_TOPO_MAP_BUS_ADDR;
			r->reason = P2PX_TOPO_REASON_SAME_UPSTREAM_BRIDGE;
			return;
		}
	} else {
		r->distance = lp + lc;
	}

	r->map = P2PX_TOPO_MAP_THRU_HOST_BRIDGE;
	if (t->pol.cpu_allows)
		r->reason = P2PX_TOPO_REASON_CPU_ALLOWS;
	else if (r->verdict == P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED)
		r->reason = r->verdict;
	else if (t->pol.trust_all)
		r->reason = P2PX_TOPO_REASON_TRUSTED_BY_PARAM;
	else
		r->map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	if (r->map == P2PX_TOPO_MAP_NOT_SUPPORTED)
		r->reason = r->verdict;
}

/*
 * Compare the core's answer for one pair with the oracle's; return NULL
 * or the name of the first thing that differs.  @ctx receives the pair.
 */
static const char *check_pair(const struct sweep *t, int p, int c,
			      char *ctx, size_t ctxlen)
{
	char text[EXPLAIN_LEN], name_p[24], name_c[24];
	struct p2px_topo_result res;
	struct p2px_topo_answer ans;
	struct ref_answer ref;
	bool same, has_common;
	int i, len;

	dev_name(t->n[p].id, name_p, sizeof(name_p));
	dev_name(t->n[c].id, name_c, sizeof(name_c));
	snprintf(ctx, ctxlen, "%s -> %s", name_p, name_c);

	ref_calc(t, p, c, &ref);
	if (p2px_topo_calc(&t->n[p], &t->n[c], &t->pol, &res))
		return "return value";
	if (ref.map != res.map)
		return "map type";
	if (ref.reason != res.reason)
		return "reason";
	if (ref.distance != res.distance)
		return "distance";
	has_common = ref.common >= 0;
	if (res.has_common != has_common)
		return "has_common";
	if (ref.common >= 0 && t->n[ref.common].id != res.common_id)
		return "common_id";
	if ((unsigned int)ref.nacs != res.acs_count)
		return "acs_count";
	for (i = 0; i < ref.nacs && i < P2PX_TOPO_MAX_ACS; i++)
		if (t->n[ref.acs[i]].id != res.acs[i].id)
			return "acs list";
	if (ref.verdict != res.hb_verdict)
		return "hb_verdict";
	/* The answer without the explanation is the same answer. */
	if (p2px_topo_answer(&t->n[p], &t->n[c], &t->pol, &ans))
		return "answer: return value";
	if (ans.map != res.map || ans.distance != res.distance)
		return "answer: map type or distance";
	same = t->hbi[p] == t->hbi[c];
	if (res.same_host != same)
		return "same_host";

	len = p2px_topo_explain(&res, text, sizeof(text));
	if (len <= 0 || len >= (int)sizeof(text) || (size_t)len != strlen(text))
		return "explanation length";
	if (strncmp(text, name_p, strlen(name_p)))
		return "explanation start";
	if (res.map != P2PX_TOPO_MAP_BUS_ADDR && ref.nacs &&
	    !strstr(text, "pci=disable_acs_redir="))
		return "explanation: ACS remedy";
	if (res.map == P2PX_TOPO_MAP_NOT_SUPPORTED &&
	    (res.reason == P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED ||
	     res.reason == P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY) &&
	    !strstr(text, "p2pdma_ext.host_bridge_allow="))
		return "explanation: allowlist remedy";
	if (res.map == P2PX_TOPO_MAP_BUS_ADDR && strstr(text, "Remedy"))
		return "explanation: remedy for a direct path";
	return NULL;
}

TEST(generated_topologies)
{
	const struct p2px_topo_node *cl[SW_NODES];
	static struct sweep t;
	unsigned int tree, pairs = 0, nodes = 0, bus_addr = 0, thru = 0;
	unsigned int refused = 0, acs = 0, many = 0, depth, max_depth = 0;
	int p, c, i;

	rng_seed(0x70b0c0de);
	for (tree = 0; tree < 400; tree++) {
		sweep_build(&t);
		nodes += t.nn;
		for (p = 0; p < (int)t.nn; p++) {
			for (depth = 0, i = p; i >= 0; i = t.parent[i])
				depth++;
			if (depth > max_depth)
				max_depth = depth;
		}
		for (p = 0; p < (int)t.nn; p++) {
			for (c = 0; c < (int)t.nn; c++) {
				struct ref_answer ref;
				const char *why;
				char ctx[64];

				why = check_pair(&t, p, c, ctx, sizeof(ctx));
				ASSERT_TRUE(!why)
					TH_LOG("tree %u, %s: %s differs",
					       tree, ctx, why);
				ref_calc(&t, p, c, &ref);
				pairs++;
				acs += ref.nacs > 0;
				if (ref.map == P2PX_TOPO_MAP_BUS_ADDR)
					bus_addr++;
				else if (ref.map == P2PX_TOPO_MAP_THRU_HOST_BRIDGE)
					thru++;
				else
					refused++;
			}
		}

		/* distance_many over random client sets */
		for (p = 0; p < 8; p++) {
			unsigned int n = 1 + rnd(6), i;
			int prov = rnd(t.nn), sum = 0;
			bool bad = false;

			for (i = 0; i < n; i++) {
				struct ref_answer ref;
				int ci = rnd(t.nn);

				cl[i] = &t.n[ci];
				ref_calc(&t, prov, ci, &ref);
				if (ref.map == P2PX_TOPO_MAP_NOT_SUPPORTED)
					bad = true;
				sum += ref.distance;
			}
			ASSERT_EQ(bad ? -1 : sum,
				  sum_answers(&t.n[prov], cl, n, &t.pol, NULL));
			many++;
		}
	}
	/* the sweep must have covered every kind of answer */
	EXPECT_GT(bus_addr, 1000);
	EXPECT_GT(thru, 1000);
	EXPECT_GT(refused, 1000);
	EXPECT_GT(acs, 1000);
	EXPECT_GE(max_depth, 16);
	fprintf(stderr,
		"# %u trees, %u nodes (deepest chain %u), %u pairs: %u bus-address, %u via host bridge, %u refused, %u with ACS redirect; %u distance_many sets\n",
		tree, nodes, max_depth, pairs, bus_addr, thru, refused, acs,
		many);
}

/*
 * The longest explanation there can be (32-bit domains, 8 listed ACS
 * devices and more, two refused host bridges, both remedies) fits in the
 * P2PDMA_EXT_EXPLAIN_MAX bytes the module and the uapi promise.
 */
TEST(explain_fits_1024)
{
	const unsigned long long id = P2PX_TOPO_ID(0xffffffffu, 0xff, 0xff);
	struct p2px_topo_result r;
	char buf[4096];
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	r.reason = P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	r.detour = P2PX_TOPO_REASON_ACS_REDIRECT;
	r.distance = 512;
	r.provider_id = id;
	r.client_id = id;
	r.has_common = true;
	r.common_id = id;
	r.acs_count = 100000;
	for (i = 0; i < P2PX_TOPO_MAX_ACS; i++) {
		r.acs[i].id = id;
		r.acs[i].bits = P2PX_TOPO_ACS_REDIR;
	}
	for (i = 0; i < 2; i++) {
		r.hb[i].br.id = P2PX_TOPO_HB_ID(0xffffffffu, 0xff);
		r.hb[i].br.has_root = true;
		r.hb[i].br.root_vendor = 0x1234 + i;
		r.hb[i].br.root_device = 0x5678;
		r.hb[i].flags = P2PX_TOPO_F_REMOVED;
	}
	EXPECT_GT(P2PDMA_EXT_EXPLAIN_MAX, p2px_topo_explain(&r, buf, sizeof(buf)));
	r.reason = P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY;
	for (i = 0; i < 2; i++) {
		r.hb[i].listed = true;
		r.hb[i].flags = P2PX_TOPO_F_SAME_HB | P2PX_TOPO_F_EXTRA;
	}
	EXPECT_GT(P2PDMA_EXT_EXPLAIN_MAX, p2px_topo_explain(&r, buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
