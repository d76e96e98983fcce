#define _GNU_SOURCE
#include "CIPCShims.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/msg.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ipc_errno_name(int err) { return strerrorname_np(err); }
const char *ipc_signal_abbrev(int sig) { return sigabbrev_np(sig); }
const char *ipc_signal_description(int sig) { return sigdescr_np(sig); }

int ipc_sigrtmin(void) { return SIGRTMIN; }
int ipc_sigrtmax(void) { return SIGRTMAX; }

mqd_t ipc_mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr) {
  if (oflag & O_CREAT) return mq_open(name, oflag, mode, attr);
  return mq_open(name, oflag);
}

int ipc_mq_send(mqd_t mq, const void *data, size_t size, unsigned int priority) {
  static const char nothing = 0;
  return mq_send(mq, data ? data : &nothing, size, priority);
}
ssize_t ipc_mq_receive(mqd_t mq, void *data, size_t size, unsigned int *priority) {
  return mq_receive(mq, data, size, priority);
}
unsigned long long ipc_rlimit_msgqueue(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_MSGQUEUE, &limit) != 0) return 0;
  return (unsigned long long)limit.rlim_cur;
}

sem_t *ipc_sem_open(const char *name, int oflag, mode_t mode, unsigned int value) {
  if (oflag & O_CREAT) return sem_open(name, oflag, mode, value);
  return sem_open(name, oflag);
}
int ipc_sem_wait_for(sem_t *sem, long long nanoseconds) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += nanoseconds / 1000000000LL;
  until.tv_nsec += nanoseconds % 1000000000LL;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec += 1;
    until.tv_nsec -= 1000000000L;
  }
  return sem_clockwait(sem, CLOCK_MONOTONIC, &until);
}
sem_t *ipc_sem_failed(void) { return SEM_FAILED; }

long long ipc_atomic_add(void *address, long long value) {
  return __atomic_add_fetch((long long *)address, value, __ATOMIC_SEQ_CST);
}
long long ipc_atomic_load(void *address) {
  return __atomic_load_n((long long *)address, __ATOMIC_SEQ_CST);
}

int ipc_sigqueue(int pid, int signo, int value) {
  union sigval sv;
  sv.sival_int = value;
  return sigqueue(pid, signo, sv);
}

int ipc_signalfd_for(const int *signals, int count) {
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
  return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int ipc_read_siginfo(int fd, int *signo, int *code, int *pid, unsigned int *uid, int *value) {
  struct signalfd_siginfo info;
  ssize_t got = read(fd, &info, sizeof info);
  if (got != (ssize_t)sizeof info) return -1;
  *signo = (int)info.ssi_signo;
  *code = info.ssi_code;
  *pid = (int)info.ssi_pid;
  *uid = info.ssi_uid;
  *value = info.ssi_int;
  return 0;
}

int ipc_signal_is_ignored(int signo) {
  struct sigaction old;
  if (sigaction(signo, NULL, &old) != 0) return 0;
  return old.sa_handler == SIG_IGN;
}
int ipc_signal_set_default(int signo) { return signal(signo, SIG_DFL) == SIG_ERR ? -1 : 0; }
int ipc_signal_ignore(int signo) { return signal(signo, SIG_IGN) == SIG_ERR ? -1 : 0; }

const char *ipc_si_code_name(int signo, int code) {
  switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    case SI_MESGQ: return "SI_MESGQ";
    case SI_ASYNCIO: return "SI_ASYNCIO";
    case SI_SIGIO: return "SI_SIGIO";
    case SI_TKILL: return "SI_TKILL";
  }
  if (signo == SIGCHLD) {
    switch (code) {
      case CLD_EXITED: return "CLD_EXITED";
      case CLD_KILLED: return "CLD_KILLED";
      case CLD_DUMPED: return "CLD_DUMPED";
      case CLD_STOPPED: return "CLD_STOPPED";
      case CLD_CONTINUED: return "CLD_CONTINUED";
    }
  }
  return NULL;
}

ssize_t ipc_send_fd(int socket, int fd) {
  char byte = 'F';
  struct iovec io = {&byte, 1};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control.buffer;
  message.msg_controllen = sizeof control.buffer;
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &fd, sizeof(int));
  return sendmsg(socket, &message, MSG_NOSIGNAL);
}

