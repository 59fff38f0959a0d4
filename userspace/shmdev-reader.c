// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-reader - print the messages shmdev-writer sends
 *
 * Waits for messages in the ring of the shmdev region, prints each on its
 * own line on standard output, and exits at the writer's end marker with a
 * summary (messages, bytes, one-way latency) on standard error. The
 * region: see demo_ring.h.
 */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo_ring.h"
#include "lib/shmdev.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: shmdev-reader [--name NAME | --default-region] [--timeout DURATION]\n"
		"Prints each message shmdev-writer sends through the shmdev region\n"
		"named NAME (default " DEMO_NAME "), until its end marker; then a summary\n"
		"on standard error. Gives up (exit status 3) after DURATION (500ms,\n"
		"10s...) without a message. The first of the two programs to start\n"
		"creates the region (mode 0600, removed when both have exited).\n"
		"--default-region uses the default region of /dev/shmdev instead.\n");
}

/* Sleeps until the sequence moves past *seq; -ETIMEDOUT after @timeout. */
static int wait_news(struct shmdev *dev, uint64_t *seq, int64_t timeout)
{
	int err;

	do {
		err = shmdev_wait(dev, seq, timeout);
	} while (err == -EINTR);
	return err;
}

int main(int argc, char **argv)
{
	struct shmdev dev = { .fd = -1 };
	uint64_t seq = 0, msgs = 0, bytes = 0, lat_sum = 0, lat_max = 0;
	const char *name = DEMO_NAME;
	int64_t timeout = -1;
	struct demo_ring *r;
	char what[96];
	uint64_t size;
	void *map;
	int err;

	for (int i = 1; i < argc;) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc &&
		    !shmdev_parse_duration(argv[i + 1], &timeout)) {
			i += 2;
			continue;
		}
		if (demo_region_opt(argc, argv, &i, &name) > 0)
			continue;
		fprintf(stderr, "shmdev-reader: bad argument '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}

	err = demo_open(&dev, name);
	if (err) {
		fprintf(stderr, "shmdev-reader: cannot open %s: %s\n",
			demo_what(name, what, sizeof(what)), strerror(-err));
		return 1;
	}
	/* The reader may come first: make room for the ring, never shrink. */
	err = shmdev_get_size(&dev, &size);
	if (!err && size < sizeof(struct demo_ring))
		err = shmdev_set_size(&dev, sizeof(struct demo_ring));
	if (!err)
		err = shmdev_map(&dev, sizeof(struct demo_ring),
				 PROT_READ | PROT_WRITE, &map);
	if (err) {
		fprintf(stderr, "shmdev-reader: %s\n", strerror(-err));
		return 1;
	}
	r = map;

	for (;;) {
		struct demo_slot *s;
		bool end;

		/* Nothing to read: sleep until the writer publishes. */
		while (r->magic != DEMO_MAGIC || r->tail == r->head) {
			err = wait_news(&dev, &seq, timeout);
			if (err == -ETIMEDOUT) {
				fprintf(stderr, "shmdev-reader: no message: timed out\n");
				return 3;
			}
			if (err) {
				fprintf(stderr, "shmdev-reader: %s\n", strerror(-err));
				return 1;
			}
		}
		s = &r->slot[r->tail % DEMO_SLOTS];
		end = s->flags & DEMO_END;
		if (!end) {
			uint64_t lat = demo_now_ns() - s->sent_ns;

			printf("%.*s\n", (int)s->len, s->data);
			fflush(stdout);
			msgs++;
			bytes += s->len;
			lat_sum += lat;
			if (lat > lat_max)
				lat_max = lat;
		}
		r->tail++;
		err = shmdev_notify(&dev, &seq);
		if (err) {
			fprintf(stderr, "shmdev-reader: %s\n", strerror(-err));
			return 1;
		}
		/* The slot is the writer's again: only @end is ours. */
		if (end)
			break;
	}

	fprintf(stderr, "shmdev-reader: %llu messages, %llu bytes",
		(unsigned long long)msgs, (unsigned long long)bytes);
	if (msgs)
		fprintf(stderr, ", one-way latency mean %.1f us, max %.1f us",
			lat_sum / 1e3 / msgs, lat_max / 1e3);
	fprintf(stderr, "\n");
	shmdev_close(&dev);
	return 0;
}
