// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology decision core: mapping type and distance of a
 * provider/client pair, the host bridge allowlist, its parameter syntax
 * and the human-readable explanation of every answer.
 *
 * Everything here works on struct p2px_topo_node descriptions only, so it
 * builds both as kernel code and as plain C for the host unit tests.
 */
#include "topology_core.h"

#ifndef __KERNEL__
#include <stdarg.h>
#include <stdio.h>
#define __printf(a, b)	/* the kernel build checks the formats */
#endif

/*
 * Built-in host bridge allowlist: the numeric ids of the newest upstream
 * table.  A host bridge is identified by its "root" device (see struct
 * p2px_topo_bridge).
 */
static const struct p2px_topo_entry p2px_builtin_table[] = {
	/* Intel Xeon E5 / Core i7: only within one host bridge */
	{ 0x8086, 0x3c00, P2PX_TOPO_F_SAME_HB },
	{ 0x8086, 0x3c01, P2PX_TOPO_F_SAME_HB },
	/* Intel Xeon E7 v3 / E5 v3: only within one host bridge */
	{ 0x8086, 0x2f00, P2PX_TOPO_F_SAME_HB },
	{ 0x8086, 0x2f01, P2PX_TOPO_F_SAME_HB },
	/* Intel Skylake-E */
	{ 0x8086, 0x2030, 0 },
	{ 0x8086, 0x2031, 0 },
	{ 0x8086, 0x2032, 0 },
	{ 0x8086, 0x2033, 0 },
	{ 0x8086, 0x2020, 0 },
	{ 0x8086, 0x09a2, 0 },
	/* Intel DSA / IAA (Sapphire Rapids, Granite Rapids-D, Diamond Rapids) */
	{ 0x8086, 0x0b25, 0 },
	{ 0x8086, 0x0cfe, 0 },
	{ 0x8086, 0x11fb, 0 },
	{ 0x8086, 0x1212, 0 },
	{ 0x8086, 0x1216, 0 },
	/* Intel QAT 4xxx family */
	{ 0x8086, 0x4940, 0 },
	{ 0x8086, 0x4942, 0 },
	{ 0x8086, 0x4944, 0 },
	{ 0x8086, 0x4946, 0 },
	{ 0x8086, 0x4948, 0 },
	/* Google SoCs: any device id */
	{ 0x1ae0, 0x0000, P2PX_TOPO_F_ANY_DEVICE },
	/* NVIDIA CPUs */
	{ 0x10de, 0x2f95, 0 },
	{ 0x10de, 0x2f96, 0 },
	{ 0x10de, 0x2f97, 0 },
	{ 0x10de, 0x2f98, 0 },
};

#define P2PX_BUILTIN_NR	ARRAY_SIZE(p2px_builtin_table)

/* Longest piece of an offending parameter token quoted in a message. */
#define P2PX_QUOTE_MAX	32

/* ------------------------------------------------------------------ */
/* Bounded text output, like snprintf() but appending                  */

struct p2px_sink {
	char *buf;
	size_t len;
	size_t pos;	/* characters produced, written or not */
};

static void p2px_sink_init(struct p2px_sink *s, char *buf, size_t len)
{
	s->buf = buf;
	s->len = buf ? len : 0;
	s->pos = 0;
	if (s->len)
		buf[0] = '\0';
}

static __printf(2, 3) void p2px_printf(struct p2px_sink *s, const char *fmt,
				       ...)
{
	size_t room = s->pos < s->len ? s->len - s->pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? s->buf + s->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->pos += n;
}

#define p2px_putc(s, c)		p2px_printf(s, "%c", c)
#define p2px_puts(s, str)	p2px_printf(s, "%s", str)

static int p2px_sink_done(const struct p2px_sink *s)
{
	return s->pos > INT_MAX ? INT_MAX : (int)s->pos;
}

/* DDDD:BB:DD.F */
static void p2px_put_name(struct p2px_sink *s, u64 id)
{
	p2px_printf(s, "%04llx:%02x:%02x.%u",
		    (unsigned long long)P2PX_TOPO_ID_DOMAIN(id),
		    P2PX_TOPO_ID_BUS(id), P2PX_TOPO_ID_DEVFN(id) >> 3,
		    P2PX_TOPO_ID_DEVFN(id) & 7);
}

/* DDDD:BB */
static void p2px_put_hb_name(struct p2px_sink *s, u64 hb_id)
{
	p2px_printf(s, "%04llx:%02x", (unsigned long long)(hb_id >> 8),
		    (unsigned int)(hb_id & 0xff));
}

/* VVVV:DDDD */
static void p2px_put_ids(struct p2px_sink *s, u16 vendor, u16 device)
{
	p2px_printf(s, "%04x:%04x", vendor, device);
}

/**
 * p2px_topo_name() - print a device id as DDDD:BB:DD.F
 * @id: P2PX_TOPO_ID() of the device
 * @buf: output buffer, always NUL-terminated when @len is not zero
 * @len: size of @buf
 *
 * Return: the length of the full name, like snprintf().
 */