ssize_t ipc_recv_fd(int socket, int *fd) {
  char byte;
  struct iovec io = {&byte, 1};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &io;
  message.msg_iovlen = 1;
  message.msg_control = control.buffer;
  message.msg_controllen = sizeof control.buffer;
  *fd = -1;
  ssize_t got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  if (got < 0) return got;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&message); h; h = CMSG_NXTHDR(&message, h)) {
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
      memcpy(fd, CMSG_DATA(h), sizeof(int));
    }
  }
  return got;
}

int ipc_peer_credentials(int fd, int *pid, unsigned int *uid, unsigned int *gid) {
  struct ucred credentials;
  socklen_t length = sizeof credentials;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
  *pid = credentials.pid;
  *uid = credentials.uid;
  *gid = credentials.gid;
  return 0;
}
int ipc_accept(int fd, struct sockaddr *address, socklen_t *length) {
  return accept4(fd, address, length, SOCK_CLOEXEC);
}

int ipc_msg_except(void) { return MSG_EXCEPT; }
int ipc_msg_noerror(void) { return MSG_NOERROR; }

int ipc_mq_notify_signal(mqd_t mq, int signo) {
  struct sigevent event;
  memset(&event, 0, sizeof event);
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = signo;
  return mq_notify(mq, &event);
}
int ipc_mq_notify_cancel(mqd_t mq) { return mq_notify(mq, NULL); }
int ipc_block_signal(int signo) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  return sigprocmask(SIG_BLOCK, &set, NULL);
}
int ipc_wait_signal(int signo, long long nanoseconds, int *code, int *pid, unsigned int *uid) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  siginfo_t info;
  int got;
  if (nanoseconds < 0) {
    got = sigwaitinfo(&set, &info);
  } else {
    struct timespec wait = {nanoseconds / 1000000000LL, nanoseconds % 1000000000LL};
    got = sigtimedwait(&set, &info, &wait);
  }
  if (got > 0) {
    *code = info.si_code;
    *pid = info.si_pid;
    *uid = info.si_uid;
  }
  return got;
}
int ipc_si_mesgq(void) { return SI_MESGQ; }

int ipc_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }
ssize_t ipc_splice(int fd_in, int fd_out, size_t len, unsigned int flags) {
  return splice(fd_in, NULL, fd_out, NULL, len, flags);
}
ssize_t ipc_tee(int fd_in, int fd_out, size_t len, unsigned int flags) {
  return tee(fd_in, fd_out, len, flags);
}
int ipc_f_setpipe_sz(void) { return F_SETPIPE_SZ; }
int ipc_f_getpipe_sz(void) { return F_GETPIPE_SZ; }
unsigned int ipc_splice_f_nonblock(void) { return SPLICE_F_NONBLOCK; }
unsigned int ipc_splice_f_move(void) { return SPLICE_F_MOVE; }

