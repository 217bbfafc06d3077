// SPDX-License-Identifier: GPL-2.0
/*
 * p2pdmactl: JSON emitter, tables, device and parameter specs.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "uapi/linux/p2pdma_ext.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void json_escaped(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and key of a new value. */
static void json_value_start(struct json *j, const char *key)
{
	int i;

	if (!j->first[j->depth])
		fputc(',', j->f);
	if (j->depth > 0)
		fputc('\n', j->f);
	j->first[j->depth] = false;
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
	if (key) {
		json_escaped(j->f, key);
		fputs(": ", j->f);
	}
}

static void json_open(struct json *j, const char *key, char c)
{
	json_value_start(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->error = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char c)
{
	int i;

	if (j->depth == 0) {
		j->error = true;
		return;
	}
	if (!j->first[j->depth]) {
		fputc('\n', j->f);
		for (i = 0; i < j->depth - 1; i++)
			fputs("  ", j->f);
	}
	j->depth--;
	fputc(c, j->f);
}

void json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_obj_end(struct json *j)
{
	json_close(j, '}');
}

void json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_value_start(j, key);
	if (val)
		json_escaped(j->f, val);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, const char *key, long long val)
{
	json_value_start(j, key);
	fprintf(j->f, "%lld", val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_value_start(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	json_value_start(j, key);
	fputs("null", j->f);
}

int json_finish(struct json *j)
{
	fputc('\n', j->f);
	return (j->error || j->depth != 0) ? -1 : 0;
}

const char *map_type_name(unsigned int map_type)
{
	switch (map_type) {
	case P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED:
		return "not_supported";
	case P2PDMA_EXT_TOPO_MAP_BUS_ADDR:
		return "bus_addr";
	case P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE:
		return "thru_host_bridge";
	}
	return "unknown";
}

const char *map_type_short(unsigned int map_type)
{
	switch (map_type) {
	case P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED:
		return "no";
	case P2PDMA_EXT_TOPO_MAP_BUS_ADDR:
		return "bus";
	case P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE:
		return "hb";
	}
	return "?";
}

static const char * const reason_names[] = {
	[P2PDMA_EXT_TOPO_REASON_NONE] = "none",
	[P2PDMA_EXT_TOPO_REASON_SAME_UPSTREAM_BRIDGE] = "same_upstream_bridge",
	[P2PDMA_EXT_TOPO_REASON_NO_COMMON_UPSTREAM] = "no_common_upstream",
	[P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT] = "acs_redirect",
	[P2PDMA_EXT_TOPO_REASON_CPU_ALLOWS] = "cpu_allows",
	[P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_ALLOWED] = "host_bridge_allowed",
	[P2PDMA_EXT_TOPO_REASON_TRUSTED_BY_PARAM] = "trusted_by_param",
	[P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_NOT_ALLOWED] = "host_bridge_not_allowed",
	[P2PDMA_EXT_TOPO_REASON_HOST_BRIDGE_SAME_ONLY] = "host_bridge_same_only",
	[P2PDMA_EXT_TOPO_REASON_NO_HOST_ROOT] = "no_host_root",
	[P2PDMA_EXT_TOPO_REASON_BAD_INPUT] = "bad_input",
	[P2PDMA_EXT_TOPO_REASON_TOO_DEEP] = "too_deep",
};

const char *reason_name(unsigned int reason)
{
	if (reason < ARRAY_SIZE(reason_names) &&
	    reason_names[reason])
		return reason_names[reason];
	return "unknown";
}

/* Exactly @n hex digits at @s, stored in @val; returns the end or NULL. */
static const char *hex_n(const char *s, int n, unsigned int *val)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return NULL;
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
			      (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*val = v;
	return s + n;
}

static int parse_bdf_tail(const char *s, struct dev_spec *spec)
{
	unsigned int bus, slot, fn;

	s = hex_n(s, 2, &bus);
	if (!s || *s++ != ':')
		return -1;
	s = hex_n(s, 2, &slot);
	if (!s || *s++ != '.' || slot > 0x1f)
		return -1;
	if (!isdigit((unsigned char)*s) || s[1] || *s > '7')
		return -1;
	fn = *s - '0';
	spec->bus = bus;
	spec->devfn = (slot << 3) | fn;
	return 0;
}

int parse_dev_spec(const char *s, struct dev_spec *spec)
{
	const char *p;
	unsigned int a, b;

	memset(spec, 0, sizeof(*spec));
	if (!s)
		return -1;
	if (strchr(s, '.')) {
		spec->kind = DEV_SPEC_BDF;
		if (strlen(s) == 7)		/* BB:SS.F */
			return parse_bdf_tail(s, spec);
		p = hex_n(s, 4, &a);
		if (!p || *p != ':')
			return -1;
		spec->domain = a;
		return parse_bdf_tail(p + 1, spec);
	}
	spec->kind = DEV_SPEC_ID;
	p = hex_n(s, 4, &a);
	if (!p || *p++ != ':')
		return -1;
	if (!strcmp(p, "*")) {
		b = ~0u;
	} else {
		p = hex_n(p, 4, &b);
		if (!p || *p)
			return -1;
	}
	spec->vendor = a;
	spec->device = b;
	return 0;
}

void format_bdf(char *buf, size_t len, uint64_t devid)
{
	snprintf(buf, len, "%04x:%02x:%02x.%x",
		 (unsigned int)(devid >> 16), (unsigned int)(devid >> 8) & 0xff,
		 (unsigned int)(devid >> 3) & 0x1f, (unsigned int)devid & 7);
}

int check_param_name(const char *name)
{
	const char *p;

	if (!name || !*name)
		return -1;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -1;
	return 0;
}

int check_param_arg(const char *arg)
{
	const char *eq = arg ? strchr(arg, '=') : NULL;
	char name[128];
	size_t n;

	if (!eq || eq == arg)
		return -1;
	n = eq - arg;
	if (n >= sizeof(name))
		return -1;
	memcpy(name, arg, n);
	name[n] = 0;
	return check_param_name(name);
}

const char *find_remedy(const char *text)
{
	const char *p = text ? strstr(text, "Remedy: ") : NULL;

	return p ? p + strlen("Remedy: ") : NULL;
}

void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
}

int table_set(struct table *t, int row, int col, const char *text,
	      enum cell_color color)
{
	char *copy;

	if (row < 0 || row >= TABLE_MAX_ROWS || col < 0 || col >= TABLE_MAX_COLS)
		return -1;
	copy = strdup(text);
	if (!copy)
		return -1;
	free(t->cell[row][col]);
	t->cell[row][col] = copy;
	t->color[row][col] = color;
	if (row >= t->rows)
		t->rows = row + 1;
	if (col >= t->cols)
		t->cols = col + 1;
	return 0;
}

static const char * const color_seq[] = {
	[COLOR_NONE] = "",
	[COLOR_GREEN] = "\033[32m",
	[COLOR_YELLOW] = "\033[33m",
	[COLOR_RED] = "\033[31m",
};

int table_print(const struct table *t, FILE *f, bool color)
{
	int width[TABLE_MAX_COLS] = { 0 };
	int r, c, w;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->cols; c++) {
			w = t->cell[r][c] ? (int)strlen(t->cell[r][c]) : 0;
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *s = t->cell[r][c] ? t->cell[r][c] : "";
			bool paint = color && t->color[r][c] != COLOR_NONE;

			if (c > 0)
				fputs("  ", f);
			if (c == 0)
				fprintf(f, "%s%-*s%s", paint ? color_seq[t->color[r][c]] : "",
					c == t->cols - 1 ? 0 : width[c], s,
					paint ? "\033[0m" : "");
			else
				fprintf(f, "%s%*s%s", paint ? color_seq[t->color[r][c]] : "",
					width[c], s, paint ? "\033[0m" : "");
		}
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}

