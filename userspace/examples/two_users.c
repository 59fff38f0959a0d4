// SPDX-License-Identifier: GPL-2.0
/*
 * two_users - a named region shared by two users, refused to a third
 *
 * The owner creates the region with mode 0660: read and write for its
 * user and its group, nothing for others. It writes a greeting and waits.
 * A member of the owner's group opens the region by name, reads the
 * greeting, writes an answer and notifies; the owner prints the answer.
 * A user outside the group is refused with EACCES, although the device
 * node lets it in: the region's own mode is checked, as a file's is. It
 * shows:
 *
 * - the mode of a new region is the requested one less the umask (0660
 *   with the usual umask 022 gives 0640): clear the umask around the
 *   call, as here, or set the mode afterwards with shmdev_chmod();
 * - the region's owner and group are the creator's user and primary group;
 * - a process that cannot open the region can do nothing with it.
 *
 * Build outside the tree:
 *   cc -o two_users two_users.c $(pkg-config --cflags --libs shmdev)
 * Usage, each role as its own user (the node /dev/shmdev must open for
 * all three, e.g. group shmdev as the Debian packages set it up):
 *   two_users owner [NAME]      create NAME, wait up to 20 s for an answer
 *   two_users member [NAME]     (a member of the owner's group) answer
 *   two_users stranger [NAME]   (not in it) check that EACCES refuses it
 * As root, with no role: runs the three roles in children that become
 * uid 1000 (gid 1000), uid 1001 (also in group 1000) and uid 1002 with
 * setresuid(); root itself would be let in anyway (CAP_DAC_OVERRIDE).
 * NAME defaults to "two-users". Exit status 0 when the role did what it
 * says (as root: all three did).
 */

#define _GNU_SOURCE 1		/* setresuid(), setresgid() */

#include <errno.h>
#include <grp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libshmdev.h>

#define TIMEOUT_NS	(20 * 1000000000LL)

struct shared {
	_Atomic uint32_t greeted;	/* the owner wrote its greeting */
	_Atomic uint32_t answered;	/* the member wrote its answer */
	char greeting[120];		/* the owner's */
	char answer[120];		/* the member's */
};

/* The region exists once its owner made it: wait for the name to appear. */
static int open_existing(struct shmdev *dev, const char *name, uint32_t flags)
{
	struct timespec pause = { 0, 10 * 1000000 };
	int err;

	for (int i = 0; i < 2000; i++) {
		err = shmdev_open_name(dev, name, flags, 0, 0);
		if (err != -ENOENT)
			break;
		nanosleep(&pause, NULL);
	}
	return err;
}

static int owner(const char *name)
{
	struct shmdev dev;
	struct shared *sh;
	mode_t umask_was = umask(0);	/* exactly 0660, whatever the umask */
	struct stat st;
	int err;

	err = shmdev_open_name(&dev, name, SHMDEV_OPEN_CREATE | SHMDEV_OPEN_EXCL |
			       SHMDEV_OPEN_AUTOREMOVE, sizeof(*sh), 0660);
	umask(umask_was);
	if (!err)
		err = shmdev_map(&dev, sizeof(*sh), PROT_READ | PROT_WRITE, (void **)&sh);
	if (err || fstat(dev.fd, &st)) {
		fprintf(stderr, "two_users: owner: %s: %s\n", name, strerror(err ? -err : errno));
		return 1;
	}
	printf("owner uid %d: created %s, uid %d gid %d mode %04o\n", getuid(), name,
	       st.st_uid, st.st_gid, st.st_mode & 0777);
	fflush(stdout);
	snprintf(sh->greeting, sizeof(sh->greeting), "hello from uid %d", getuid());
	atomic_store(&sh->greeted, 1);
	shmdev_notify(&dev, NULL);

	for (;;) {
		uint64_t seq = shmdev_seq(&dev);

		if (atomic_load(&sh->answered))
			break;
		err = shmdev_wait(&dev, &seq, TIMEOUT_NS);
		if (err && err != -EINTR) {
			fprintf(stderr, "two_users: owner: no answer: %s\n", strerror(-err));
			return 1;
		}
	}
	printf("owner uid %d: read \"%.*s\"\n", getuid(), (int)sizeof(sh->answer), sh->answer);
	shmdev_close(&dev);
	return 0;
}