int p2px_topo_name(u64 id, char *buf, size_t len)
{
	struct p2px_sink s;

	p2px_sink_init(&s, buf, len);
	p2px_put_name(&s, id);
	return p2px_sink_done(&s);
}

static const char *const p2px_map_names[] = {
	[P2PX_TOPO_MAP_NOT_SUPPORTED] = "not-supported",
	[P2PX_TOPO_MAP_BUS_ADDR] = "bus-address",
	[P2PX_TOPO_MAP_THRU_HOST_BRIDGE] = "through-host-bridge",
};

static const char *const p2px_reason_names[] = {
	[P2PX_TOPO_REASON_NONE] = "none",
	[P2PX_TOPO_REASON_SAME_UPSTREAM_BRIDGE] = "same-upstream-bridge",
	[P2PX_TOPO_REASON_NO_COMMON_UPSTREAM] = "no-common-upstream",
	[P2PX_TOPO_REASON_ACS_REDIRECT] = "acs-redirect",
	[P2PX_TOPO_REASON_CPU_ALLOWS] = "cpu-allows",
	[P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED] = "host-bridge-allowed",
	[P2PX_TOPO_REASON_TRUSTED_BY_PARAM] = "trusted-by-param",
	[P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED] = "host-bridge-not-allowed",
	[P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY] = "host-bridge-same-only",
	[P2PX_TOPO_REASON_NO_HOST_ROOT] = "no-host-root",
	[P2PX_TOPO_REASON_BAD_INPUT] = "bad-input",
	[P2PX_TOPO_REASON_TOO_DEEP] = "too-deep",
};

/**
 * p2px_topo_map_str() - short name of a mapping type
 * @map: the mapping type
 *
 * Return: a constant string.
 */
const char *p2px_topo_map_str(enum p2px_topo_map map)
{
	return (unsigned int)map < ARRAY_SIZE(p2px_map_names) ?
	       p2px_map_names[map] : "unknown";
}

/**
 * p2px_topo_reason_str() - short name of a reason
 * @reason: the reason
 *
 * Return: a constant string.
 */
const char *p2px_topo_reason_str(enum p2px_topo_reason reason)
{
	return (unsigned int)reason < ARRAY_SIZE(p2px_reason_names) ?
	       p2px_reason_names[reason] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Host bridge allowlist                                               */

static bool p2px_entry_matches(const struct p2px_topo_entry *e,
			       u16 vendor, u16 device)
{
	if (e->vendor != vendor)
		return false;
	return (e->flags & P2PX_TOPO_F_ANY_DEVICE) || e->device == device;
}

static const struct p2px_topo_entry *
p2px_first_match(const struct p2px_topo_entry *tbl, unsigned int nr,
		 u16 vendor, u16 device)
{
	unsigned int i;

	if (!tbl)
		return NULL;
	for (i = 0; i < nr; i++)
		if (p2px_entry_matches(&tbl[i], vendor, device))
			return &tbl[i];
	return NULL;
}

/**
 * p2px_topo_allowlist_find() - look a host bridge root device up
 * @al: the policy whose allowlist counts; NULL means the built-in table
 * @vendor: root device vendor id
 * @device: root device id
 * @flags: receives the matching entry's flags plus P2PX_TOPO_F_EXTRA or
 *	P2PX_TOPO_F_BUILTIN, or P2PX_TOPO_F_REMOVED when only a built-in
 *	entry the admin disabled matched; 0 when nothing matched (may be NULL)
 *
 * The admin's extra entries are consulted first, so they also override the
 * flags of a built-in entry.  Then, unless the id matches a removed entry,
 * the built-in table.  The first matching entry of a list decides.
 *
 * Return: true if an entry allows this root device.
 */
bool p2px_topo_allowlist_find(const struct p2px_topo_policy *al,
			      u16 vendor, u16 device, u32 *flags)
{
	const struct p2px_topo_entry *e;
	u32 dummy;

	if (!flags)
		flags = &dummy;
	*flags = 0;

	if (al) {
		e = p2px_first_match(al->extra, al->nr_extra, vendor, device);
		if (e) {
			*flags = (e->flags & P2PX_TOPO_F_ENTRY_MASK) |
				 P2PX_TOPO_F_EXTRA;
			return true;
		}
	}

	e = p2px_first_match(p2px_builtin_table, P2PX_BUILTIN_NR,
			     vendor, device);
	if (!e)
		return false;

	if (al && p2px_first_match(al->removed, al->nr_removed,
				   vendor, device)) {
		*flags = P2PX_TOPO_F_REMOVED;
		return false;
	}

	*flags = (e->flags & P2PX_TOPO_F_ENTRY_MASK) | P2PX_TOPO_F_BUILTIN;
	return true;
}

/* ------------------------------------------------------------------ */
/* Allowlist parameter syntax: VVVV:DDDD[:same],...                    */

static bool p2px_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int p2px_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly [s, s + len): optional 0x, then one to four hex digits. */
static bool p2px_parse_hex16(const char *s, size_t len, u16 *val)
{
	unsigned int v = 0;
	size_t i;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len < 1 || len > 4)
		return false;
	for (i = 0; i < len; i++) {
		int d = p2px_hex_digit(s[i]);

		if (d < 0)
			return false;
		v = (v << 4) | (unsigned int)d;
	}
	*val = (u16)v;
	return true;
}

