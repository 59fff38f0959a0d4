/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP test harness for the userspace tests, with the part of the
 * interface of the kernel's kselftest_harness.h that they use: TEST,
 * FIXTURE (FIXTURE_SETUP, FIXTURE_TEARDOWN, FIXTURE_VARIANT,
 * FIXTURE_VARIANT_ADD, FIXTURE_DATA), TEST_F, ASSERT_* and EXPECT_*, SKIP,
 * TH_LOG and TEST_HARNESS_MAIN.
 *
 * Each test runs in a child process, killed with its process group after
 * TH_TIMEOUT seconds. The parent prints TAP: "1..N", then for each test
 * "ok N name", "not ok N name" or "ok N name # SKIP reason". A test fails
 * when a check fails (a failed ASSERT also ends it, after the teardown),
 * when it dies of a signal, exits non-zero or runs out of time. The exit
 * status is 1 when a test failed, 4 (kselftest's "skip") when all
 * skipped, 0 otherwise.
 *
 * A check may be followed by a statement that runs only when it fails,
 * as in "EXPECT_EQ(0, err) TH_LOG("case %d", i);": hence the for loops.
 */

#ifndef SHMDEV_TESTS_HARNESS_H
#define SHMDEV_TESTS_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TH_TIMEOUT
#define TH_TIMEOUT	30	/* seconds, per test */
#endif
#define KSFT_SKIP	4

/* One test's state, in shared memory: the processes it forks report too. */
struct __test_metadata {
	const char *name;	/* fixture[.variant].test */
	pid_t pid;		/* the test's own process */
	bool failed, skipped;
	char reason[256];	/* why it skipped */
	jmp_buf env;		/* where a failed ASSERT goes */
};

#define TH_ARGS_ANY	struct __test_metadata *_metadata, void *self, const void *variant

struct th_variant {
	const char *name;
	const void *data;
	struct th_variant *next;
};

struct th_fixture {
	const char *name;
	void (*setup)(TH_ARGS_ANY), (*teardown)(TH_ARGS_ANY);
	struct th_variant *variants;	/* or none */
	struct th_fixture *next;
};

struct th_test {
	const char *name;
	struct th_fixture *fixture;
	size_t size;			/* of the fixture's data */
	void (*fn)(TH_ARGS_ANY);
	struct th_test *next;
};

/* Declarations are registered by constructors, in the file's order. */
static struct th_fixture th_global = { .name = "global" }, *th_fixtures;
static struct th_test *th_tests;

#define TH_APPEND(head, item) do {					\
	__typeof__(head) *_p = &(head);					\
	while (*_p)							\
		_p = &(*_p)->next;					\
	*_p = (item);							\
} while (0)
#define TH_CONSTRUCTOR(id)	static void __attribute__((constructor)) id(void)
#define TH_UNUSED		__attribute__((unused))

/* ---- declaring tests ---------------------------------------------------- */

#define FIXTURE_DATA(f)		struct _th_data_##f
#define FIXTURE_VARIANT(f)	struct _th_variant_##f
#define TH_ARGS(f)	struct __test_metadata TH_UNUSED *_metadata,		\
			FIXTURE_DATA(f) TH_UNUSED *self,			\
			const FIXTURE_VARIANT(f) TH_UNUSED *variant