static int member(const char *name)
{
	struct shmdev dev;
	struct shared *sh;
	int err = open_existing(&dev, name, 0);		/* read-write */

	if (!err)
		err = shmdev_map(&dev, sizeof(*sh), PROT_READ | PROT_WRITE, (void **)&sh);
	if (err) {
		fprintf(stderr, "two_users: member uid %d: %s: %s\n", getuid(), name,
			strerror(-err));
		return 1;
	}
	/* The greeting may not be written yet: the sequence, then the flag. */
	for (;;) {
		uint64_t seq = shmdev_seq(&dev);

		if (atomic_load(&sh->greeted))
			break;
		err = shmdev_wait(&dev, &seq, TIMEOUT_NS);
		if (err && err != -EINTR) {
			fprintf(stderr, "two_users: member: no greeting: %s\n", strerror(-err));
			return 1;
		}
	}
	printf("member uid %d: read \"%.*s\"\n", getuid(), (int)sizeof(sh->greeting),
	       sh->greeting);
	snprintf(sh->answer, sizeof(sh->answer), "uid %d read \"%.*s\"", getuid(), 60,
		 sh->greeting);
	atomic_store(&sh->answered, 1);
	err = shmdev_notify(&dev, NULL);
	shmdev_close(&dev);
	return err || strncmp(sh->greeting, "hello from uid ", 15);
}

static int stranger(const char *name)
{
	struct shmdev dev;
	int err;

	/* First the node: a refusal must come from the region, not from it. */
	if (access(SHMDEV_DEFAULT_PATH, R_OK)) {
		fprintf(stderr, "two_users: stranger uid %d: cannot open %s at all\n",
			getuid(), SHMDEV_DEFAULT_PATH);
		return 1;
	}
	err = open_existing(&dev, name, SHMDEV_OPEN_RDONLY);	/* not even read */
	if (!err)
		shmdev_close(&dev);
	printf("stranger uid %d: open %s: %s\n", getuid(), name,
	       err ? strerror(-err) : "allowed");
	return err != -EACCES;
}

/* As root: @role in a child that becomes @uid, in @gid and groups @groups. */
static pid_t run_as(int (*role)(const char *), const char *name, uid_t uid, gid_t gid,
		    const gid_t *groups, size_t ngroups)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		perror("two_users: becoming another user");
		_exit(1);
	}
	exit(role(name));		/* exit(): flushes stdout */
}

int main(int argc, char **argv)
{
	const char *name = "two-users";
	int (*role)(const char *) = NULL;
	const gid_t group = 1000;
	pid_t pids[3];
	int status, rc = 0;

	if (argc > 1 && !strcmp(argv[1], "owner"))
		role = owner;
	else if (argc > 1 && !strcmp(argv[1], "member"))
		role = member;
	else if (argc > 1 && !strcmp(argv[1], "stranger"))
		role = stranger;
	if (role) {
		argv++;
		argc--;
	}
	if (argc > 1)
		name = argv[1];
	if (argc > 2 || (!role && geteuid())) {
		fprintf(stderr, "Usage: two_users owner|member|stranger [NAME]\n"
			"       two_users        (as root: all three roles)\n");
		return 2;
	}
	if (role)
		return role(name);

	fflush(stdout);
	pids[0] = run_as(owner, name, 1000, group, NULL, 0);
	pids[1] = run_as(stranger, name, 1002, 1002, NULL, 0);
	/* The stranger is done before the member lets the owner go. */
	if (waitpid(pids[1], &status, 0) != pids[1] || !WIFEXITED(status) || WEXITSTATUS(status))
		rc = 1;
	pids[2] = run_as(member, name, 1001, 1001, &group, 1);
	for (int i = 0; i < 3; i += 2) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			rc = 1;
	}
	return rc;
}
