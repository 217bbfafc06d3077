// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of p2pdmactl's formatting and parsing (fmt.c): JSON
 * emitter, aligned tables with and without colour, device specs, parameter
 * arguments, remedy extraction. Prints TAP.
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "uapi/linux/p2pdma_ext.h"

static int n_test, n_fail;

static void ok(int cond, const char *name)
{
	n_test++;
	if (!cond)
		n_fail++;
	printf("%sok %d p2pdmactl.%s\n", cond ? "" : "not ", n_test, name);
}

/* Runs @fn writing to a memory stream; returns the text (caller frees). */
static char *capture(void (*fn)(FILE *f, void *arg), void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, arg);
	if (fclose(f))
		return NULL;
	return buf;
}

static int json_rc;

static void emit_json(FILE *f, void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_str(&j, "s", "a\"b\\c\nd\x01");
	json_int(&j, "n", -1);
	json_arr_begin(&j, "a");
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	json_arr_end(&j);
	json_arr_begin(&j, "e");
	json_arr_end(&j);
	json_obj_end(&j);
	json_rc = json_finish(&j);
}

static void emit_unbalanced(FILE *f, void *arg)
{
	struct json j;

	(void)arg;
	json_init(&j, f);
	json_obj_begin(&j, NULL);
	json_rc = json_finish(&j);
}

static void test_json(void)
{
	const char *want =
		"{\n"
		"  \"s\": \"a\\\"b\\\\c\\nd\\u0001\",\n"
		"  \"n\": -1,\n"
		"  \"a\": [\n"
		"    true,\n"
		"    null,\n"
		"    {}\n"
		"  ],\n"
		"  \"e\": []\n"
		"}\n";
	char *got = capture(emit_json, NULL);

	ok(got && !strcmp(got, want) && json_rc == 0, "json_document");
	if (got && strcmp(got, want))
		printf("# got:\n%s", got);
	free(got);
	got = capture(emit_unbalanced, NULL);
	ok(got && json_rc == -1, "json_unbalanced_detected");
	free(got);
}

static bool table_color;

static void emit_table(FILE *f, void *arg)
{
	struct table *t = arg;

	table_print(t, f, table_color);
}

static void test_table(void)
{
	struct table t;
	char *got;
	int r = 0;

	table_init(&t);
	r |= table_set(&t, 0, 0, "provider\\client", COLOR_NONE);
	r |= table_set(&t, 0, 1, "0000:01:00.0", COLOR_NONE);
	r |= table_set(&t, 1, 0, "0000:01:00.0", COLOR_NONE);
	r |= table_set(&t, 1, 1, "4 bus", COLOR_GREEN);
	r |= table_set(&t, 2, 0, "x", COLOR_NONE);
	r |= table_set(&t, 2, 1, "- no", COLOR_RED);
	ok(r == 0 && t.rows == 3 && t.cols == 2, "table_set");
	ok(table_set(&t, TABLE_MAX_ROWS, 0, "x", COLOR_NONE) == -1 &&
	   table_set(&t, 0, -1, "x", COLOR_NONE) == -1, "table_set_range");
	table_color = false;
	got = capture(emit_table, &t);
	ok(got && !strcmp(got,
			  "provider\\client  0000:01:00.0\n"
			  "0000:01:00.0            4 bus\n"
			  "x                        - no\n"), "table_aligned_plain");
	free(got);
	table_color = true;
	got = capture(emit_table, &t);
	ok(got && strstr(got, "\033[32m       4 bus\033[0m\n") &&
	   strstr(got, "\033[31m        - no\033[0m\n") &&
	   !strstr(got, "\033[32mprovider"), "table_color_padding");
	free(got);
	table_free(&t);
	ok(t.rows == 0 && !t.cell[1][1], "table_free");
}

