/*
 * The container every replayed pod runs: it does nothing until told to stop.
 * Modelled on Kubernetes' build/pause/linux/pause.c: exits 0 on SIGINT or SIGTERM, reaps
 * any children (it may run as PID 1), otherwise sleeps in pause(2).
 * Built static by build.rs so the image can be `FROM scratch`.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int signo) {
  (void)signo;
  _exit(0);
}

static void on_child(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop;
  struct sigaction child;
  memset(&stop, 0, sizeof stop);
  memset(&child, 0, sizeof child);
  stop.sa_handler = on_stop;
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGINT, &stop, NULL) < 0) return 1;
  if (sigaction(SIGTERM, &stop, NULL) < 0) return 2;
  if (sigaction(SIGCHLD, &child, NULL) < 0) return 3;
  for (;;) pause();
  return 42;
}
