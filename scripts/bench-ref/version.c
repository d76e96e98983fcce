/* The C anchor for start-up: a one-shot program that prints a line, like ipc --version. */
#include <stdio.h>
int main(void) { puts("0.1.0"); return 0; }
