// SPDX-License-Identifier: GPL-2.0
/*
 * shmdev-reader - print the messages shmdev-writer sends
 *
 * Waits for messages in the ring of the shmdev region, prints each (in
 * place in the ring) on its own line on standard output, and exits at the
 * writer's end marker with a summary (messages, bytes, one-way latency) on
 * standard error. The region: see demo_ring.h.
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

/*
 * Attaches to the ring, waiting up to @timeout for the writer to create
 * it: 0, -ETIMEDOUT or another -errno.
 */
static int attach_ring(struct shmdev *dev, struct shmdev_ring *ring, void *base,
		       int64_t timeout)
{
	for (;;) {
		uint64_t seq = shmdev_seq(dev);
		int err = shmdev_ring_attach(ring, dev, base, DEMO_SIZE - DEMO_RING_OFF);

		if (err != -ENOMSG)
			return err;
		do
			err = shmdev_wait(dev, &seq, timeout);
		while (err == -EINTR);
		if (err)
			return err;
	}
}

int main(int argc, char **argv)
{
	struct shmdev dev = { .fd = -1 };
	uint64_t msgs = 0, bytes = 0, lat_sum = 0, lat_max = 0;
	const char *name = DEMO_NAME;
	struct shmdev_ring ring;
	int64_t timeout = -1;
	struct demo_hdr *hdr;
	char what[96];
	void *base;
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
	err = demo_map(&dev, &hdr, &base);
	if (!err)
		err = attach_ring(&dev, &ring, base, timeout);
	for (;;) {
		const struct demo_msg *m;
		const void *p;
		size_t len;
		bool end;

		/* Nothing to read: sleep until the writer commits. */
		while (!err) {
			err = shmdev_ring_peek(&ring, timeout, &p, &len);
			if (err != -EINTR)
				break;
			err = 0;
		}
		if (err == -ETIMEDOUT) {
			fprintf(stderr, "shmdev-reader: no message: timed out\n");
			return 3;
		}
		if (err) {
			fprintf(stderr, "shmdev-reader: %s\n", strerror(-err));
			return 1;
		}
		m = p;
		len -= sizeof(*m);
		end = m->flags & DEMO_END;
		if (!end) {
			uint64_t lat = demo_now_ns() - m->sent_ns;

			printf("%.*s\n", (int)len, m->text);
			fflush(stdout);
			msgs++;
			bytes += len;
			lat_sum += lat;
			if (lat > lat_max)
				lat_max = lat;
		}
		/* The message is the writer's again: only @end is ours. */
		err = shmdev_ring_release(&ring, p);
		if (!err) {
			atomic_fetch_add(&hdr->taken, 1);
			err = shmdev_notify(&dev, NULL);
		}
		if (err) {
			fprintf(stderr, "shmdev-reader: %s\n", strerror(-err));
			return 1;
		}
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
