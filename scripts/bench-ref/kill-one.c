/* The C anchor for a one-shot signal command: kill(PID, SIGUSR1), as
   `ipc signal send PID USR1` does. Usage: kill-one PID */
#include <signal.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  return kill(atoi(argv[1]), SIGUSR1) == 0 ? 0 : 1;
}
