// SPDX-License-Identifier: GPL-2.0
/*
 * as_user - run a command as another user, for the tests and the demo in
 * the VM, whose busybox can change neither ids (its setpriv has no
 * --reuid) nor users without a password database (su).
 *
 *   as_user UID[:GID[,GROUP...]] COMMAND [ARG...]
 *
 * Sets the supplementary groups to GROUP... (none by default), the real,
 * effective and saved group ID to GID (default: UID) and the user IDs to
 * UID, then executes COMMAND from PATH. The capabilities go with the root
 * user IDs. Exit status: COMMAND's; 125 on a bad argument or a failed
 * change of ids, 126/127 when COMMAND cannot run.
 */

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_GROUPS 32

/* A decimal id ending at one of @ends (or at NUL); *s moves past it. */
static int parse_id(const char **s, const char *ends, unsigned int *id)
{
	unsigned long v;
	char *end;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno || v >= (unsigned int)-1 || (*end && !strchr(ends, *end)))
		return -1;
	*id = (unsigned int)v;
	*s = end;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int uid, gid, id;
	gid_t groups[MAX_GROUPS];
	size_t ngroups = 0;
	const char *s;

	if (argc < 3) {
		fprintf(stderr, "Usage: as_user UID[:GID[,GROUP...]] COMMAND [ARG...]\n");
		return 125;
	}
	s = argv[1];
	if (parse_id(&s, ":", &uid))
		goto bad;
	gid = uid;
	if (*s == ':') {
		s++;
		if (parse_id(&s, ",", &gid))
			goto bad;
		while (*s == ',') {
			s++;
			if (ngroups == MAX_GROUPS || parse_id(&s, ",", &id))
				goto bad;
			groups[ngroups++] = id;
		}
	}
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "as_user: cannot become %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "as_user: cannot run %s: %s\n", argv[2], strerror(errno));
	return errno == ENOENT ? 127 : 126;
bad:
	fprintf(stderr, "as_user: invalid ids '%s' (UID[:GID[,GROUP...]])\n", argv[1]);
	return 125;
}
