/* The C anchor for message rates: a producer and a consumer process pass N messages
   of SIZE bytes through a POSIX queue made with the system defaults.
   Usage: mq NAME N SIZE; prints the seconds taken. */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  const char *name = argv[1];
  long n = atol(argv[2]), size = atol(argv[3]);
  mq_unlink(name);
  mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
  struct mq_attr attr;
  mq_getattr(q, &attr);
  char *buf = calloc(1, attr.mq_msgsize);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) {
    for (long i = 0; i < n; i++) mq_send(q, buf, size, 0);
    _exit(0);
  }
  for (long i = 0; i < n; i++) mq_receive(q, buf, attr.mq_msgsize, NULL);
  waitpid(pid, NULL, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.3f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  mq_unlink(name);
  return 0;
}