static void test_dev_spec(void)
{
	struct dev_spec s;
	char buf[16];

	ok(parse_dev_spec("0000:01:00.0", &s) == 0 && s.kind == DEV_SPEC_BDF &&
	   s.domain == 0 && s.bus == 1 && s.devfn == 0, "spec_bdf_full");
	ok(parse_dev_spec("00ab:1f:1c.7", &s) == 0 && s.domain == 0xab &&
	   s.bus == 0x1f && s.devfn == ((0x1c << 3) | 7), "spec_bdf_hex");
	ok(parse_dev_spec("02:03.1", &s) == 0 && s.domain == 0 && s.bus == 2 &&
	   s.devfn == ((3 << 3) | 1), "spec_bdf_short");
	ok(parse_dev_spec("1af4:1110", &s) == 0 && s.kind == DEV_SPEC_ID &&
	   s.vendor == 0x1af4 && s.device == 0x1110, "spec_id");
	ok(parse_dev_spec("8086:*", &s) == 0 && s.vendor == 0x8086 &&
	   s.device == ~0u, "spec_id_any");
	ok(parse_dev_spec("01:00.8", &s) && parse_dev_spec("01:20.0", &s) &&
	   parse_dev_spec("1af4:111", &s) && parse_dev_spec("1af4:11100", &s) &&
	   parse_dev_spec("xyz", &s) && parse_dev_spec("", &s) &&
	   parse_dev_spec("0000:01:00.0x", &s) && parse_dev_spec(NULL, &s),
	   "spec_rejects_bad");
	format_bdf(buf, sizeof(buf), P2PDMA_EXT_DEVID(0x10, 0x2, (0x1f << 3) | 6));
	ok(!strcmp(buf, "0010:02:1f.6"), "format_bdf");
}

static void test_params(void)
{
	ok(check_param_arg("host_bridge_allow=8086:29c0") == 0 &&
	   check_param_arg("trust_all_host_bridges=") == 0, "param_arg_ok");
	ok(check_param_arg("=x") && check_param_arg("foo") &&
	   check_param_arg("a-b=1") && check_param_arg(NULL), "param_arg_bad");
	ok(check_param_name("provider_bars") == 0 && check_param_name("../x") &&
	   check_param_name(""), "param_name");
}

#define FIX_TEXT "if the host bridge forwards, set p2pdma_ext.host_bridge_allow=8086:29c0"

static void test_names(void)
{
	const char *fix = FIX_TEXT;
	const char *text = "No common upstream bridge. Refused: x. Remedy: " FIX_TEXT;

	ok(!strcmp(map_type_name(P2PDMA_EXT_TOPO_MAP_BUS_ADDR), "bus_addr") &&
	   !strcmp(map_type_name(P2PDMA_EXT_TOPO_MAP_NOT_SUPPORTED), "not_supported") &&
	   !strcmp(map_type_name(P2PDMA_EXT_TOPO_MAP_THRU_HOST_BRIDGE), "thru_host_bridge") &&
	   !strcmp(map_type_name(99), "unknown"), "map_type_names");
	ok(!strcmp(reason_name(P2PDMA_EXT_TOPO_REASON_ACS_REDIRECT), "acs_redirect") &&
	   !strcmp(reason_name(P2PDMA_EXT_TOPO_REASON_TOO_DEEP), "too_deep") &&
	   !strcmp(reason_name(200), "unknown"), "reason_names");
	ok(find_remedy(text) &&
	   !strcmp(find_remedy(text), fix) &&
	   !find_remedy("Same upstream bridge.") && !find_remedy(NULL), "find_remedy");
}

/* Two buffers: one revoked with two importers (one mapped), one truncated. */
static struct p2pdma_ext_dmabuf_info bufs[2];
static struct buf_row buf_rows[2];

