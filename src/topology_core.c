// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdma-ext topology decision core: mapping type and distance of a
 * provider/client pair, the host bridge allowlist and its parameter syntax,
 * and the explanation of every answer. Plain C on struct p2px_topo_node
 * descriptions: built into the module and into the host unit tests.
 */
#include <linux/ctype.h>

#include "topology_core.h"

/* Built-in host bridge allowlist (root device ids): upstream's newest. */
static const struct p2px_topo_entry p2px_builtin_table[] = {
	/* Intel Xeon E5 / Core i7, E7 v3 / E5 v3: only within one host bridge */
	{ 0x8086, 0x3c00, P2PX_TOPO_F_SAME_HB }, { 0x8086, 0x3c01, P2PX_TOPO_F_SAME_HB },
	{ 0x8086, 0x2f00, P2PX_TOPO_F_SAME_HB }, { 0x8086, 0x2f01, P2PX_TOPO_F_SAME_HB },
	/* Intel Skylake-E */
	{ 0x8086, 0x2030, 0 }, { 0x8086, 0x2031, 0 }, { 0x8086, 0x2032, 0 },
	{ 0x8086, 0x2033, 0 }, { 0x8086, 0x2020, 0 }, { 0x8086, 0x09a2, 0 },
	/* Intel DSA / IAA (Sapphire Rapids, Granite Rapids-D, Diamond Rapids) */
	{ 0x8086, 0x0b25, 0 }, { 0x8086, 0x0cfe, 0 }, { 0x8086, 0x11fb, 0 },
	{ 0x8086, 0x1212, 0 }, { 0x8086, 0x1216, 0 },
	/* Intel QAT 4xxx family */
	{ 0x8086, 0x4940, 0 }, { 0x8086, 0x4942, 0 }, { 0x8086, 0x4944, 0 },
	{ 0x8086, 0x4946, 0 }, { 0x8086, 0x4948, 0 },
	/* Google SoCs: any device id */
	{ 0x1ae0, 0x0000, P2PX_TOPO_F_ANY_DEVICE },
	/* NVIDIA CPUs */
	{ 0x10de, 0x2f95, 0 }, { 0x10de, 0x2f96, 0 }, { 0x10de, 0x2f97, 0 },
	{ 0x10de, 0x2f98, 0 },
};

/* Longest piece of an offending parameter token quoted in a message. */
#define P2PX_QUOTE_MAX	32
#define P2PX_NO_ROOT " has no root device (00.0 or Root Port) that the allowlist could match."

/* Bounded text output, like snprintf() but appending. */
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
#define p2px_put_ids(s, v, d)	p2px_printf(s, "%04x:%04x", v, d)

static int p2px_sink_done(const struct p2px_sink *s)
{
	return s->pos > INT_MAX ? INT_MAX : (int)s->pos;
}

static void p2px_put_name(struct p2px_sink *s, u64 id)
{
	p2px_printf(s, "%04llx:%02x:%02x.%u",
		    (unsigned long long)P2PX_TOPO_ID_DOMAIN(id),
		    P2PX_TOPO_ID_BUS(id), P2PX_TOPO_ID_DEVFN(id) >> 3,
		    P2PX_TOPO_ID_DEVFN(id) & 7);
}

static void p2px_put_hb_name(struct p2px_sink *s, u64 hb_id)
{
	p2px_printf(s, "%04llx:%02x", (unsigned long long)(hb_id >> 8),
		    (unsigned int)(hb_id & 0xff));
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
	return (unsigned int)map < ARRAY_SIZE(p2px_map_names) &&
	       p2px_map_names[map] ? p2px_map_names[map] : "unknown";
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

static const struct p2px_topo_entry *
p2px_first_match(const struct p2px_topo_entry *tbl, unsigned int nr,
		 u16 vendor, u16 device)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (tbl[i].vendor == vendor &&
		    ((tbl[i].flags & P2PX_TOPO_F_ANY_DEVICE) ||
		     tbl[i].device == device))
			return &tbl[i];
	return NULL;
}

