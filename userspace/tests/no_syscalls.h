/* SPDX-License-Identifier: GPL-2.0 */
/*
 * forbid_syscalls(): a seccomp filter under which the calling process may
 * make no system call but exit; any other traps into a SIGSYS handler
 * that exits with SYSCALL_SEEN. The tests count a function's system calls
 * with it: a child that runs the function and exits 0 made none; one that
 * exits SYSCALL_SEEN made one (a handled signal, not a crash).
 */

#ifndef SHMDEV_TESTS_NO_SYSCALLS_H
#define SHMDEV_TESTS_NO_SYSCALLS_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SYSCALL_SEEN	99

static inline void syscall_seen(int sig)
{
	(void)sig;
	_exit(SYSCALL_SEEN);
}

/*
 * Can forbid_syscalls() work here? Not on 32-bit builds, nor on a kernel
 * without seccomp filters (CONFIG_SECCOMP_FILTER; the small debug kernel
 * has none), where PR_GET_SECCOMP fails with EINVAL.
 */
static inline bool can_forbid_syscalls(void)
{
#if defined(__x86_64__)
	return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL) < 0 &&
	       errno == EFAULT;
#else
	return false;
#endif
}

/* False where it cannot be set up. */
static inline bool forbid_syscalls(void)
{
#if defined(__x86_64__)
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa = { .sa_handler = syscall_seen };

	return !sigaction(SIGSYS, &sa, NULL) && !prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) &&
	       !prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	return false;
#endif
}

/* Reaps @pid: did it exit through syscall_seen()? */
static inline bool child_made_syscall(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == SYSCALL_SEEN;
}

#endif /* SHMDEV_TESTS_NO_SYSCALLS_H */