static void setup_buffers(void)
{
	memset(bufs, 0, sizeof(bufs));
	memset(buf_rows, 0, sizeof(buf_rows));
	bufs[0].ino = 4242;
	bufs[0].device = P2PDMA_EXT_DEVID(0, 1, 0);
	bufs[0].bar = 2;
	bufs[0].size = 12288;
	bufs[0].nr_ranges = 2;
	bufs[0].flags = P2PDMA_EXT_DMABUF_F_IOCTL;
	bufs[0].maps = 1;
	bufs[0].nr_importers = 2;
	strcpy(bufs[0].importers[0].name, "0000:02:00.0");
	bufs[0].importers[0].flags = P2PDMA_EXT_DMABUF_IMP_MAPPED;
	bufs[0].importers[0].maps = 1;
	strcpy(bufs[0].importers[1].name, "a\"b");
	buf_rows[0].info = &bufs[0];
	buf_rows[0].nr_holders = 1;
	buf_rows[0].holders[0].pid = 77;
	strcpy(buf_rows[0].holders[0].comm, "exporter");

	bufs[1].ino = 7;
	bufs[1].device = P2PDMA_EXT_DEVID(0x10, 0x2, (0x1f << 3) | 6);
	bufs[1].bar = 4;
	bufs[1].size = 1ULL << 40;
	bufs[1].nr_ranges = 256;
	bufs[1].flags = P2PDMA_EXT_DMABUF_F_REVOKED | P2PDMA_EXT_DMABUF_F_TRUNCATED;
	bufs[1].nr_importers = 10;
	for (int i = 0; i < P2PDMA_EXT_DMABUF_MAX_IMPORTERS; i++)
		snprintf(bufs[1].importers[i].name, sizeof(bufs[1].importers[i].name),
			 "imp%d", i);
	/* A name filling the field without a NUL must not be overrun. */
	memset(bufs[1].importers[7].name, 'x', sizeof(bufs[1].importers[7].name));
	buf_rows[1].info = &bufs[1];
	buf_rows[1].nr_holders = BUF_MAX_HOLDERS + 2;
	for (int i = 0; i < BUF_MAX_HOLDERS; i++) {
		buf_rows[1].holders[i].pid = 100 + i;
		strcpy(buf_rows[1].holders[i].comm, "h");
	}
}

static void emit_buffers_json(FILE *f, void *arg)
{
	struct json j;

	json_init(&j, f);
	buffers_json(&j, buf_rows, *(unsigned int *)arg);
	json_rc = json_finish(&j);
}

static int table_rc;

static void emit_buffers_table(FILE *f, void *arg)
{
	struct table t;

	table_init(&t);
	table_rc = buffers_table(&t, buf_rows, *(unsigned int *)arg);
	table_print(&t, f, table_color);
	table_free(&t);
}

/* @got and @want hold the same words and lines (spaces collapsed). */
static int words_equal(const char *got, const char *want)
{
	while (*got && *want) {
		if (*got == ' ' && *want == ' ') {
			while (*got == ' ')
				got++;
			while (*want == ' ')
				want++;
		} else if (*got++ != *want++) {
			return 0;
		}
	}
	return !*got && !*want;
}

/*
 * Every line as long as the first (right-aligned columns end together)
 * and @row2_start where the second line starts (the first column is
 * left-aligned).
 */
static int rows_aligned(const char *text, const char *row2_start)
{
	const char *nl = strchr(text, '\n'), *p;
	size_t width = nl ? (size_t)(nl - text) : 0;

	if (!nl || strncmp(nl + 1, row2_start, strlen(row2_start)))
		return 0;
	for (p = text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) != width)
			return 0;
	}
	return 1;
}