static bool p2px_field_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

/*
 * Parse one non-empty token.  Return NULL on success or a description of
 * what is wrong with it.
 */
static const char *p2px_parse_entry(const char *tok, size_t len,
				    struct p2px_topo_entry *e)
{
	size_t start[3], flen[3];
	unsigned int nf = 0;
	size_t i, from = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && tok[i] != ':')
			continue;
		if (nf == 3)
			return "too many ':' separated fields";
		start[nf] = from;
		flen[nf] = i - from;
		nf++;
		from = i + 1;
	}
	if (nf < 2)
		return "expected VVVV:DDDD[:same]";

	e->flags = 0;
	e->device = 0;
	if (!p2px_parse_hex16(tok + start[0], flen[0], &e->vendor))
		return "vendor id is not 1-4 hex digits";
	if (e->vendor == 0x0000 || e->vendor == 0xffff)
		return "invalid vendor id";

	if (p2px_field_is(tok + start[1], flen[1], "*"))
		e->flags |= P2PX_TOPO_F_ANY_DEVICE;
	else if (!p2px_parse_hex16(tok + start[1], flen[1], &e->device))
		return "device id is not 1-4 hex digits or '*'";

	if (nf == 3) {
		if (!p2px_field_is(tok + start[2], flen[2], "same"))
			return "unknown flag (only 'same' is known)";
		e->flags |= P2PX_TOPO_F_SAME_HB;
	}
	return NULL;
}

/* Quote a token, shortened and with unprintable characters masked. */
static void p2px_put_quoted(struct p2px_sink *s, const char *tok, size_t len)
{
	size_t i;

	p2px_putc(s, '"');
	for (i = 0; i < len && i < P2PX_QUOTE_MAX; i++)
		p2px_putc(s, tok[i] >= 0x20 && tok[i] < 0x7f ? tok[i] : '?');
	if (len > P2PX_QUOTE_MAX)
		p2px_puts(s, "...");
	p2px_putc(s, '"');
}

/**
 * p2px_topo_allowlist_parse() - parse an allowlist parameter string
 * @s: comma separated VVVV:DDDD[:same] entries (hex, optional 0x, DDDD may
 *	be '*'); white space around entries and a trailing newline are
 *	ignored; NULL or an empty string is an empty list
 * @out: receives the entries (may be NULL to only validate); its contents
 *	are undefined after an error
 * @max: capacity of @out
 * @n: receives the number of entries, 0 after an error (may be NULL)
 * @err: receives a one-line reason on error, "" on success (may be NULL)
 * @errlen: size of @err
 *
 * The whole string is checked before the entry count, so a malformed
 * entry is reported as such even after too many good ones.
 *
 * Return: 0, -EINVAL for a malformed entry, -E2BIG for more than @max.
 */
int p2px_topo_allowlist_parse(const char *s, struct p2px_topo_entry *out,
			      unsigned int max, unsigned int *n,
			      char *err, size_t errlen)
{
	const char *p = s, *excess = NULL;
	struct p2px_sink es;
	unsigned int count = 0, seen = 0;
	size_t excess_len = 0;

	p2px_sink_init(&es, err, errlen);
	if (n)
		*n = 0;
	if (!p)
		return 0;
	while (p2px_is_space(*p))
		p++;
	if (!*p)
		return 0;

	for (;;) {
		const char *tok = p, *end;
		struct p2px_topo_entry e;
		const char *why;
		size_t len;

		while (*p && *p != ',')
			p++;
		end = p;
		while (end > tok && p2px_is_space(end[-1]))
			end--;
		len = (size_t)(end - tok);

		if (!len) {
			p2px_printf(&es, "empty entry after %u valid one(s)",
				    seen);
			return -EINVAL;
		}
		why = p2px_parse_entry(tok, len, &e);
		if (why) {
			p2px_puts(&es, "bad entry ");
			p2px_put_quoted(&es, tok, len);
			p2px_puts(&es, ": ");
			p2px_puts(&es, why);
			return -EINVAL;
		}
		if (seen < UINT_MAX)
			seen++;
		if (count < max) {
			if (out)
				out[count] = e;
			count++;
		} else if (!excess) {
			excess = tok;
			excess_len = len;
		}

		if (!*p)
			break;
		p++;	/* the ',' */
		while (p2px_is_space(*p))
			p++;
	}

	if (excess) {
		p2px_puts(&es, "too many entries at ");
		p2px_put_quoted(&es, excess, excess_len);
		p2px_printf(&es, ": at most %u", max);
		return -E2BIG;
	}
	if (n)
		*n = count;
	return 0;
}

/**
 * p2px_topo_allowlist_format() - print entries in parameter syntax
 * @e: the entries
 * @n: number of entries
 * @buf: output buffer, always NUL-terminated when @len is not zero
 * @len: size of @buf
 *
 * The output parses back to the same entries.
 *
 * Return: the length of the full text, like snprintf().
 */