/**
 * p2px_topo_allowlist_find() - look a host bridge root device up
 * @al: the policy whose allowlist counts, besides the built-in table
 * @vendor: root device vendor id
 * @device: root device id
 * @flags: receives the matching entry's flags plus P2PX_TOPO_F_EXTRA or
 *	P2PX_TOPO_F_BUILTIN, or P2PX_TOPO_F_REMOVED when only a built-in
 *	entry the admin disabled matched; 0 when nothing matched
 *
 * The admin's extra entries first (they override a built-in entry's
 * flags), then, unless a removed entry matches, the built-in table; the
 * first matching entry of a list decides.
 *
 * Return: true if an entry allows this root device.
 */
bool p2px_topo_allowlist_find(const struct p2px_topo_policy *al,
			      u16 vendor, u16 device, u32 *flags)
{
	const struct p2px_topo_entry *e;
	u32 f = 0;

	e = p2px_first_match(al->extra, al->nr_extra, vendor, device);
	if (e) {
		f = P2PX_TOPO_F_EXTRA;
	} else {
		e = p2px_first_match(p2px_builtin_table,
				     ARRAY_SIZE(p2px_builtin_table),
				     vendor, device);
		if (e && p2px_first_match(al->removed, al->nr_removed,
					  vendor, device)) {
			f = P2PX_TOPO_F_REMOVED;
			e = NULL;
		} else if (e) {
			f = P2PX_TOPO_F_BUILTIN;
		}
	}
	if (e)
		f |= e->flags & P2PX_TOPO_F_ENTRY_MASK;
	*flags = f;
	return e;
}

static bool p2px_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
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
		if (!isxdigit((unsigned char)s[i]))
			return false;
		v = v << 4 | (s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
	}
	*val = (u16)v;
	return true;
}

static bool p2px_field_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

/* Parse one non-empty token; Return: NULL, or what is wrong with it. */
static const char *p2px_parse_entry(const char *tok, size_t len,
				    struct p2px_topo_entry *e)
{
	const char *f[3], *end = tok + len, *colon;
	size_t flen[3];
	unsigned int nf;

	for (nf = 0;; nf++, tok = colon + 1) {
		if (nf == 3)
			return "too many ':' separated fields";
		colon = memchr(tok, ':', (size_t)(end - tok));
		f[nf] = tok;
		flen[nf] = (size_t)((colon ? colon : end) - tok);
		if (!colon)
			break;
	}
	if (!nf)
		return "expected VVVV:DDDD[:same]";
	e->flags = 0;
	e->device = 0;
	if (!p2px_parse_hex16(f[0], flen[0], &e->vendor))
		return "vendor id is not 1-4 hex digits";
	if (e->vendor == 0x0000 || e->vendor == 0xffff)
		return "invalid vendor id";
	if (p2px_field_is(f[1], flen[1], "*"))
		e->flags |= P2PX_TOPO_F_ANY_DEVICE;
	else if (!p2px_parse_hex16(f[1], flen[1], &e->device))
		return "device id is not 1-4 hex digits or '*'";
	if (nf == 2) {
		if (!p2px_field_is(f[2], flen[2], "same"))
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
	p2px_puts(s, len > P2PX_QUOTE_MAX ? "...\"" : "\"");
}

/**
 * p2px_topo_allowlist_parse() - parse an allowlist parameter string
 * @s: comma separated VVVV:DDDD[:same] entries (hex, optional 0x, DDDD may
 *	be '*'); white space around entries and a trailing newline are
 *	ignored; NULL or an empty string is an empty list
 * @out: receives the entries (may be NULL to only validate); its contents
 *	are undefined after an error
 * @max: capacity of @out
 * @n: receives the number of entries, 0 after an error
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
	const char *p = s, *tok, *end, *excess = NULL, *why;
	struct p2px_topo_entry e;
	unsigned int count = 0;		/* valid entries, stored or not */
	struct p2px_sink es;
	size_t len = 0;