static void test_buffers(void)
{
	const char *want =
		"[\n"
		"  {\n"
		"    \"id\": 4242,\n"
		"    \"provider\": \"0000:01:00.0\",\n"
		"    \"bar\": 2,\n"
		"    \"size\": 12288,\n"
		"    \"ranges\": 2,\n"
		"    \"exporter\": \"ioctl\",\n"
		"    \"revoked\": false,\n"
		"    \"maps\": 1,\n"
		"    \"importers_total\": 2,\n"
		"    \"importers_truncated\": false,\n"
		"    \"importers\": [\n"
		"      {\n"
		"        \"device\": \"0000:02:00.0\",\n"
		"        \"mapped\": true,\n"
		"        \"maps\": 1\n"
		"      },\n"
		"      {\n"
		"        \"device\": \"a\\\"b\",\n"
		"        \"mapped\": false,\n"
		"        \"maps\": 0\n"
		"      }\n"
		"    ],\n"
		"    \"holders\": [\n"
		"      {\n"
		"        \"pid\": 77,\n"
		"        \"comm\": \"exporter\"\n"
		"      }\n"
		"    ]\n"
		"  }\n"
		"]\n";
	/* The table's words; the alignment is checked apart. */
	const char *want_words =
		"id provider bar size ranges exporter state maps importers holders\n"
		"4242 0000:01:00.0 2 12288 2 ioctl live 1 0000:02:00.0(mapped),a\"b 77(exporter)\n";
	char xs[P2PDMA_EXT_DMABUF_NAME_LEN + 16];
	unsigned int n = 1;
	char *got;

	setup_buffers();
	got = capture(emit_buffers_json, &n);
	ok(got && !strcmp(got, want) && json_rc == 0, "buffers_json_one");
	if (got && strcmp(got, want))
		printf("# got:\n%s", got);
	free(got);

	n = 0;
	got = capture(emit_buffers_json, &n);
	ok(got && !strcmp(got, "[]\n") && json_rc == 0, "buffers_json_empty");
	free(got);

	/* Revoked, truncated: 8 importers shown of 10, the unterminated name cut. */
	n = 2;
	got = capture(emit_buffers_json, &n);
	snprintf(xs, sizeof(xs), "\"device\": \"%.*s\",",
		 P2PDMA_EXT_DMABUF_NAME_LEN - 1,
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ok(got && json_rc == 0 && strstr(got, "\"id\": 7,") &&
	   strstr(got, "\"provider\": \"0010:02:1f.6\",") &&
	   strstr(got, "\"size\": 1099511627776,") &&
	   strstr(got, "\"exporter\": \"kernel\",") &&
	   strstr(got, "\"revoked\": true,") &&
	   strstr(got, "\"importers_total\": 10,") &&
	   strstr(got, "\"importers_truncated\": true,") &&
	   strstr(got, "\"device\": \"imp6\",") && strstr(got, xs) &&
	   !strstr(got, "\"imp7\"") && strstr(got, "\"pid\": 107,") &&
	   !strstr(got, "\"pid\": 108,"), "buffers_json_revoked_truncated");
	free(got);

	table_color = false;
	n = 1;
	got = capture(emit_buffers_table, &n);
	ok(got && table_rc == 1 && words_equal(got, want_words) &&
	   rows_aligned(got, "4242  0000:01:00.0"), "buffers_table_plain");
	if (got && !words_equal(got, want_words))
		printf("# got:\n%s", got);
	free(got);

	table_color = true;
	n = 2;
	got = capture(emit_buffers_table, &n);
	ok(got && table_rc == 2 && strstr(got, "\033[32m   live\033[0m") &&
	   strstr(got, "\033[31mrevoked\033[0m") &&
	   strstr(got, "imp0,imp1,imp2,imp3,imp4,imp5,imp6,xxxx") &&
	   strstr(got, ",+2 more") && strstr(got, "107(h),+2 more") &&
	   !strstr(got, "\033[32mid"), "buffers_table_color_truncated");
	free(got);
}

int main(void)
{
	printf("TAP version 13\n");
	test_json();
	test_table();
	test_dev_spec();
	test_params();
	test_names();
	test_buffers();
	printf("1..%d\n", n_test);
	return n_fail ? 1 : 0;
}
