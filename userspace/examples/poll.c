// SPDX-License-Identifier: GPL-2.0
/*
 * poll - an epoll event loop that waits for a region's notifications and
 * for a timer at once
 *
 * A child process sends COUNT notifications on a named region, each after
 * storing its number in the region. The parent waits in epoll_wait() on
 * two descriptors: the region's and a timerfd that ticks every 100 ms (a
 * stand-in for a program's other work, here a watchdog: two seconds of
 * ticks without a notification end the loop with a failure). It shows:
 *
 * - what poll(), select() and epoll report for a region file: readable
 *   (EPOLLIN | EPOLLRDNORM | EPOLLPRI) while the region's sequence differs
 *   from the one that file last acknowledged; never writable;
 * - how to acknowledge: the SHMDEV_IOC_WAIT ioctl with timeout 0 on that
 *   descriptor returns at once with the current sequence and records it
 *   for the file. shmdev_wait() is not enough: with the region's control
 *   page it reads the sequence without a system call, so the file would
 *   stay readable and epoll would spin;
 * - the sequence says that something happened, not how often: several
 *   notifications may come as one wake-up, and the sequence's step says
 *   how many; what happened is recorded in the region itself;
 * - each file acknowledges for itself: the notifier opens its own.
 *
 * Build outside the tree:
 *   cc -o poll poll.c $(pkg-config --cflags --libs shmdev)
 * Usage:
 *   poll [-n COUNT] [NAME]      (defaults: 100, "poll-example")
 * NAME must not exist; it is removed when both processes have exited.
 * Exit status 0 when the loop saw exactly COUNT notifications, the last
 * one's number in the region, and no wake-up without a notification.
 */

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libshmdev.h>

/*
 * Acknowledges what the file @fd saw: *seq in: the last acknowledged
 * sequence; out: the current one. 0, or -ETIMEDOUT if nothing is new.
 */
static int ack(int fd, uint64_t *seq)
{
	struct shmdev_wait w = { .seq = *seq, .timeout_ns = 0 };

	if (ioctl(fd, SHMDEV_IOC_WAIT, &w))
		return -errno;
	*seq = w.seq;
	return 0;
}

/* The child: its own file of the region, COUNT numbered notifications. */
static int notifier(const char *name, uint32_t count)
{
	struct timespec pause = { 0, 2 * 1000000 };	/* 2 ms */
	_Atomic uint32_t *number;
	struct shmdev dev;
	int err = shmdev_open_name(&dev, name, 0, 0, 0);

	if (!err)
		err = shmdev_map(&dev, 4096, PROT_READ | PROT_WRITE, (void **)&number);
	for (uint32_t i = 1; !err && i <= count; i++) {
		atomic_store(number, i);	/* what happened, then notify */
		err = shmdev_notify(&dev, NULL);
		nanosleep(&pause, NULL);
	}
	if (err)
		fprintf(stderr, "poll: notifier: %s\n", strerror(-err));
	return !!err;
}

int main(int argc, char **argv)
{
	struct itimerspec tick = { { 0, 100000000 }, { 0, 100000000 } };
	uint32_t count = 100, seen = 0, wakeups = 0, spurious = 0, idle = 0;
	const char *name = "poll-example";
	struct epoll_event ev, evs[2];
	_Atomic uint32_t *number;
	struct shmdev dev;
	int ep, tfd, err, status, rc = 0;
	uint64_t acked;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		count = strtoul(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	if (argc > 1)
		name = argv[1];
	if (argc > 2 || !count) {
		fprintf(stderr, "Usage: poll [-n COUNT] [NAME]\n");
		return 2;
	}

	err = shmdev_open_name(&dev, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			       SHMDEV_OPEN_AUTOREMOVE, 4096, 0600);
	if (!err)
		err = shmdev_map(&dev, 4096, PROT_READ, (void **)&number);
	if (err) {
		fprintf(stderr, "poll: %s: %s\n", name, strerror(-err));
		return 1;
	}
	/* A new file has acknowledged the sequence current when it opened. */
	acked = shmdev_seq(&dev);

	ep = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (ep < 0 || tfd < 0 || timerfd_settime(tfd, 0, &tick, NULL)) {
		perror("poll: epoll or timerfd");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = dev.fd;			/* the region's descriptor */
	epoll_ctl(ep, EPOLL_CTL_ADD, dev.fd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(notifier(name, count));

	while (seen < count && idle < 20) {
		int n = epoll_wait(ep, evs, 2, -1);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == tfd) {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
					idle += ticks;
				continue;
			}
			/* The region: acknowledge, so that it stops being ready. */
			uint64_t before = acked;

			err = ack(dev.fd, &acked);
			if (err == -ETIMEDOUT) {
				spurious++;	/* ready, but nothing new */
				if (spurious > 1000)
					idle = 20;
				continue;
			}
			if (err) {
				fprintf(stderr, "poll: acknowledge: %s\n", strerror(-err));
				idle = 20;
				break;
			}
			seen += acked - before;	/* how many, not just "some" */
			wakeups++;
			idle = 0;
		}
	}

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		rc = 1;
	printf("%u notifications in %u wake-ups, last number %u, %u spurious\n",
	       seen, wakeups, atomic_load(number), spurious);
	if (seen != count || atomic_load(number) != count || spurious) {
		fprintf(stderr, "poll: expected %u notifications, none spurious\n", count);
		rc = 1;
	}
	shmdev_close(&dev);
	return rc;
}