int p2px_topo_allowlist_format(const struct p2px_topo_entry *e,
			       unsigned int n, char *buf, size_t len)
{
	struct p2px_sink s;
	unsigned int i;

	p2px_sink_init(&s, buf, len);
	for (i = 0; e && i < n; i++) {
		if (i)
			p2px_putc(&s, ',');
		if (e[i].flags & P2PX_TOPO_F_ANY_DEVICE)
			p2px_printf(&s, "%04x:*", e[i].vendor);
		else
			p2px_put_ids(&s, e[i].vendor, e[i].device);
		if (e[i].flags & P2PX_TOPO_F_SAME_HB)
			p2px_puts(&s, ":same");
	}
	return p2px_sink_done(&s);
}

/* ------------------------------------------------------------------ */
/* The decision                                                        */

/* Number of nodes from @n to the top of its hierarchy, or -ELOOP. */
static int p2px_chain_len(const struct p2px_topo_node *n)
{
	int len = 0;

	for (; n; n = n->up) {
		if (len >= P2PX_TOPO_MAX_DEPTH)
			return -ELOOP;
		len++;
	}
	return len;
}

/* The P2PX_TOPO_ACS_REDIR bits @n has set, 0 without an ACS capability. */
static u16 p2px_acs_redir_bits(const struct p2px_topo_node *n)
{
	return n->has_acs ? n->acs_ctrl & P2PX_TOPO_ACS_REDIR : 0;
}

static void p2px_note_acs(struct p2px_topo_result *res,
			  const struct p2px_topo_node *n)
{
	u16 bits = p2px_acs_redir_bits(n);

	if (!bits)
		return;
	if (res->acs_count < P2PX_TOPO_MAX_ACS) {
		res->acs[res->acs_count].id = n->id;
		res->acs[res->acs_count].bits = bits;
	}
	res->acs_count++;
}

/*
 * The path between two nodes: where they meet, how far apart they are,
 * the nodes whose ACS settings count. Both p2px_topo_calc() and
 * p2px_topo_answer() decide on it, so the two cannot disagree.
 */
struct p2px_path {
	const struct p2px_topo_node *common;
	int psteps;
	int csteps;
	int distance;
};

static int p2px_path_find(const struct p2px_topo_node *provider,
			  const struct p2px_topo_node *client,
			  struct p2px_path *path)
{
	int plen = p2px_chain_len(provider), clen = p2px_chain_len(client);

	const struct p2px_topo_node *a = provider, *b = client;
	int i = 0, j = 0;

	if (plen < 0 || clen < 0)
		return -ELOOP;
	/*
	 * A device's ancestors are the same whichever chain names it, so the
	 * two chains meet at the first device at the same height above the
	 * top: climb the longer chain to the other's height, then both.
	 */
	for (; plen - i > clen - j; i++)
		a = a->up;
	for (; clen - j > plen - i; j++)
		b = b->up;
	for (; a && a->id != b->id; i++, j++) {
		a = a->up;
		b = b->up;
	}
	path->common = a;
	path->psteps = i;
	path->csteps = j;
	path->distance = a ? i + j : plen + clen;
	return 0;
}

/*
 * Notes in @note (when not NULL) every device of the @count nodes from @n
 * up whose ACS redirects P2P; without @note, stops at the first.
 * Return: whether any device redirects.
 */
static bool p2px_nodes_redirect(const struct p2px_topo_node *n, int count,
				struct p2px_topo_result *note)
{
	bool any = false;
	int i;

	for (i = 0; i < count; n = n->up, i++) {
		if (!p2px_acs_redir_bits(n))
			continue;
		if (!note)
			return true;
		p2px_note_acs(note, n);
		any = true;
	}
	return any;
}

/*
 * The same for the path: the provider side up to and including the common
 * device, then the client side below it.
 */
static bool p2px_path_redirects(const struct p2px_topo_node *provider,
				const struct p2px_topo_node *client,
				const struct p2px_path *path,
				struct p2px_topo_result *note)
{
	bool p = p2px_nodes_redirect(provider, path->psteps + 1, note);

	if (p && !note)
		return true;
	return p2px_nodes_redirect(client, path->csteps, note) || p;
}

static void p2px_describe_host(const struct p2px_topo_bridge *br,
			       const struct p2px_topo_policy *al,
			       struct p2px_topo_hb_info *hb)
{
	if (!br)
		return;
	hb->known = true;
	hb->id = br->id;
	if (!br->has_root)
		return;
	hb->has_root = true;
	hb->vendor = br->root_vendor;
	hb->device = br->root_device;
	hb->listed = p2px_topo_allowlist_find(al, hb->vendor, hb->device,
					      &hb->flags);
}

static bool p2px_same_host(const struct p2px_topo_bridge *p,
			   const struct p2px_topo_bridge *c)
{
	return p && c && (p == c || p->id == c->id);
}

