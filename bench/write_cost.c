// The kernel's floor for W2: the cost of one write() of a 90-byte frame to
// a loopback TCP socket, issued to N sockets in a row as a fan-out round
// does. Built and run by bench/write_cost.ts; prints one JSON object.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100, rounds = argc > 2 ? atoi(argv[2]) : 2000;
  if (n < 1 || n > 1000 || rounds < 1) return 2;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(0x7f000001);
  socklen_t len = sizeof a;
  if (bind(l, (void *)&a, sizeof a) || listen(l, 1024) || getsockname(l, (void *)&a, &len)) return 1;
  int *client = calloc(n, sizeof *client), *server = calloc(n, sizeof *server);
  for (int i = 0; i < n; i++) {
    client[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client[i], (void *)&a, sizeof a)) return 1;
    server[i] = accept(l, 0, 0);
    int one = 1;
    setsockopt(server[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(client[i], F_SETFL, O_NONBLOCK);
  }
  char frame[90] = {0}, sink[65536];
  double issue = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now_us();
    for (int i = 0; i < n; i++)
      if (write(server[i], frame, sizeof frame) != sizeof frame) return 1;
    issue += now_us() - t0;
    for (int i = 0; i < n; i++)
      while (read(client[i], sink, sizeof sink) > 0) {
      }
  }
  printf("{\"us_per_write\":%.3f}\n", issue / rounds / n);
  return 0;
}
