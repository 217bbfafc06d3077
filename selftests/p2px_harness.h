/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test selection for the kselftest harness, whose main() (in the 6.1
 * copy the tests build with) ignores its arguments. With a main() that
 * calls p2px_harness_main() in place of TEST_HARNESS_MAIN a test binary
 * takes
 *
 *   -f FIXTURE  -v VARIANT  -t TEST   run only what matches (each may be
 *                                     given several times; the fixture of
 *                                     plain TEST()s is "global")
 *   -l                                list "FIXTURE VARIANT TEST" lines
 *                                     ("-" for no variant) and exit
 *
 * so that any one test can run alone (run-in-vm.sh: P2PX_TEST_ARGS,
 * P2PX_EACH_ALONE). Include after kselftest_harness.h.
 */
#ifndef P2PX_HARNESS_H
#define P2PX_HARNESS_H

#include <getopt.h>

#define P2PX_HARNESS_MAX	32

struct p2px_select {
	const char *names[P2PX_HARNESS_MAX];
	int n;
};

static inline int p2px_selected(const struct p2px_select *s, const char *name)
{
	int i;

	if (!s->n)
		return 1;
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->names[i], name))
			return 1;
	return 0;
}

/*
 * Keep the tests and variants of @f that are selected (the harness's
 * lists: next-linked, the head's prev the tail); 0 if none is left.
 */
static inline int p2px_filter_fixture(struct __fixture_metadata *f,
				      const struct p2px_select *var,
				      const struct p2px_select *test)
{
	struct __fixture_variant_metadata *v, *vnext, *vfirst = NULL, *vlast = NULL;
	struct __test_metadata *t, *tnext, *tfirst = NULL, *tlast = NULL;

	for (t = f->tests; t; t = tnext) {
		tnext = t->next;
		if (!p2px_selected(test, t->name))
			continue;
		t->next = NULL;
		if (tlast)
			tlast->next = t;
		else
			tfirst = t;
		tlast = t;
	}
	if (tfirst)
		tfirst->prev = tlast;
	f->tests = tfirst;
	if (!f->variant)
		return tfirst && (!var->n || p2px_selected(var, ""));
	for (v = f->variant; v; v = vnext) {
		vnext = v->next;
		if (!p2px_selected(var, v->name))
			continue;
		v->next = NULL;
		if (vlast)
			vlast->next = v;
		else
			vfirst = v;
		vlast = v;
	}
	if (vfirst)
		vfirst->prev = vlast;
	f->variant = vfirst;
	return tfirst && vfirst;
}

static inline int p2px_harness_main(int argc, char **argv)
{
	struct p2px_select fix = { .n = 0 }, var = { .n = 0 }, test = { .n = 0 };
	struct __fixture_metadata *f, *fnext, *head = NULL, *tail = NULL;
	struct __fixture_variant_metadata *v;
	struct __test_metadata *t;
	struct p2px_select *s;
	int opt, list = 0;

	while ((opt = getopt(argc, argv, "f:v:t:l")) != -1) {
		s = opt == 'f' ? &fix : opt == 'v' ? &var : opt == 't' ? &test : NULL;
		if (opt == 'l') {
			list = 1;
		} else if (s && s->n < P2PX_HARNESS_MAX) {
			s->names[s->n++] = optarg;
		} else {
			/* run-in-vm.sh finds "p2px-harness-select" in the binary. */
			fprintf(stderr, "usage (p2px-harness-select): %s [-l] %s\n",
				argv[0], "[-f FIXTURE] [-v VARIANT] [-t TEST]...");
			return KSFT_FAIL;
		}
	}
	for (f = __fixture_list; f; f = fnext) {
		fnext = f->next;
		if (!p2px_selected(&fix, f->name) ||
		    !p2px_filter_fixture(f, &var, &test))
			continue;
		f->next = NULL;
		if (tail)
			tail->next = f;
		else
			head = f;
		tail = f;
	}
	if (head)
		head->prev = tail;
	__fixture_list = head;
	if (list) {
		for (f = __fixture_list; f; f = f->next)
			for (v = f->variant; ; v = v->next) {
				for (t = f->tests; t; t = t->next)
					printf("%s %s %s\n", f->name,
					       v ? v->name : "-", t->name);
				if (!v || !v->next)
					break;
			}
		return 0;
	}
	return test_harness_run(argc, argv);
}

#endif /* P2PX_HARNESS_H */
