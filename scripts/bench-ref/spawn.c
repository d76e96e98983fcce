/* The timer for start-up figures: runs CMD N times (posix_spawn, stdout to /dev/null)
   and prints each run's wall time in microseconds, one per line. With
   "-r RESET... --" before CMD, RESET runs untimed before each run (to empty a queue).
   Usage: spawn N [-r RESET... --] CMD [ARG...] */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int run(char **argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int status = 0;
  if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0) return -1;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long n = atol(argv[1]);
  char **reset = NULL, **cmd = argv + 2;
  if (strcmp(argv[2], "-r") == 0) {
    reset = argv + 3;
    int i = 3;
    while (i < argc && strcmp(argv[i], "--") != 0) i++;
    if (i >= argc - 1) return 2;
    argv[i] = NULL;
    cmd = argv + i + 1;
  }
  for (long i = 0; i < n; i++) {
    if (reset) run(reset);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int code = run(cmd);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (code != 0) {
      fprintf(stderr, "spawn: %s exited %d\n", cmd[0], code);
      return 1;
    }
    printf("%ld\n", (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000);
  }
  return 0;
}
