// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-writer - send lines to shmdev-reader through the shmdev region
 *
 * Sizes the region for the message ring, then publishes each argument (or
 * each line of standard input) as a message and notifies; waits until the
 * reader has taken it, which gives the round-trip time. Ends with an end
 * marker and a summary on standard error. The region: see demo_ring.h.
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
	struct demo_ring *ring;
	uint64_t seq;
	uint64_t *rtt;
	size_t nr_rtt, cap_rtt;
	uint64_t bytes;
};

/* Publishes one slot and waits until the reader took it. */
static int send_msg(struct writer *w, const char *data, size_t len, uint32_t flags)
{
	struct demo_ring *r = w->ring;
	struct demo_slot *s;
	uint64_t t0, n;
	int err;

	while (r->head - r->tail == DEMO_SLOTS) {
		err = shmdev_wait(&w->dev, &w->seq, -1);
		if (err && err != -EINTR)
			return err;
	}
	s = &r->slot[r->head % DEMO_SLOTS];
	s->len = len;
	s->flags = flags;
	memcpy(s->data, data, len);
	t0 = demo_now_ns();
	s->sent_ns = t0;
	n = ++r->head;
	err = shmdev_notify(&w->dev, &w->seq);
	if (err)
		return err;
	while (r->tail < n) {
		err = shmdev_wait(&w->dev, &w->seq, -1);
		if (err && err != -EINTR)
			return err;
	}
	if (!flags) {
		if (w->nr_rtt == w->cap_rtt) {
			size_t cap = w->cap_rtt ? 2 * w->cap_rtt : 64;
			uint64_t *p = realloc(w->rtt, cap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			w->rtt = p;
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
	uint64_t size;
	void *map;
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
	err = shmdev_get_size(&w.dev, &size);
	if (!err && size < sizeof(struct demo_ring))
		err = shmdev_set_size(&w.dev, sizeof(struct demo_ring));
	if (!err)
		err = shmdev_map(&w.dev, sizeof(struct demo_ring),
				 PROT_READ | PROT_WRITE, &map);
	if (err) {
		fprintf(stderr, "shmdev-writer: %s\n", strerror(-err));
		return 1;
	}
	w.ring = map;

	/* A new session: empty ring, then tell a waiting reader. */
	w.ring->magic = 0;
	w.ring->head = 0;
	w.ring->tail = 0;
	w.ring->magic = DEMO_MAGIC;
	err = shmdev_notify(&w.dev, &w.seq);

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