/* What the allowlist alone says about the path through the host bridge. */
static enum p2px_topo_reason
p2px_judge_hosts(const struct p2px_topo_hb_info *p,
		 const struct p2px_topo_hb_info *c, bool same_host)
{
	if (same_host) {
		if (!p->has_root)
			return P2PX_TOPO_REASON_NO_HOST_ROOT;
		return p->listed ? P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED :
				   P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	}
	if (!p->has_root || !c->has_root)
		return P2PX_TOPO_REASON_NO_HOST_ROOT;
	if (!p->listed || !c->listed)
		return P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	if ((p->flags | c->flags) & P2PX_TOPO_F_SAME_HB)
		return P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY;
	return P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED;
}

/*
 * Why a path through the host bridge is allowed (CPU_ALLOWS,
 * HOST_BRIDGE_ALLOWED, TRUSTED_BY_PARAM) or refused (@hb_verdict).
 */
static enum p2px_topo_reason
p2px_host_reason(const struct p2px_topo_policy *pol,
		 enum p2px_topo_reason hb_verdict)
{
	if (pol->cpu_allows)
		return P2PX_TOPO_REASON_CPU_ALLOWS;
	if (hb_verdict == P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED)
		return P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED;
	if (pol->trust_all)
		return P2PX_TOPO_REASON_TRUSTED_BY_PARAM;
	return hb_verdict;
}

static bool p2px_host_allows(enum p2px_topo_reason reason)
{
	return reason == P2PX_TOPO_REASON_CPU_ALLOWS ||
	       reason == P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED ||
	       reason == P2PX_TOPO_REASON_TRUSTED_BY_PARAM;
}

static void p2px_result_init(struct p2px_topo_result *res)
{
	memset(res, 0, sizeof(*res));
	res->map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	res->reason = P2PX_TOPO_REASON_BAD_INPUT;
	res->detour = P2PX_TOPO_REASON_NONE;
	res->hb_verdict = P2PX_TOPO_REASON_NONE;
	res->distance = -1;
}

/**
 * p2px_topo_calc() - mapping type and distance of one provider/client pair
 * @provider: the device whose memory is used
 * @client: the device doing the DMA
 * @pol: host bridge policy; NULL means the built-in allowlist only
 * @res: receives the answer and its explanation
 *
 * Follows upstream's rules.  The common upstream device is the first
 * provider-side device (the provider included) that is also on the
 * client's way up; the distance is the number of hops from each side to
 * it (0 for the same function, 2 for two functions of one device, 4 for
 * two devices below one switch).  Every device on the provider's side up
 * to and including the common one, and every device on the client's side
 * below it, must not redirect P2P with ACS.  Otherwise, or without a
 * common device (the distance then is the length of both chains added),
 * the traffic has to go through the host bridge, which the CPU rule, the
 * trust-all switch or the host bridge allowlist must allow.
 *
 * Return: 0, -EINVAL if an argument is NULL, -ELOOP if an upstream chain
 * is longer than P2PX_TOPO_MAX_DEPTH (@res then says NOT_SUPPORTED).
 */
int p2px_topo_calc(const struct p2px_topo_node *provider,
		   const struct p2px_topo_node *client,
		   const struct p2px_topo_policy *pol,
		   struct p2px_topo_result *res)
{
	static const struct p2px_topo_policy no_policy;
	struct p2px_path path;

	if (!res)
		return -EINVAL;
	p2px_result_init(res);
	if (!provider || !client)
		return -EINVAL;
	if (!pol)
		pol = &no_policy;

	res->provider_id = provider->id;
	res->client_id = client->id;

	if (p2px_path_find(provider, client, &path)) {
		res->reason = P2PX_TOPO_REASON_TOO_DEEP;
		return -ELOOP;
	}

	p2px_describe_host(provider->host, pol, &res->hb[0]);
	p2px_describe_host(client->host, pol, &res->hb[1]);
	res->same_host = p2px_same_host(provider->host, client->host);
	res->hb_verdict = p2px_judge_hosts(&res->hb[0], &res->hb[1],
					   res->same_host);

	res->distance = path.distance;
	if (path.common) {
		res->has_common = true;
		res->common_id = path.common->id;
		if (!p2px_path_redirects(provider, client, &path, res)) {
			res->map = P2PX_TOPO_MAP_BUS_ADDR;
			res->reason = P2PX_TOPO_REASON_SAME_UPSTREAM_BRIDGE;
			return 0;
		}
		res->detour = P2PX_TOPO_REASON_ACS_REDIRECT;
	} else {
		res->detour = P2PX_TOPO_REASON_NO_COMMON_UPSTREAM;
	}

	res->reason = p2px_host_reason(pol, res->hb_verdict);
	res->map = p2px_host_allows(res->reason) ?
		   P2PX_TOPO_MAP_THRU_HOST_BRIDGE : P2PX_TOPO_MAP_NOT_SUPPORTED;
	return 0;
}

/*
 * The first half of p2px_topo_calc(), without the explanation: reads
 * neither the host bridges nor the allowlist. Return: 1 for a direct path,
 * 0 for one through the host bridge (*@distance set either way), -EINVAL,
 * -ELOOP.
 */
