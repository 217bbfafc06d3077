/* SPDX-License-Identifier: GPL-2.0 */
/*
 * p2pdmactl: output formatting and argument parsing that needs no kernel
 * (JSON emitter, aligned tables, device and parameter specs), unit tested
 * on the host by tests/fmt_test.c.
 */
#ifndef P2PDMACTL_FMT_H
#define P2PDMACTL_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes (also in p2pdmactl.8). */
#define EX_OK		0	/* success; doctor: no problem found */
#define EX_FAIL		1	/* the operation failed (kernel said no) */
#define EX_USAGE	2	/* bad command line */
#define EX_NOMOD	3	/* module not loaded, or not found */
#define EX_NOPERM	4	/* needs root */
#define EX_KERNEL	5	/* kernel unsupported (module does not fit) */
#define EX_DOCTOR	6	/* doctor found at least one problem */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BIT_ULL(n)	(1ULL << (n))
#ifndef __printf
#define __printf(a, b)
#endif

/* doctor.c */
int cmd_doctor(int argc, char **argv);
/* p2pdmactl.c: "root: ...", "exit codes: ..." lines of COMMAND --help */
void help_footer(FILE *f, const char *name);

/* --- JSON emitter ------------------------------------------------------ */
#define JSON_MAX_DEPTH	16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];
	bool error;		/* nesting error: too deep or unbalanced */
};

void json_init(struct json *j, FILE *f);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_int(struct json *j, const char *key, long long val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline; returns 0 or -1 if it was unbalanced. */
int json_finish(struct json *j);

/* --- names of ABI values ---------------------------------------------- */
const char *map_type_name(unsigned int map_type);	/* "bus_addr", ... */
const char *map_type_short(unsigned int map_type);	/* "bus", "hb", "no" */
const char *reason_name(unsigned int reason);		/* "acs_redirect", ... */

/* --- device specs ------------------------------------------------------ */
enum dev_spec_kind { DEV_SPEC_BDF, DEV_SPEC_ID };

struct dev_spec {
	enum dev_spec_kind kind;
	unsigned int domain, bus, devfn;	/* DEV_SPEC_BDF */
	unsigned int vendor, device;		/* DEV_SPEC_ID; device ~0u = any */
};

/*
 * "0000:01:00.0" or "01:00.0" (domain 0): a function; "1af4:1110" or
 * "1af4:*": every function with that vendor (and device) id.
 * Returns 0 or -1.
 */
int parse_dev_spec(const char *s, struct dev_spec *spec);
void format_bdf(char *buf, size_t len, uint64_t devid);

/* "PARAM=VALUE" arguments of "load": PARAM must be [A-Za-z0-9_]+. */
int check_param_arg(const char *arg);
/* A parameter name alone, as for "set". */
int check_param_name(const char *name);

/*
 * From an explanation text, the remedy: the text after "Remedy: ", or NULL
 * if it has none.
 */
const char *find_remedy(const char *text);

/* --- tables ------------------------------------------------------------- */
#define TABLE_MAX_COLS	64
#define TABLE_MAX_ROWS	65

enum cell_color { COLOR_NONE, COLOR_GREEN, COLOR_YELLOW, COLOR_RED };

struct table {
	int rows, cols;
	char *cell[TABLE_MAX_ROWS][TABLE_MAX_COLS];
	enum cell_color color[TABLE_MAX_ROWS][TABLE_MAX_COLS];
};

void table_init(struct table *t);
/* Sets a cell (copied); returns 0 or -1 (out of range or no memory). */
int table_set(struct table *t, int row, int col, const char *text,
	      enum cell_color color);
/* Left-aligned first column, right-aligned others, two spaces apart. */
int table_print(const struct table *t, FILE *f, bool color);
void table_free(struct table *t);

/* --- buffers: the module's exported dma-bufs ---------------------------- */
#define BUF_MAX_HOLDERS	8

struct p2pdma_ext_dmabuf_info;

/* A process with a file descriptor of a dma-buf. */
struct buf_holder {
	int pid;
	char comm[17];
};

/* One dma-buf as listed by P2PDMA_EXT_IOC_DMABUF_LIST, with its holders. */
struct buf_row {
	const struct p2pdma_ext_dmabuf_info *info;
	unsigned int nr_holders;	/* may exceed BUF_MAX_HOLDERS */
	struct buf_holder holders[BUF_MAX_HOLDERS];
};

/* A JSON array of the buffers (fields in p2pdmactl.8). */
void buffers_json(struct json *j, const struct buf_row *rows, unsigned int n);
/*
 * A header row and one row per buffer (at most TABLE_MAX_ROWS - 1; the
 * number of buffers shown is returned, or -1 on failure).
 */
int buffers_table(struct table *t, const struct buf_row *rows, unsigned int n);

#endif /* P2PDMACTL_FMT_H */
