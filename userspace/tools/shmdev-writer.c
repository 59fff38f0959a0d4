// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-writer - send lines to shmdev-reader through the shmdev region
 *
 * Sizes the region for the message ring and creates the ring, then writes
 * each argument (or each line of standard input) as a message in place in
 * the ring and commits it; waits until the reader has taken it, which
 * gives the round-trip time. Ends with an end marker and a summary on
 * standard error. The region: see demo_ring.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo_ring.h"
#include "lib/shmdev.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

struct writer {
	struct shmdev dev;
	struct demo_hdr *hdr;
	struct shmdev_ring ring;
	uint64_t sent;
	uint64_t *rtt;
	size_t nr_rtt, cap_rtt;
	uint64_t bytes;
};

/* Writes one message in the ring and waits until the reader took it. */
static int send_msg(struct writer *w, const char *data, size_t len, uint32_t flags)
{
	struct demo_msg *m;
	uint64_t t0, seq;
	void *p;
	int err;

	do
		err = shmdev_ring_reserve(&w->ring, sizeof(*m) + len, -1, &p);
	while (err == -EINTR);
	if (err)
		return err;
	m = p;
	m->flags = flags;
	m->pad = 0;
	memcpy(m->text, data, len);
	t0 = demo_now_ns();
	m->sent_ns = t0;
	/* The count the reader moves is read before the commit: no lost wake-up. */
	seq = shmdev_seq(&w->dev);
	err = shmdev_ring_commit(&w->ring, p);
	if (err)
		return err;
	w->sent++;
	while (atomic_load(&w->hdr->taken) < w->sent) {
		err = shmdev_wait(&w->dev, &seq, -1);
		if (err && err != -EINTR)
			return err;
	}
	if (!flags) {
		if (w->nr_rtt == w->cap_rtt) {
			size_t cap = w->cap_rtt ? 2 * w->cap_rtt : 64;
			uint64_t *q = realloc(w->rtt, cap * sizeof(*q));

			if (!q)
				return -ENOMEM;
			w->rtt = q;
			w->cap_rtt = cap;
		}
		w->rtt[w->nr_rtt++] = demo_now_ns() - t0;
		w->bytes += len;
	}
	return 0;
}

static int send_text(struct writer *w, const char *text)
{
	size_t len = strlen(text);

	if (len > DEMO_MSG_MAX) {
		fprintf(stderr, "shmdev-writer: message of %zu bytes truncated to %d\n",
			len, DEMO_MSG_MAX);
		len = DEMO_MSG_MAX;
	}
	return send_msg(w, text, len, 0);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: shmdev-writer [--name NAME | --default-region] [--] [MESSAGE...]\n"
		"Sends each MESSAGE, or each line of standard input, to shmdev-reader\n"
		"through the shmdev region named NAME (default " DEMO_NAME "), then an end\n"
		"marker. Prints a summary (messages, bytes, round-trip times) on\n"
		"standard error. The first of the two programs to start creates the\n"
		"region (mode 0600, removed when both have exited).\n"
		"--default-region uses the default region of /dev/shmdev instead.\n");
}

int main(int argc, char **argv)
{
	struct writer w = { .dev = { .fd = -1 } };
	const char *name = DEMO_NAME;
	bool from_args = false;
	char what[96];
	void *ring;
	int err, i = 1, first;

	/* Options, then the messages: all that follows the first of them. */
	while (i < argc && argv[i][0] == '-') {
		int took;

		if (!strcmp(argv[i], "--")) {
			from_args = true;
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		took = demo_region_opt(argc, argv, &i, &name);
		if (took < 0) {
			fprintf(stderr, "shmdev-writer: option '--name' requires an argument\n");
			usage(stderr);
			return 2;
		}
		if (!took) {
			fprintf(stderr, "shmdev-writer: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	first = i;
	if (first < argc)
		from_args = true;

	err = demo_open(&w.dev, name);
	if (err) {
		fprintf(stderr, "shmdev-writer: cannot open %s: %s\n",
			demo_what(name, what, sizeof(what)), strerror(-err));
		return 1;
	}
	err = demo_map(&w.dev, &w.hdr, &ring);
	/* A new session: an empty ring (which wakes a waiting reader). */
	if (!err) {
		atomic_store(&w.hdr->magic, DEMO_MAGIC);
		atomic_store(&w.hdr->taken, 0);
		err = shmdev_ring_create(&w.ring, &w.dev, ring, DEMO_SIZE - DEMO_RING_OFF, 0);
	}
	if (err) {
		fprintf(stderr, "shmdev-writer: %s\n", strerror(-err));
		return 1;
	}

	if (from_args) {
		for (i = first; i < argc && !err; i++)
			err = send_text(&w, argv[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while (!err && (n = getline(&line, &cap, stdin)) >= 0) {
			if (n && line[n - 1] == '\n')
				line[n - 1] = '\0';
			err = send_text(&w, line);
		}
		free(line);
	}
	if (!err)
		err = send_msg(&w, "", 0, DEMO_END);
	if (err) {
		fprintf(stderr, "shmdev-writer: %s\n", strerror(-err));
		return 1;
	}

	fprintf(stderr, "shmdev-writer: %zu messages, %llu bytes", w.nr_rtt,
		(unsigned long long)w.bytes);
	if (w.nr_rtt) {
		qsort(w.rtt, w.nr_rtt, sizeof(*w.rtt), cmp_u64);
		fprintf(stderr, ", round trip median %.1f us, max %.1f us",
			w.rtt[w.nr_rtt / 2] / 1e3, w.rtt[w.nr_rtt - 1] / 1e3);
	}
	fprintf(stderr, "\n");
	free(w.rtt);
	shmdev_close(&w.dev);
	return 0;
}
