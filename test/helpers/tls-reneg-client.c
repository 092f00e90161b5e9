/* TLS 1.2 client: handshake with cert A, renegotiate presenting cert B, then send one HTTP request. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 7) { fprintf(stderr, "usage: port certA keyA certB keyB path [noreneg]\n"); return 2; }
  int port = atoi(argv[1]);
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_use_certificate_file(ctx, argv[2], SSL_FILETYPE_PEM);
  SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(port); a.sin_addr.s_addr = htonl(0x7f000001);
  if (connect(fd, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
  SSL *ssl = SSL_new(ctx); SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) { ERR_print_errors_fp(stderr); return 1; }
  fprintf(stderr, "handshake 1 done (%s)\n", SSL_get_version(ssl));
  if (argc < 8) {
    if (SSL_use_certificate_file(ssl, argv[4], SSL_FILETYPE_PEM) != 1 || SSL_use_PrivateKey_file(ssl, argv[5], SSL_FILETYPE_PEM) != 1) { ERR_print_errors_fp(stderr); return 1; }
    if (SSL_renegotiate(ssl) != 1) { ERR_print_errors_fp(stderr); return 1; }
    if (SSL_do_handshake(ssl) != 1) { ERR_print_errors_fp(stderr); return 1; }
    fprintf(stderr, "renegotiated with cert B\n");
  }
  char req[1024];
  const char *body = argv[6][0] == 'P' ? "{\"model\":\"llama\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}" : "";
  const char *path = argv[6][0] == 'P' ? "/v1/chat/completions" : argv[6];
  snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
           body[0] ? "POST" : "GET", path, strlen(body), body);
  SSL_write(ssl, req, strlen(req));
  char buf[4096]; int n;
  while ((n = SSL_read(ssl, buf, sizeof buf - 1)) > 0) { buf[n] = 0; fputs(buf, stdout); }
  puts("");
  return 0;
}
