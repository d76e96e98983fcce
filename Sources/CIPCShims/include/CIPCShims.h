// What Swift cannot import directly: variadic calls, macros, GNU-only
// declarations, and async-signal-safe signal handlers. Nothing else.
#ifndef CIPCSHIMS_H
#define CIPCSHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <mqueue.h>
#include <semaphore.h>

// Errno and signal names from glibc (strerrorname_np, sigabbrev_np, sigdescr_np).
const char *ipc_errno_name(int err);
const char *ipc_signal_abbrev(int sig);
const char *ipc_signal_description(int sig);

// SIGRTMIN and SIGRTMAX are function calls behind macros.
int ipc_sigrtmin(void);
int ipc_sigrtmax(void);

// mq_open is variadic.
mqd_t ipc_mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr);

// mq_send/mq_receive with untyped buffers (an empty message has no base address),
// and the RLIMIT_MSGQUEUE soft limit.
int ipc_mq_send(mqd_t mq, const void *data, size_t size, unsigned int priority);
ssize_t ipc_mq_receive(mqd_t mq, void *data, size_t size, unsigned int *priority);
unsigned long long ipc_rlimit_msgqueue(void);

// sem_open is variadic; sem_clockwait waits on CLOCK_MONOTONIC for `nanoseconds`
// from now (not the wall clock, which may jump).
sem_t *ipc_sem_open(const char *name, int oflag, mode_t mode, unsigned int value);
int ipc_sem_wait_for(sem_t *sem, long long nanoseconds);
sem_t *ipc_sem_failed(void);

// Atomic fetch-and-add on a 64-bit word in shared memory; returns the new value.
/* memcpy and atomic add on a mapping that return -1 instead of dying of SIGBUS when
   the file behind the mapping has shrunk. */
int ipc_copy_guarded(void *to, const void *from, size_t count);
int ipc_atomic_add_guarded(void *address, long long value, long long *result);
long long ipc_atomic_add(void *address, long long value);
long long ipc_atomic_load(void *address);

// Signals: sigqueue with an int value; a signalfd for a set of signals (blocked
// first); one siginfo read from it; dispositions; a process's signal mask.
int ipc_sigqueue(int pid, int signo, int value);
int ipc_signalfd_for(const int *signals, int count);
int ipc_read_siginfo(int fd, int *signo, int *code, int *pid, unsigned int *uid, int *value);
int ipc_signal_is_ignored(int signo);
int ipc_signal_set_default(int signo);
int ipc_signal_ignore(int signo);
const char *ipc_si_code_name(int signo, int code);

// SCM_RIGHTS: send one descriptor with a one-byte message; receive it (MSG_CMSG_CLOEXEC).
// ipc_recv_fd returns the bytes read (0 at end of file) and sets *fd, or -1 if none came.
ssize_t ipc_send_fd(int socket, int fd);
ssize_t ipc_recv_fd(int socket, int *fd);

// SO_PEERCRED's struct ucred needs _GNU_SOURCE.
int ipc_peer_credentials(int fd, int *pid, unsigned int *uid, unsigned int *gid);
// accept4 with SOCK_CLOEXEC (GNU).
int ipc_accept(int fd, struct sockaddr *address, socklen_t *length);

// System V message flags behind _GNU_SOURCE.
int ipc_msg_except(void);
int ipc_msg_noerror(void);

// mq_notify with SIGEV_SIGNAL, and a bounded wait for that signal (sigtimedwait,
// nanoseconds < 0: no bound) that reports who caused it. The signal must be blocked.
int ipc_mq_notify_signal(mqd_t mq, int signo);
int ipc_mq_notify_cancel(mqd_t mq);
int ipc_block_signal(int signo);
int ipc_wait_signal(int signo, long long nanoseconds, int *code, int *pid, unsigned int *uid);
int ipc_si_mesgq(void);

// GNU-only pipe calls and constants.
int ipc_pipe2(int fds[2], int flags);
ssize_t ipc_splice(int fd_in, int fd_out, size_t len, unsigned int flags);
ssize_t ipc_tee(int fd_in, int fd_out, size_t len, unsigned int flags);
int ipc_f_setpipe_sz(void);
int ipc_f_getpipe_sz(void);
unsigned int ipc_splice_f_nonblock(void);
/* fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length): reserve without resizing. */
int ipc_fallocate_keep_size(int fd, long offset, long length);
unsigned int ipc_splice_f_move(void);
/* vmsplice(2) of one buffer into a pipe (no flags: the pages are referenced, not copied). */
ssize_t ipc_vmsplice(int fd, const void *base, size_t length);
/* sendfile(2) from the current offset of in_fd. */
ssize_t ipc_sendfile(int out_fd, int in_fd, size_t count);
/* prctl(PR_SET_PDEATHSIG, SIGTERM): a helper process ends when its parent does. */
void ipc_die_with_parent(void);

// ioctl is variadic: the bytes waiting in a pipe, FIFO or socket (FIONREAD).
int ipc_fionread(int fd, int *count);

// Wait status macros.
int ipc_wifexited(int status);
int ipc_wexitstatus(int status);
int ipc_wifsignaled(int status);
int ipc_wtermsig(int status);

// Control messages (SCM_RIGHTS, SCM_CREDENTIALS) are all macros.
size_t ipc_cmsg_space(size_t len);
size_t ipc_cmsg_len(size_t len);
struct cmsghdr *ipc_cmsg_firsthdr(struct msghdr *msg);
struct cmsghdr *ipc_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg);
unsigned char *ipc_cmsg_data(struct cmsghdr *cmsg);

// Interrupts: SIGINT, SIGTERM and SIGHUP are caught by a tiny C handler
// (no SA_RESTART) that records the signal and writes a byte to a self-pipe,
// so blocking calls return EINTR and poll() wakes up. The Swift side checks
// ipc_interrupt_pending() and unwinds normally, running its clean-ups.
int ipc_interrupts_install(void);
int ipc_interrupt_pending(void);
int ipc_interrupt_from_user(void);
int ipc_interrupt_fd(void);
void ipc_interrupts_reset(void);

// Mounts an mqueue file system at `dir` in a mount namespace of this process's own
// (unshare CLONE_NEWNS, then / made private), so that `ipc mq ls` can list queues
// where /dev/mqueue is not mounted, without changing the system's mounts. Root only.
int ipc_private_mqueue_mount(const char *dir);

// A wake-up timer for calls that cannot be polled (open of a FIFO): SIGALRM, caught
// without SA_RESTART, fires after `nanoseconds` and then every 10 ms until disarmed,
// so a call entered just after the first expiry is still interrupted.
int ipc_alarm_arm(long long nanoseconds);
int ipc_alarm_disarm(void);

#endif