void table_free(struct table *t)
{
	int r, c;

	for (r = 0; r < TABLE_MAX_ROWS; r++)
		for (c = 0; c < TABLE_MAX_COLS; c++)
			free(t->cell[r][c]);
	table_init(t);
}

static unsigned int buf_importers_shown(const struct p2pdma_ext_dmabuf_info *b)
{
	return b->nr_importers < P2PDMA_EXT_DMABUF_MAX_IMPORTERS ?
	       b->nr_importers : P2PDMA_EXT_DMABUF_MAX_IMPORTERS;
}

/* The importer's name as the kernel gave it, NUL-terminated here. */
static void buf_importer_name(char *out, const struct p2pdma_ext_dmabuf_importer *imp)
{
	memcpy(out, imp->name, sizeof(imp->name));
	out[sizeof(imp->name) - 1] = 0;
}

void buffers_json(struct json *j, const struct buf_row *rows, unsigned int n)
{
	char bdf[16], name[P2PDMA_EXT_DMABUF_NAME_LEN];
	unsigned int i, k;

	json_arr_begin(j, NULL);
	for (i = 0; i < n; i++) {
		const struct p2pdma_ext_dmabuf_info *b = rows[i].info;

		json_obj_begin(j, NULL);
		json_int(j, "id", (long long)b->ino);
		format_bdf(bdf, sizeof(bdf), b->device);
		json_str(j, "provider", bdf);
		json_int(j, "bar", b->bar);
		json_int(j, "size", (long long)b->size);
		json_int(j, "ranges", b->nr_ranges);
		json_str(j, "exporter",
			 b->flags & P2PDMA_EXT_DMABUF_F_IOCTL ? "ioctl" : "kernel");
		json_bool(j, "revoked", b->flags & P2PDMA_EXT_DMABUF_F_REVOKED);
		json_int(j, "maps", b->maps);
		json_int(j, "importers_total", b->nr_importers);
		json_bool(j, "importers_truncated",
			  b->flags & P2PDMA_EXT_DMABUF_F_TRUNCATED);
		json_arr_begin(j, "importers");
		for (k = 0; k < buf_importers_shown(b); k++) {
			buf_importer_name(name, &b->importers[k]);
			json_obj_begin(j, NULL);
			json_str(j, "device", name);
			json_bool(j, "mapped", b->importers[k].flags &
				  P2PDMA_EXT_DMABUF_IMP_MAPPED);
			json_int(j, "maps", b->importers[k].maps);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_arr_begin(j, "holders");
		for (k = 0; k < rows[i].nr_holders && k < BUF_MAX_HOLDERS; k++) {
			json_obj_begin(j, NULL);
			json_int(j, "pid", rows[i].holders[k].pid);
			json_str(j, "comm", rows[i].holders[k].comm);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* Appends printf output to @buf (of @len) at *@used; truncates silently. */
__printf(4, 5)
static void buf_append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

int buffers_table(struct table *t, const struct buf_row *rows, unsigned int n)
{
	static const char *const head[] = {
		"id", "provider", "bar", "size", "ranges", "exporter", "state",
		"maps", "importers", "holders",
	};
	char cell[512], name[P2PDMA_EXT_DMABUF_NAME_LEN];
	unsigned int i, k, shown = 0;
	int c, r = 0;

	for (c = 0; c < (int)ARRAY_SIZE(head); c++)
		r |= table_set(t, 0, c, head[c], COLOR_NONE);
	for (i = 0; i < n && i + 1 < TABLE_MAX_ROWS && !r; i++) {
		const struct p2pdma_ext_dmabuf_info *b = rows[i].info;
		bool revoked = b->flags & P2PDMA_EXT_DMABUF_F_REVOKED;
		size_t used = 0;
		int row = (int)i + 1;

		snprintf(cell, sizeof(cell), "%llu", (unsigned long long)b->ino);
		r |= table_set(t, row, 0, cell, COLOR_NONE);
		format_bdf(cell, sizeof(cell), b->device);
		r |= table_set(t, row, 1, cell, COLOR_NONE);
		snprintf(cell, sizeof(cell), "%u", b->bar);
		r |= table_set(t, row, 2, cell, COLOR_NONE);
		snprintf(cell, sizeof(cell), "%llu", (unsigned long long)b->size);
		r |= table_set(t, row, 3, cell, COLOR_NONE);
		snprintf(cell, sizeof(cell), "%u", b->nr_ranges);
		r |= table_set(t, row, 4, cell, COLOR_NONE);
		r |= table_set(t, row, 5, b->flags & P2PDMA_EXT_DMABUF_F_IOCTL ?
			       "ioctl" : "kernel", COLOR_NONE);
		r |= table_set(t, row, 6, revoked ? "revoked" : "live",
			       revoked ? COLOR_RED : COLOR_GREEN);
		snprintf(cell, sizeof(cell), "%u", b->maps);
		r |= table_set(t, row, 7, cell, COLOR_NONE);

		cell[0] = 0;
		for (k = 0; k < buf_importers_shown(b); k++) {
			buf_importer_name(name, &b->importers[k]);
			buf_append(cell, sizeof(cell), &used, "%s%s%s", k ? "," : "",
				   name, b->importers[k].flags &
				   P2PDMA_EXT_DMABUF_IMP_MAPPED ? "(mapped)" : "");
		}
		if (b->nr_importers > k)
			buf_append(cell, sizeof(cell), &used, ",+%u more",
				   b->nr_importers - k);
		r |= table_set(t, row, 8, b->nr_importers ? cell : "-", COLOR_NONE);

		used = 0;
		cell[0] = 0;
		for (k = 0; k < rows[i].nr_holders && k < BUF_MAX_HOLDERS; k++)
			buf_append(cell, sizeof(cell), &used, "%s%d(%s)", k ? "," : "",
				   rows[i].holders[k].pid, rows[i].holders[k].comm);
		if (rows[i].nr_holders > k)
			buf_append(cell, sizeof(cell), &used, ",+%u more",
				   rows[i].nr_holders - k);
		r |= table_set(t, row, 9, rows[i].nr_holders ? cell : "-", COLOR_NONE);
		shown++;
	}
	return r ? -1 : (int)shown;
}
