/* The C anchor for signal latency: parent and child bounce SIGRTMIN N times
   (sigqueue, then sigwaitinfo for the reply). Prints the mean round trip in
   microseconds. Usage: pingpong N */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, NULL);
  pid_t parent = getpid(), pid = fork();
  union sigval value = {.sival_int = 1};
  siginfo_t info;
  if (pid == 0) {
    for (long i = 0; i < n; i++) {
      sigwaitinfo(&set, &info);
      sigqueue(parent, SIGRTMIN, value);
    }
    _exit(0);
  }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    sigqueue(pid, SIGRTMIN, value);
    sigwaitinfo(&set, &info);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  waitpid(pid, NULL, 0);
  printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e3 / n);
  return 0;
}