	p2px_sink_init(&es, err, errlen);
	*n = 0;
	while (p && p2px_is_space(*p))
		p++;
	if (!p || !*p)
		return 0;
	for (;;) {
		for (tok = p; *p && *p != ','; p++)
			;
		for (end = p; end > tok && p2px_is_space(end[-1]);)
			end--;
		if (end == tok) {
			p2px_printf(&es, "empty entry after %u valid one(s)",
				    count);
			return -EINVAL;
		}
		why = p2px_parse_entry(tok, (size_t)(end - tok), &e);
		if (why) {
			p2px_puts(&es, "bad entry ");
			p2px_put_quoted(&es, tok, (size_t)(end - tok));
			p2px_printf(&es, ": %s", why);
			return -EINVAL;
		}
		if (count < max && out)
			out[count] = e;
		if (count++ == max) {
			excess = tok;
			len = (size_t)(end - tok);
		}
		if (!*p++)
			break;
		while (p2px_is_space(*p))
			p++;
	}
	if (excess) {
		p2px_puts(&es, "too many entries at ");
		p2px_put_quoted(&es, excess, len);
		p2px_printf(&es, ": at most %u", max);
		return -E2BIG;
	}
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

/*
 * The path between two nodes, which both p2px_topo_calc() and
 * p2px_topo_answer() decide on, so the two cannot disagree: the common
 * device (or NULL), the steps from each side up to it, the distance.
 */
struct p2px_path {
	const struct p2px_topo_node *common;
	int psteps;
	int csteps;
	int distance;
};

/* Number of nodes from @n to the top of its hierarchy, or -ELOOP. */
static int p2px_chain_len(const struct p2px_topo_node *n)
{
	int len = 0;

	for (; n; n = n->up)
		if (len++ >= P2PX_TOPO_MAX_DEPTH)
			return -ELOOP;
	return len;
}

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
 * Whether a device of the @count nodes from @n up redirects P2P with ACS;
 * with @note, every such device is noted in it, else the first one ends it.
 */
static bool p2px_nodes_redirect(const struct p2px_topo_node *n, int count,
				struct p2px_topo_result *note)
{
	bool any = false;
	u16 bits;
	int i;

