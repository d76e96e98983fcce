/* Peak memory of one command: runs CMD (posix_spawn), waits for it with wait4 and
   writes its ru_maxrss in KB to OUTFILE; exits with CMD's status. This small parent
   keeps the figure CMD's own (a child forked from a big process would count that
   process's pages). Usage: rss OUTFILE CMD [ARG...] */
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  pid_t pid;
  if (posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) return 127;
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) return 1;
  FILE *out = fopen(argv[1], "w");
  if (out) {
    fprintf(out, "%ld\n", usage.ru_maxrss);
    fclose(out);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
