/* The C anchor for signal rates: a child blocks SIGRTMIN and takes N of them with
   sigwaitinfo while the parent queues N with sigqueue. Prints the seconds taken. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) {
    siginfo_t info;
    for (long i = 0; i < n; i++) sigwaitinfo(&set, &info);
    _exit(0);
  }
  union sigval value = {.sival_int = 1};
  for (long i = 0; i < n; i++) sigqueue(pid, SIGRTMIN, value);
  waitpid(pid, NULL, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  return 0;
}