	for (i = 0; i < count; n = n->up, i++) {
		bits = n->has_acs ? n->acs_ctrl & P2PX_TOPO_ACS_REDIR : 0;
		if (!bits)
			continue;
		if (!note)
			return true;
		if (note->acs_count < P2PX_TOPO_MAX_ACS) {
			note->acs[note->acs_count].id = n->id;
			note->acs[note->acs_count].bits = bits;
		}
		note->acs_count++;
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

/*
 * Describe both host bridges in @hb (zeroed by the caller) and say what
 * the allowlist alone says about a path through them.
 */
static enum p2px_topo_reason
p2px_judge_hosts(const struct p2px_topo_bridge *br0,
		 const struct p2px_topo_bridge *br1,
		 const struct p2px_topo_policy *pol,
		 struct p2px_topo_hb_info hb[2], bool *same)
{
	const struct p2px_topo_bridge *br[2] = { br0, br1 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		hb[i].br = *br[i];
		hb[i].listed = br[i]->has_root &&
			p2px_topo_allowlist_find(pol, br[i]->root_vendor,
						 br[i]->root_device,
						 &hb[i].flags);
	}
	*same = br0 == br1 || br0->id == br1->id;
	if (!br0->has_root || (!*same && !br1->has_root))
		return P2PX_TOPO_REASON_NO_HOST_ROOT;
	if (!hb[0].listed || (!*same && !hb[1].listed))
		return P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED;
	if (!*same && ((hb[0].flags | hb[1].flags) & P2PX_TOPO_F_SAME_HB))
		return P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY;
	return P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED;
}

/*
 * Why a path through the host bridge is allowed (CPU_ALLOWS,
 * HOST_BRIDGE_ALLOWED, TRUSTED_BY_PARAM) or refused (@verdict), and the
 * map type that follows.
 */
static enum p2px_topo_map p2px_host_map(const struct p2px_topo_policy *pol,
					enum p2px_topo_reason verdict,
					enum p2px_topo_reason *reason)
{
	if (pol->cpu_allows)
		*reason = P2PX_TOPO_REASON_CPU_ALLOWS;
	else if (verdict != P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED &&
		 pol->trust_all)
		*reason = P2PX_TOPO_REASON_TRUSTED_BY_PARAM;
	else
		*reason = verdict;
	return *reason == P2PX_TOPO_REASON_CPU_ALLOWS ||
	       *reason == P2PX_TOPO_REASON_HOST_BRIDGE_ALLOWED ||
	       *reason == P2PX_TOPO_REASON_TRUSTED_BY_PARAM ?
	       P2PX_TOPO_MAP_THRU_HOST_BRIDGE : P2PX_TOPO_MAP_NOT_SUPPORTED;
}

static const struct p2px_topo_policy p2px_no_policy;

/**
 * p2px_topo_calc() - mapping type and distance of one provider/client pair
 * @provider: the device whose memory is used
 * @client: the device doing the DMA
 * @pol: host bridge policy; NULL means the built-in allowlist only
 * @res: receives the answer and its explanation
 *
 * Upstream's rules: the distance is the number of hops from each side to
 * the first common upstream device (0 for the same function, 2 for two
 * functions of one device, 4 for two devices below one switch; without
 * one, both chain lengths added). The path is direct unless a device on
 * it (the provider's side up to and including the common device, the
 * client's below it) redirects P2P with ACS; else it goes through the host
 * bridge, which the CPU rule, the trust-all switch or the allowlist must
 * allow.
 *
 * Return: 0, or -ELOOP if an upstream chain is longer than
 * P2PX_TOPO_MAX_DEPTH (@res then says NOT_SUPPORTED).
 */
int p2px_topo_calc(const struct p2px_topo_node *provider,
		   const struct p2px_topo_node *client,
		   const struct p2px_topo_policy *pol,
		   struct p2px_topo_result *res)
{
	struct p2px_path path;

	memset(res, 0, sizeof(*res));	/* no detour */
	res->map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	if (!pol)
		pol = &p2px_no_policy;
	res->provider_id = provider->id;
	res->client_id = client->id;
	if (p2px_path_find(provider, client, &path)) {
		res->reason = P2PX_TOPO_REASON_TOO_DEEP;
		res->distance = -1;
		return -ELOOP;
	}
	res->hb_verdict = p2px_judge_hosts(provider->host, client->host, pol,
					   res->hb, &res->same_host);
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
	res->map = p2px_host_map(pol, res->hb_verdict, &res->reason);
	return 0;
}

/**
 * p2px_topo_answer() - mapping type and distance, without the explanation
 * @provider: the device whose memory is used
 * @client: the device doing the DMA
 * @pol: host bridge policy; NULL means the built-in allowlist only
 * @ans: receives what p2px_topo_calc() would put in its @map and
 *	@distance fields
 *
 * Reads neither the host bridges nor @pol for a direct path, nor the host
 * bridges when the CPU rule allows the path through them.
 *
 * Return: as p2px_topo_calc().
 */
int p2px_topo_answer(const struct p2px_topo_node *provider,
		     const struct p2px_topo_node *client,
		     const struct p2px_topo_policy *pol,
		     struct p2px_topo_answer *ans)
{
	enum p2px_topo_reason verdict = P2PX_TOPO_REASON_NONE, reason;
	struct p2px_topo_hb_info hb[2] = {};
	struct p2px_path path;
	bool same;

	ans->map = P2PX_TOPO_MAP_NOT_SUPPORTED;
	ans->distance = -1;
	if (p2px_path_find(provider, client, &path))
		return -ELOOP;
	ans->distance = path.distance;
	if (path.common && !p2px_path_redirects(provider, client, &path, NULL)) {
		ans->map = P2PX_TOPO_MAP_BUS_ADDR;
		return 0;
	}
	if (!pol)
		pol = &p2px_no_policy;
	if (!pol->cpu_allows)
		verdict = p2px_judge_hosts(provider->host, client->host, pol,
					   hb, &same);
	ans->map = p2px_host_map(pol, verdict, &reason);
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

static unsigned int p2px_acs_listed(const struct p2px_topo_result *r)
{
	return r->acs_count < P2PX_TOPO_MAX_ACS ? r->acs_count :
						  P2PX_TOPO_MAX_ACS;
}

/* @pre "host bridge DDDD:BB (root VVVV:DDDD)" @post */
static void p2px_put_hb(struct p2px_sink *s, const char *pre,
			const struct p2px_topo_hb_info *hb, const char *post)
{
	p2px_printf(s, "%shost bridge ", pre);
	p2px_put_hb_name(s, hb->br.id);
	if (hb->br.has_root)
		p2px_printf(s, " (root %04x:%04x)", hb->br.root_vendor,
			    hb->br.root_device);
	p2px_puts(s, post);
}

/* Whether the admin would have to add an allowlist entry for @hb. */
static bool p2px_hb_needs_entry(const struct p2px_topo_result *r,
				const struct p2px_topo_hb_info *hb)
{
	return hb->br.has_root && (!hb->listed || (!r->same_host &&
						(hb->flags & P2PX_TOPO_F_SAME_HB)));
}

static bool p2px_hb_same_ids(const struct p2px_topo_result *r)
{
	return r->hb[1].br.root_vendor == r->hb[0].br.root_vendor &&
	       r->hb[1].br.root_device == r->hb[0].br.root_device;
}

static void p2px_explain_verdict(struct p2px_sink *s,
				 const struct p2px_topo_result *r)
{
	unsigned int i, sides = r->same_host ? 1 : 2;
	const struct p2px_topo_hb_info *hb = r->hb;
	bool same0 = hb[0].flags & P2PX_TOPO_F_SAME_HB;

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
		for (i = 0; i < sides; i++)
			p2px_put_hb(s, i ? ", " : " ", &hb[i],
				    hb[i].flags & P2PX_TOPO_F_EXTRA ?
				    " [added by " P2PX_TOPO_ALLOW_PARAM "]" :
				    hb[i].flags & P2PX_TOPO_F_BUILTIN ?
				    " [built-in]" : "");
		p2px_putc(s, '.');
		break;
	case P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED:
		for (i = 0; i < sides; i++)
			if (!hb[i].listed)
				p2px_put_hb(s, " Refused: ", &hb[i],
					    hb[i].flags & P2PX_TOPO_F_REMOVED ?
					    " is a built-in entry disabled by the admin." :
					    " is not in the host bridge allowlist.");
		for (i = 0; i < sides; i++)
			if (hb[i].listed && p2px_hb_needs_entry(r, &hb[i]))
				p2px_put_hb(s, " Also, the entry for ", &hb[i],
					    " only allows peers below that host bridge.");
		break;
	case P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY:
		p2px_puts(s, " Refused: the devices are below different host bridges (");
		p2px_put_hb_name(s, hb[0].br.id);
		p2px_puts(s, " and ");
		p2px_put_hb_name(s, hb[1].br.id);
		p2px_puts(s, ") and the allowlist entry for");
		for (i = 0; i < 2; i++)
			if ((hb[i].flags & P2PX_TOPO_F_SAME_HB) &&
			    !(i && same0 && p2px_hb_same_ids(r)))
				p2px_printf(s, "%s%04x:%04x",
					    i && same0 ? " / " : " ",
					    hb[i].br.root_vendor,
					    hb[i].br.root_device);
		p2px_puts(s, " only allows peers below one host bridge.");
		break;
	case P2PX_TOPO_REASON_NO_HOST_ROOT:
		for (i = 0; i < sides; i++)
			if (!hb[i].br.has_root)
				p2px_put_hb(s, " Refused: ", &hb[i], P2PX_NO_ROOT);
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
	bool refused = r->map == P2PX_TOPO_MAP_NOT_SUPPORTED, any = false;
	unsigned int i, sides = r->same_host ? 1 : 2;
	unsigned int shown = p2px_acs_listed(r);
	const struct p2px_topo_hb_info *hb = r->hb;

	if (shown) {
		p2px_printf(s, " %s " P2PX_TOPO_ACS_CMDLINE "=",
			    refused ? "Remedy: add" : "For a direct path add");
		for (i = 0; i < shown; i++) {
			if (i)
				p2px_putc(s, ';');
			p2px_put_name(s, r->acs[i].id);
		}
		if (r->acs_count > shown)
			p2px_printf(s, " (plus %u more not listed here)",
				    r->acs_count - shown);
		p2px_puts(s, " to the kernel command line");
	}
	if (refused && (r->reason == P2PX_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED ||
			r->reason == P2PX_TOPO_REASON_HOST_BRIDGE_SAME_ONLY)) {
		for (i = 0; i < sides; i++) {
			if (!p2px_hb_needs_entry(r, &hb[i]) ||
			    (i && p2px_hb_needs_entry(r, &hb[0]) &&
			     p2px_hb_same_ids(r)))
				continue;
			if (!any) {
				p2px_puts(s, shown ? "; or, if" : " Remedy: if");
				p2px_puts(s, " the host bridge forwards peer-to-peer traffic,");
				p2px_puts(s, " set " P2PX_TOPO_ALLOW_PARAM "=");
			} else {
				p2px_putc(s, ',');
			}
			p2px_put_ids(s, hb[i].br.root_vendor,
				     hb[i].br.root_device);
			any = true;
		}
	}
	if (shown && !any)
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
		if (a->hb[i].br.id != b->hb[i].br.id ||
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
 * What the answer is and why; unless the path is direct, also what to
 * change: pci=disable_acs_redir= for the devices with ACS redirect and/or
 * p2pdma_ext.host_bridge_allow= entries for host bridges not allowed.
 *
 * Return: the length of the full text, like snprintf().
 */
int p2px_topo_explain(const struct p2px_topo_result *r, char *buf,
		      size_t len)
{
	static const char *const acs_bits[] = { "RR", "CR", "EC" };
	static const u16 acs_mask[] = {
		P2PX_TOPO_ACS_RR, P2PX_TOPO_ACS_CR, P2PX_TOPO_ACS_EC,
	};
	struct p2px_sink s;
	unsigned int i, k;
	const char *sep;

	p2px_sink_init(&s, buf, len);
	p2px_put_name(&s, r->provider_id);
	p2px_puts(&s, " -> ");
	p2px_put_name(&s, r->client_id);
	p2px_puts(&s, ": ");
	if (r->reason == P2PX_TOPO_REASON_TOO_DEEP) {
		p2px_printf(&s, "not supported: upstream chain longer than %d devices (loop?).",
			    P2PX_TOPO_MAX_DEPTH);
		return p2px_sink_done(&s);
	}
	p2px_printf(&s, "%s, distance %d.",
		    r->map == P2PX_TOPO_MAP_BUS_ADDR ? "direct by PCI bus address" :
		    r->map == P2PX_TOPO_MAP_THRU_HOST_BRIDGE ?
		    "through the host bridge" : "not supported", r->distance);
	if (r->has_common) {
		p2px_puts(&s, " Common upstream device ");
		p2px_put_name(&s, r->common_id);
		p2px_putc(&s, '.');
	}
	if (r->detour == P2PX_TOPO_REASON_NO_COMMON_UPSTREAM) {
		p2px_puts(&s, " No common upstream bridge: the path goes through the host bridge.");
	} else if (r->detour == P2PX_TOPO_REASON_ACS_REDIRECT) {
		p2px_puts(&s, " ACS redirect sends the traffic to the host bridge;");
		p2px_printf(&s, " set on %u device(s):", r->acs_count);
		for (i = 0; i < p2px_acs_listed(r); i++) {
			p2px_putc(&s, ' ');
			p2px_put_name(&s, r->acs[i].id);
			p2px_puts(&s, " [");
			for (k = 0, sep = ""; k < ARRAY_SIZE(acs_mask); k++) {
				if (r->acs[i].bits & acs_mask[k]) {
					p2px_printf(&s, "%s%s", sep, acs_bits[k]);
					sep = " ";
				}
			}
			p2px_putc(&s, ']');
		}
		p2px_putc(&s, '.');
	}
	if (r->map != P2PX_TOPO_MAP_BUS_ADDR) {
		p2px_explain_verdict(&s, r);
		p2px_explain_remedy(&s, r);
	}
	return p2px_sink_done(&s);
}
