/* The memcpy anchor for shared memory: copies SIZE bytes between two buffers
   (touched first, so page faults are not counted) and prints the seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  size_t size = argc > 1 ? strtoull(argv[1], NULL, 10) : (1UL << 30);
  char *a = malloc(size), *b = malloc(size);
  memset(a, 1, size);
  memset(b, 2, size);
  struct timespec s, e;
  clock_gettime(CLOCK_MONOTONIC, &s);
  memcpy(b, a, size);
  clock_gettime(CLOCK_MONOTONIC, &e);
  printf("%.3f %d\n", (e.tv_sec - s.tv_sec) + (e.tv_nsec - s.tv_nsec) / 1e9, b[size / 2]);
  return 0;
}