static int p2px_direct(const struct p2px_topo_node *provider,
		       const struct p2px_topo_node *client, int *distance)
{
	struct p2px_path path;
	int ret;

	if (!provider || !client || !distance)
		return -EINVAL;
	ret = p2px_path_find(provider, client, &path);
	if (ret)
		return ret;
	*distance = path.distance;
	return path.common && !p2px_path_redirects(provider, client, &path,
						   NULL);
}

/* The second half: the mapping type of a path through the host bridge. */
static enum p2px_topo_map
p2px_host_map(const struct p2px_topo_bridge *provider,
	      const struct p2px_topo_bridge *client,
	      const struct p2px_topo_policy *pol)
{
	static const struct p2px_topo_policy no_policy;
	struct p2px_topo_hb_info hb[2] = {};
	enum p2px_topo_reason verdict = P2PX_TOPO_REASON_NONE;

	if (!pol)
		pol = &no_policy;
	/* The CPU rule comes first: no need to look the bridges up. */
	if (!pol->cpu_allows) {
		p2px_describe_host(provider, pol, &hb[0]);
		p2px_describe_host(client, pol, &hb[1]);
		verdict = p2px_judge_hosts(&hb[0], &hb[1],
					   p2px_same_host(provider, client));
	}
	return p2px_host_allows(p2px_host_reason(pol, verdict)) ?
	       P2PX_TOPO_MAP_THRU_HOST_BRIDGE : P2PX_TOPO_MAP_NOT_SUPPORTED;
}

/**
 * p2px_topo_answer() - mapping type and distance, without the explanation
 * @provider: the device whose memory is used
 * @client: the device doing the DMA
 * @pol: host bridge policy; NULL means the built-in allowlist only
 * @ans: receives what p2px_topo_calc() would put in its @map and
 *	@distance fields
 *
 * p2px_direct(), then, only for a path through the host bridge,
 * p2px_host_map().
 *
 * Return: as p2px_topo_calc().
 */
int p2px_topo_answer(const struct p2px_topo_node *provider,
		     const struct p2px_topo_node *client,
		     const struct p2px_topo_policy *pol,
		     struct p2px_topo_answer *ans)
{
	int ret;

	if (!ans)
		return -EINVAL;
	ans->map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	ret = p2px_direct(provider, client, &ans->distance);
	if (ret < 0) {
		ans->distance = -1;
		return ret;
	}
	ans->map = ret ? P2PX_TOPO_MAP_BUS_ADDR :
		   p2px_host_map(provider->host, client->host, pol);
	return 0;
}

/**
 * p2px_topo_sum() - add one client's answer to a distance_many() total
 * @total: the total so far (0 to start), -1 once a client was refused
 * @ans: the next client's answer
 *
 * Return: @total plus the client's distance, or -1 if @total is -1 or the
 * client cannot do peer-to-peer DMA (like pci_p2pdma_distance_many()).
 */
int p2px_topo_sum(int total, const struct p2px_topo_answer *ans)
{
	if (total < 0 || ans->map == P2PX_TOPO_MAP_NOT_SUPPORTED ||
	    ans->distance < 0)
		return -1;
	return ans->distance > INT_MAX - total ? INT_MAX :
	       total + ans->distance;
}

/* ------------------------------------------------------------------ */
/* Explanation                                                         */

static void p2px_put_acs_bits(struct p2px_sink *s, u16 bits)
{
	static const struct { u16 bit; const char *name; } names[] = {
		{ P2PX_TOPO_ACS_RR, "RR" },
		{ P2PX_TOPO_ACS_CR, "CR" },
		{ P2PX_TOPO_ACS_EC, "EC" },
	};
	const char *sep = "[";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (bits & names[i].bit) {
			p2px_printf(s, "%s%s", sep, names[i].name);
			sep = " ";
		}
	}
	p2px_puts(s, *sep == '[' ? "[]" : "]");
}

static unsigned int p2px_acs_listed(const struct p2px_topo_result *r)
{
	return r->acs_count < P2PX_TOPO_MAX_ACS ? r->acs_count :
						  P2PX_TOPO_MAX_ACS;
}

static void p2px_put_hb(struct p2px_sink *s, const struct p2px_topo_hb_info *hb)
{
	p2px_puts(s, "host bridge ");
	if (!hb->known) {
		p2px_puts(s, "(unknown)");
		return;
	}
	p2px_put_hb_name(s, hb->id);
	if (hb->has_root) {
		p2px_puts(s, " (root ");
		p2px_put_ids(s, hb->vendor, hb->device);
		p2px_putc(s, ')');
	}
}

static void p2px_put_origin(struct p2px_sink *s, u32 flags)
{
	if (flags & P2PX_TOPO_F_EXTRA)
		p2px_puts(s, " [added by " P2PX_TOPO_ALLOW_PARAM "]");
	else if (flags & P2PX_TOPO_F_BUILTIN)
		p2px_puts(s, " [built-in]");
}

/* How many host bridge sides matter: one if shared, else two. */
static unsigned int p2px_hb_sides(const struct p2px_topo_result *r)
{
	return r->same_host ? 1 : 2;
}