int ipc_fionread(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

int ipc_wifexited(int status) { return WIFEXITED(status); }
int ipc_wexitstatus(int status) { return WEXITSTATUS(status); }
int ipc_wifsignaled(int status) { return WIFSIGNALED(status); }
int ipc_wtermsig(int status) { return WTERMSIG(status); }

size_t ipc_cmsg_space(size_t len) { return CMSG_SPACE(len); }
size_t ipc_cmsg_len(size_t len) { return CMSG_LEN(len); }
struct cmsghdr *ipc_cmsg_firsthdr(struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
struct cmsghdr *ipc_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg) {
  return CMSG_NXTHDR(msg, cmsg);
}
unsigned char *ipc_cmsg_data(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }

static volatile sig_atomic_t pending_signal = 0;
static volatile sig_atomic_t pending_from_user = 0;
static int self_pipe[2] = {-1, -1};

static void on_interrupt(int sig, siginfo_t *info, void *context) {
  (void)context;
  int saved = errno;
  pending_signal = sig;
  pending_from_user = (info != NULL && (info->si_code == SI_USER || info->si_code == SI_QUEUE));
  if (self_pipe[1] >= 0) {
    char byte = (char)sig;
    ssize_t ignored = write(self_pipe[1], &byte, 1);
    (void)ignored;
  }
  errno = saved;
}

int ipc_interrupts_install(void) {
  if (self_pipe[0] < 0 && pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_interrupt;
  action.sa_flags = SA_SIGINFO;  // no SA_RESTART: blocking calls return EINTR
  sigemptyset(&action.sa_mask);
  int signals[] = {SIGINT, SIGTERM, SIGHUP};
  sigset_t unblock;
  sigemptyset(&unblock);
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
    struct sigaction old;
    if (sigaction(signals[i], NULL, &old) != 0) return -1;
    if (old.sa_handler == SIG_IGN) continue;  // nohup and friends: stay ignored
    if (sigaction(signals[i], &action, NULL) != 0) return -1;
    sigaddset(&unblock, signals[i]);
  }
  // A parent may have left them blocked (some runtimes do); we want to hear them.
  return sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

int ipc_interrupt_pending(void) { return pending_signal; }
int ipc_interrupt_from_user(void) { return pending_from_user; }
int ipc_interrupt_fd(void) { return self_pipe[0]; }

void ipc_interrupts_reset(void) {
  pending_signal = 0;
  pending_from_user = 0;
  if (self_pipe[0] >= 0) {
    char buffer[64];
    while (read(self_pipe[0], buffer, sizeof buffer) > 0) {
    }
  }
}

static void on_alarm(int sig) { (void)sig; }

int ipc_alarm_arm(long long nanoseconds) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_alarm;  // no SA_RESTART: the blocked call returns EINTR
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGALRM, &action, NULL) != 0) return -1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGALRM);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  if (nanoseconds < 1000) nanoseconds = 1000;
  struct itimerval timer;
  timer.it_value.tv_sec = nanoseconds / 1000000000LL;
  timer.it_value.tv_usec = (nanoseconds % 1000000000LL) / 1000;
  timer.it_interval.tv_sec = 0;
  timer.it_interval.tv_usec = 10000;
  return setitimer(ITIMER_REAL, &timer, NULL);
}

int ipc_alarm_disarm(void) {
  struct itimerval timer;
  memset(&timer, 0, sizeof timer);
  return setitimer(ITIMER_REAL, &timer, NULL);
}

int ipc_private_mqueue_mount(const char *dir) {
  if (unshare(CLONE_NEWNS) != 0) return -1;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
  return mount("mqueue", dir, "mqueue", 0, NULL);
}

int ipc_fallocate_keep_size(int fd, long offset, long length) {
  return fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length);
}

ssize_t ipc_vmsplice(int fd, const void *base, size_t length) {
  struct iovec vector = {.iov_base = (void *)base, .iov_len = length};
  return vmsplice(fd, &vector, 1, 0);
}

void ipc_die_with_parent(void) {
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) raise(SIGTERM);
}

/* Copies out of (or into) a mapping without dying when the file behind it has shrunk
   under it: the SIGBUS that a vanished page raises is caught for the length of the
   copy and turned into -1. Only memcpy runs while the handler may jump. */
static __thread sigjmp_buf *bus_landing;

static void on_sigbus(int signo) {
  if (bus_landing) siglongjmp(*bus_landing, 1);
  signal(signo, SIG_DFL);
  raise(signo);
}

static int guarded(void (*body)(void *), void *context) {
  struct sigaction action, old;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigbus;
  action.sa_flags = SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &old) != 0) return -1;
  sigjmp_buf landing;
  int result = 0;
  if (sigsetjmp(landing, 1) == 0) {
    bus_landing = &landing;
    body(context);
  } else {
    result = -1;
  }
  bus_landing = NULL;
  sigaction(SIGBUS, &old, NULL);
  return result;
}

struct copy_request { void *to; const void *from; size_t count; };
static void copy_body(void *context) {
  struct copy_request *request = context;
  memcpy(request->to, request->from, request->count);
}

int ipc_copy_guarded(void *to, const void *from, size_t count) {
  struct copy_request request = {to, from, count};
  return guarded(copy_body, &request);
}

struct add_request { void *address; long long value; long long result; };
static void add_body(void *context) {
  struct add_request *request = context;
  request->result = __atomic_add_fetch((long long *)request->address, request->value, __ATOMIC_SEQ_CST);
}

int ipc_atomic_add_guarded(void *address, long long value, long long *result) {
  struct add_request request = {address, value, 0};
  if (guarded(add_body, &request) != 0) return -1;
  *result = request.result;
  return 0;
}

ssize_t ipc_sendfile(int out_fd, int in_fd, size_t count) {
  return sendfile(out_fd, in_fd, NULL, count);
}