#define FIXTURE(f)							\
	FIXTURE_DATA(f);						\
	FIXTURE_VARIANT(f);						\
	static void _th_setup_##f(TH_ARGS(f));				\
	static void _th_teardown_##f(TH_ARGS(f));			\
	static void _th_setup_any_##f(TH_ARGS_ANY)			\
	{ _th_setup_##f(_metadata, self, variant); }			\
	static void _th_teardown_any_##f(TH_ARGS_ANY)			\
	{ _th_teardown_##f(_metadata, self, variant); }			\
	static struct th_fixture _th_fixture_##f = {			\
		#f, _th_setup_any_##f, _th_teardown_any_##f, NULL, NULL	\
	};								\
	TH_CONSTRUCTOR(_th_add_##f) { TH_APPEND(th_fixtures, &_th_fixture_##f); } \
	FIXTURE_DATA(f)

#define FIXTURE_SETUP(f)	static void _th_setup_##f(TH_ARGS(f))
#define FIXTURE_TEARDOWN(f)	static void _th_teardown_##f(TH_ARGS(f))

#define FIXTURE_VARIANT_ADD(f, v)					\
	static const FIXTURE_VARIANT(f) _th_v_##f##_##v;		\
	static struct th_variant _th_variant_##f##_##v = {		\
		#v, &_th_v_##f##_##v, NULL				\
	};								\
	TH_CONSTRUCTOR(_th_add_##f##_##v)				\
	{ TH_APPEND(_th_fixture_##f.variants, &_th_variant_##f##_##v); } \
	static const FIXTURE_VARIANT(f) _th_v_##f##_##v =

/* Test @t of @fix, of data @size, whose generic entry runs @call. */
#define TH_REGISTER(id, fix, size, t, call)				\
	static void _th_any_##id(TH_ARGS_ANY) { call; }			\
	static struct th_test _th_test_##id = { #t, fix, size, _th_any_##id, NULL }; \
	TH_CONSTRUCTOR(_th_add_##id) { TH_APPEND(th_tests, &_th_test_##id); }

#define TEST(t)								\
	static void t(struct __test_metadata *_metadata);		\
	TH_REGISTER(t, &th_global, 0, t, ((void)self, (void)variant, t(_metadata))) \
	static void t(struct __test_metadata TH_UNUSED *_metadata)

#define TEST_F(f, t)							\
	static void _th_##f##_##t(TH_ARGS(f));				\
	TH_REGISTER(f##_##t, &_th_fixture_##f, sizeof(FIXTURE_DATA(f)), t, \
		    _th_##f##_##t(_metadata, self, variant))		\
	static void _th_##f##_##t(TH_ARGS(f))

#define TEST_HARNESS_MAIN	int main(void) { return th_main(); }

/* ---- checks ------------------------------------------------------------- */

#define TH_LOG(fmt, ...)						\
	fprintf(stderr, "# %s:%d:%s: " fmt "\n", __FILE__, __LINE__,	\
		_metadata->name, ##__VA_ARGS__)

#define SKIP(statement, fmt, ...) do {					\
	snprintf(_metadata->reason, sizeof(_metadata->reason), fmt, ##__VA_ARGS__); \
	_metadata->skipped = true;					\
	statement;							\
} while (0)

#define TH_SIGNED(x)	_Generic((x), char: (char)-1 < 0, signed char: 1,	\
				 short: 1, int: 1, long: 1, long long: 1, default: 0)

/*
 * Each check is a for loop whose body, the statement after the check if
 * any, runs once when the check failed; then th_done() ends the test if
 * the check was an ASSERT.
 */
#define TH_CHECK(bad, fatal)						\
	for (bool _th_bad = (bad); _th_bad; _th_bad = th_done(_metadata, fatal))

#define TH_CMP(exp, op, seen, what_exp, what_seen, fatal) TH_CHECK(({			\
	__typeof__(exp) _e = (exp);					\
	__typeof__(seen) _s = (seen);					\
	char _eb[24], _sb[24];						\
	!(_e op _s) && th_fail(_metadata, __FILE__, __LINE__,		\
		"expected %s (%s) %s %s (%s)", what_exp,		\
		th_num(_eb, TH_SIGNED(_e), (uintmax_t)_e), #op, what_seen, \
		th_num(_sb, TH_SIGNED(_s), (uintmax_t)_s));		\
	}), fatal)

#define TH_STR(exp, op, seen, fatal) TH_CHECK(({			\
	const char *_e = (exp), *_s = (seen);				\
	!(strcmp(_e, _s) op 0) && th_fail(_metadata, __FILE__, __LINE__, \
		"expected '%s' %s '%s'", _e, #op, _s);			\
	}), fatal)

#define TH_BOOL(x, what, want, fatal) TH_CHECK((bool)(x) != (want) &&	\
	th_fail(_metadata, __FILE__, __LINE__, "expected %s to be %s", what, #want), fatal)

#define EXPECT_EQ(e, s)		TH_CMP(e, ==, s, #e, #s, false)
#define EXPECT_NE(e, s)		TH_CMP(e, !=, s, #e, #s, false)
#define EXPECT_LT(e, s)		TH_CMP(e, <, s, #e, #s, false)
#define EXPECT_LE(e, s)		TH_CMP(e, <=, s, #e, #s, false)
#define EXPECT_GT(e, s)		TH_CMP(e, >, s, #e, #s, false)
#define EXPECT_GE(e, s)		TH_CMP(e, >=, s, #e, #s, false)
#define EXPECT_STREQ(e, s)	TH_STR(e, ==, s, false)
#define EXPECT_TRUE(x)		TH_BOOL(x, #x, true, false)
#define EXPECT_FALSE(x)		TH_BOOL(x, #x, false, false)
#define ASSERT_EQ(e, s)		TH_CMP(e, ==, s, #e, #s, true)
#define ASSERT_NE(e, s)		TH_CMP(e, !=, s, #e, #s, true)
#define ASSERT_LT(e, s)		TH_CMP(e, <, s, #e, #s, true)
#define ASSERT_LE(e, s)		TH_CMP(e, <=, s, #e, #s, true)
#define ASSERT_GT(e, s)		TH_CMP(e, >, s, #e, #s, true)
#define ASSERT_GE(e, s)		TH_CMP(e, >=, s, #e, #s, true)
#define ASSERT_STREQ(e, s)	TH_STR(e, ==, s, true)
#define ASSERT_TRUE(x)		TH_BOOL(x, #x, true, true)
#define ASSERT_FALSE(x)		TH_BOOL(x, #x, false, true)

/* Marks the test failed and says why: "# FILE:LINE:TEST: ...". */
static inline bool __attribute__((format(printf, 4, 5)))
th_fail(struct __test_metadata *m, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	m->failed = true;
	fprintf(stderr, "# %s:%d:%s: ", file, line, m->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return true;
}

/* @v in @buf[24], as the signed or unsigned number it was. */
static inline const char *th_num(char *buf, bool is_signed, uintmax_t v)
{
	snprintf(buf, 24, is_signed ? "%jd" : "%ju", v);
	return buf;
}

/* After a failed check: an ASSERT ends the test, or a process it forked. */
static inline bool th_done(struct __test_metadata *m, bool fatal)
{
	if (fatal && getpid() != m->pid)
		_exit(1);
	if (fatal)
		longjmp(m->env, 1);
	return false;
}

/* ---- running them ------------------------------------------------------- */

static volatile sig_atomic_t th_timed_out;

static void th_alarm(int sig)
{
	(void)sig;
	th_timed_out = 1;
}

/* In the test's process: setup, the test if set up, then teardown. */
static int th_child(struct __test_metadata *m, const struct th_test *t, const void *variant)
{
	const struct th_fixture *f = t->fixture;
	void *self = calloc(1, t->size + 1);
	volatile bool set_up = false;

	m->pid = getpid();
	if (!setjmp(m->env)) {
		if (f->setup)
			f->setup(m, self, variant);
		set_up = !m->failed && !m->skipped;
		if (set_up)
			t->fn(m, self, variant);
	}
	/* A failed ASSERT in the teardown comes back here, once. */
	if (set_up && f->teardown && !setjmp(m->env))
		f->teardown(m, self, variant);
	fflush(NULL);
	return m->failed;
}

/* Runs test number @n, variant @v: prints its result line. */
static void th_run(struct __test_metadata *m, int n, const struct th_test *t,
		   const struct th_variant *v)
{
	int status = 0;
	char name[256];
	pid_t pid, r;

	snprintf(name, sizeof(name), "%s.%s%s%s", t->fixture->name, v ? v->name : "",
		 v ? "." : "", t->name);
	memset(m, 0, sizeof(*m));
	m->name = name;
	printf("# RUN %s\n", name);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		setpgid(0, 0);
		_exit(th_child(m, t, v ? v->data : NULL));
	}
	if (pid < 0) {
		printf("# %s: fork: %s\n", name, strerror(errno));
		m->failed = true;
	} else {
		setpgid(pid, pid);
		th_timed_out = 0;
		alarm(TH_TIMEOUT);
		do
			r = waitpid(pid, &status, 0);
		while (r < 0 && errno == EINTR && !th_timed_out);
		alarm(0);
		kill(-pid, SIGKILL);	/* what it left behind, or itself */
		if (r != pid) {
			if (th_timed_out)
				printf("# %s: timed out after %d s\n", name, TH_TIMEOUT);
			else
				printf("# %s: waitpid: %s\n", name, strerror(errno));
			waitpid(pid, &status, 0);
			m->failed = true;
		} else if (WIFSIGNALED(status)) {
			printf("# %s: killed by signal %d (%s)\n", name, WTERMSIG(status),
			       strsignal(WTERMSIG(status)));
			m->failed = true;
		} else if (WEXITSTATUS(status) && !m->failed) {
			printf("# %s: exit status %d\n", name, WEXITSTATUS(status));
			m->failed = true;
		}
	}
	if (m->failed)
		printf("not ok %d %s\n", n, name);
	else if (m->skipped)
		printf("ok %d %s # SKIP %s\n", n, name, m->reason);
	else
		printf("ok %d %s\n", n, name);
}

/* Fixture by fixture (the tests without one first), variant by variant. */
static int th_main(void)
{
	struct sigaction sa = { .sa_handler = th_alarm };
	int n = 0, failed = 0, skipped = 0;
	struct __test_metadata *m;
	const struct th_fixture *f;
	const struct th_variant *v;
	const struct th_test *t;

	for (t = th_tests; t; t = t->next) {
		n += !t->fixture->variants;
		for (v = t->fixture->variants; v; v = v->next)
			n++;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("Bail out! mmap: %s\n", strerror(errno));
		return 1;
	}
	sigaction(SIGALRM, &sa, NULL);
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (f = &th_global; f; f = f == &th_global ? th_fixtures : f->next) {
		v = f->variants;
		do {
			for (t = th_tests; t; t = t->next) {
				if (t->fixture != f)
					continue;
				th_run(m, ++n, t, v);
				failed += m->failed;
				skipped += !m->failed && m->skipped;
			}
		} while (v && (v = v->next));
	}
	printf("# %d passed, %d failed, %d skipped\n", n - failed - skipped, failed, skipped);
	return failed ? 1 : n && skipped == n ? KSFT_SKIP : 0;
}

#endif /* SHMDEV_TESTS_HARNESS_H */