static bool p2px_hb_needs_entry(const struct p2px_topo_result *r,
				const struct p2px_topo_hb_info *hb)
{
	if (!hb->has_root)
		return false;
	if (!hb->listed)
		return true;
	return !r->same_host && (hb->flags & P2PX_TOPO_F_SAME_HB);
}

static void p2px_explain_verdict(struct p2px_sink *s,
				 const struct p2px_topo_result *r)
{
	const struct p2px_topo_hb_info *hb;
	unsigned int i;

	switch (r->reason) {
	case P2PX_TOPO_REASON_CPU_ALLOWS:
		p2px_puts(s, " Allowed: this CPU forwards peer-to-peer traffic");
		p2px_puts(s, " between its host bridge ports.");
		break;
	case P2PX_TOPO_REASON_TRUSTED_BY_PARAM:
		p2px_puts(s, " Allowed: every host bridge is trusted by module parameter.");
		break;
	case P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED:
		p2px_puts(s, " Allowed by the host bridge allowlist:");
		for (i = 0; i < p2px_hb_sides(r); i++) {
			p2px_puts(s, i ? ", " : " ");
			p2px_put_hb(s, &r->hb[i]);
			p2px_put_origin(s, r->hb[i].flags);
		}
		p2px_putc(s, '.');
		break;
	case P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED:
		for (i = 0; i < p2px_hb_sides(r); i++) {
			hb = &r->hb[i];
			if (hb->listed)
				continue;
			p2px_puts(s, " Refused: ");
			p2px_put_hb(s, hb);
			if (hb->flags & P2PX_TOPO_F_REMOVED)
				p2px_puts(s, " is a built-in entry disabled by the admin.");
			else
				p2px_puts(s, " is not in the host bridge allowlist.");
		}
		for (i = 0; i < p2px_hb_sides(r); i++) {
			hb = &r->hb[i];
			if (!hb->listed || !p2px_hb_needs_entry(r, hb))
				continue;
			p2px_puts(s, " Also, the entry for ");
			p2px_put_hb(s, hb);
			p2px_puts(s, " only allows peers below that host bridge.");
		}
		break;
	case P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY:
		p2px_puts(s, " Refused: the devices are below different host bridges (");
		p2px_put_hb_name(s, r->hb[0].id);
		p2px_puts(s, " and ");
		p2px_put_hb_name(s, r->hb[1].id);
		p2px_puts(s, ") and the allowlist entry for");
		for (i = 0; i < 2; i++) {
			hb = &r->hb[i];
			if (!(hb->flags & P2PX_TOPO_F_SAME_HB))
				continue;
			if (i == 1 && (r->hb[0].flags & P2PX_TOPO_F_SAME_HB) &&
			    hb->vendor == r->hb[0].vendor &&
			    hb->device == r->hb[0].device)
				continue;
			p2px_puts(s, i && (r->hb[0].flags & P2PX_TOPO_F_SAME_HB) ?
				  " / " : " ");
			p2px_put_ids(s, hb->vendor, hb->device);
		}
		p2px_puts(s, " only allows peers below one host bridge.");
		break;
	case P2PX_TOPO_REASON_NO_HOST_ROOT:
		for (i = 0; i < p2px_hb_sides(r); i++) {
			hb = &r->hb[i];
			if (hb->has_root)
				continue;
			p2px_puts(s, " Refused: ");
			p2px_put_hb(s, hb);
			p2px_puts(s, " has no root device (00.0 or Root Port)");
			p2px_puts(s, " that the allowlist could match.");
		}
		break;
	default:
		break;
	}
}

/*
 * The remedies end a sentence without a full stop right after a value, so
 * that a copied value never carries punctuation with it.
 */
static void p2px_explain_remedy(struct p2px_sink *s,
				const struct p2px_topo_result *r)
{
	const struct p2px_topo_hb_info *hb;
	unsigned int i, shown = p2px_acs_listed(r);
	bool first = true;

	if (shown) {
		p2px_printf(s, " %s " P2PX_TOPO_ACS_CMDLINE "=",
			    r->map == P2PX_TOPO_MAP_NOT_SUPPORTED ?
			    "Remedy: add" : "For a direct path add");
		for (i = 0; i < shown; i++) {
			if (i)
				p2px_putc(s, ';');
			p2px_put_name(s, r->acs[i].id);
		}
		if (r->acs_count > shown) {
			p2px_printf(s, " (plus %u more not listed here)",
				    r->acs_count - shown);
		}
		p2px_puts(s, " to the kernel command line");
		if (r->map != P2PX_TOPO_MAP_NOT_SUPPORTED)
			p2px_putc(s, '.');
	}

	if (r->map != P2PX_TOPO_MAP_NOT_SUPPORTED ||
	    (r->reason != P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED &&
	     r->reason != P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY)) {
		if (shown && r->map == P2PX_TOPO_MAP_NOT_SUPPORTED)
			p2px_putc(s, '.');
		return;
	}

	for (i = 0; i < p2px_hb_sides(r); i++) {
		hb = &r->hb[i];
		if (!p2px_hb_needs_entry(r, hb))
			continue;
		if (i == 1 && p2px_hb_needs_entry(r, &r->hb[0]) &&
		    hb->vendor == r->hb[0].vendor &&
		    hb->device == r->hb[0].device)
			continue;
		if (first) {
			p2px_puts(s, shown ? "; or, if" : " Remedy: if");
			p2px_puts(s, " the host bridge forwards peer-to-peer traffic,");
			p2px_puts(s, " set " P2PX_TOPO_ALLOW_PARAM "=");
			first = false;
		} else {
			p2px_putc(s, ',');
		}
		p2px_put_ids(s, hb->vendor, hb->device);
	}
	if (first && shown)
		p2px_putc(s, '.');
}

