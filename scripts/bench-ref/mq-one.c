/* The C anchor for a one-shot queue command: "send NAME" opens the queue, sends one
   64-byte message and exits, as `ipc mq send NAME DATA` does; "drain NAME" empties it.
   Usage: mq-one send|drain NAME */
#include <fcntl.h>
#include <mqueue.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  char buf[65536];
  memset(buf, 'x', 64);
  if (strcmp(argv[1], "send") == 0) {
    mqd_t q = mq_open(argv[2], O_WRONLY);
    if (q == (mqd_t)-1) return 1;
    return mq_send(q, buf, 64, 0) == 0 ? 0 : 1;
  }
  mqd_t q = mq_open(argv[2], O_RDONLY | O_NONBLOCK);
  if (q == (mqd_t)-1) return 1;
  while (mq_receive(q, buf, sizeof buf, NULL) >= 0) {}
  return 0;
}