/**
 * p2px_topo_same() - do two results say the same thing?
 * @a: one result
 * @b: the other
 *
 * Compares every field an explanation reads (never memcmp: padding).
 *
 * Return: true if they agree.
 */
bool p2px_topo_same(const struct p2px_topo_result *a,
		    const struct p2px_topo_result *b)
{
	unsigned int i;

	if (a->map != b->map || a->reason != b->reason ||
	    a->detour != b->detour || a->hb_verdict != b->hb_verdict ||
	    a->distance != b->distance || a->has_common != b->has_common ||
	    a->common_id != b->common_id || a->acs_count != b->acs_count ||
	    a->same_host != b->same_host)
		return false;
	for (i = 0; i < p2px_acs_listed(a); i++)
		if (a->acs[i].id != b->acs[i].id ||
		    a->acs[i].bits != b->acs[i].bits)
			return false;
	for (i = 0; i < ARRAY_SIZE(a->hb); i++)
		if (a->hb[i].id != b->hb[i].id ||
		    a->hb[i].listed != b->hb[i].listed ||
		    a->hb[i].flags != b->hb[i].flags)
			return false;
	return true;
}

/**
 * p2px_topo_explain() - describe a result for humans, on one line
 * @r: the result of p2px_topo_calc()
 * @buf: output buffer, always NUL-terminated when @len is not zero
 * @len: size of @buf
 *
 * Says what the answer is and why; when the answer is "no" or "through the
 * host bridge", also what to change: the pci=disable_acs_redir= kernel
 * command line for the devices with ACS redirect and/or the
 * p2pdma_ext.host_bridge_allow= entries for the host bridges that are
 * missing from the allowlist.
 *
 * Return: the length of the full text like snprintf(), -EINVAL if @r is
 * NULL.
 */
int p2px_topo_explain(const struct p2px_topo_result *r, char *buf,
		      size_t len)
{
	struct p2px_sink s;
	unsigned int i, shown;

	if (!r)
		return -EINVAL;
	p2px_sink_init(&s, buf, len);

	p2px_put_name(&s, r->provider_id);
	p2px_puts(&s, " -> ");
	p2px_put_name(&s, r->client_id);
	p2px_puts(&s, ": ");

	switch (r->reason) {
	case P2PX_TOPO_REASON_BAD_INPUT:
		p2px_puts(&s, "not supported: invalid topology description.");
		return p2px_sink_done(&s);
	case P2PX_TOPO_REASON_TOO_DEEP:
		p2px_printf(&s, "not supported: upstream chain longer than %d devices (loop?).",
			    P2PX_TOPO_MAX_DEPTH);
		return p2px_sink_done(&s);
	default:
		break;
	}

	switch (r->map) {
	case P2PX_TOPO_MAP_BUS_ADDR:
		p2px_puts(&s, "direct by PCI bus address");
		break;
	case P2PX_TOPO_MAP_THRU_HOST_BRIDGE:
		p2px_puts(&s, "through the host bridge");
		break;
	default:
		p2px_puts(&s, "not supported");
		break;
	}
	p2px_printf(&s, ", distance %d.", r->distance);

	if (r->has_common) {
		p2px_puts(&s, " Common upstream device ");
		p2px_put_name(&s, r->common_id);
		p2px_putc(&s, '.');
	}

	if (r->detour == P2PX_TOPO_REASON_NO_COMMON_UPSTREAM) {
		p2px_puts(&s, " No common upstream bridge: the path goes through the host bridge.");
	} else if (r->detour == P2PX_TOPO_REASON_ACS_REDIRECT) {
		shown = p2px_acs_listed(r);
		p2px_printf(&s, " ACS redirect sends the traffic to the host bridge;");
		p2px_printf(&s, " set on %u device(s):", r->acs_count);
		for (i = 0; i < shown; i++) {
			p2px_putc(&s, ' ');
			p2px_put_name(&s, r->acs[i].id);
			p2px_putc(&s, ' ');
			p2px_put_acs_bits(&s, r->acs[i].bits);
		}
		p2px_putc(&s, '.');
	}

	if (r->map != P2PX_TOPO_MAP_BUS_ADDR) {
		p2px_explain_verdict(&s, r);
		p2px_explain_remedy(&s, r);
	}
	return p2px_sink_done(&s);
}
