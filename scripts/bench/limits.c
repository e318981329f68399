/* The machine's physical limits for scripts/bench-compare.sh, one JSON line each:
 *   limits udp  — loopback UDP datagrams of 1,200 bytes per second (sendmmsg/recvmmsg, one
 *                 sender thread, one receiver thread, 2 s), the rate QUIC packets could flow at;
 *   limits aes  — GnuTLS AES-128-GCM encryption speed over 1,200-byte records (QUIC's packet
 *                 size), then over 16 KiB records, 1 s each.
 * Build: cc -O2 -o limits limits.c -lgnutls -lpthread */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { DATAGRAM = 1200, BATCH = 64 };

static atomic_long received;
static atomic_int stop;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *receiver(void *arg) {
    int fd = *(int *)arg;
    static char buffers[BATCH][DATAGRAM];
    struct mmsghdr messages[BATCH];
    struct iovec vectors[BATCH];
    for (int i = 0; i < BATCH; i++) {
        vectors[i].iov_base = buffers[i];
        vectors[i].iov_len = DATAGRAM;
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    struct timeval timeout = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    while (!atomic_load(&stop)) {
        int n = recvmmsg(fd, messages, BATCH, 0, NULL);
        if (n > 0) atomic_fetch_add(&received, n);
    }
    return NULL;
}

static int udp(void) {
    int in = socket(AF_INET, SOCK_DGRAM, 0), out = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 8 << 20;
    setsockopt(in, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(in, (struct sockaddr *)&address, sizeof address) || getsockname(in, (struct sockaddr *)&address, &length)) {
        perror("bind");
        return 1;
    }
    if (connect(out, (struct sockaddr *)&address, sizeof address)) {
        perror("connect");
        return 1;
    }
    pthread_t thread;
    pthread_create(&thread, NULL, receiver, &in);
    static char payload[DATAGRAM];
    struct mmsghdr messages[BATCH];
    struct iovec vector = {payload, DATAGRAM};
    for (int i = 0; i < BATCH; i++) {
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_iov = &vector;
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    long sent = 0;
    double start = now(), end = start + 2.0;
    while (now() < end) {
        int n = sendmmsg(out, messages, BATCH, 0);
        if (n > 0) sent += n;
    }
    double elapsed = now() - start;
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    long got = atomic_load(&received);
    printf("{\"workload\": \"limit_udp\", \"datagram_bytes\": %d, \"sent_per_s\": %.0f, \"received_per_s\": %.0f, \"received_mb_per_s\": %.1f}\n",
           DATAGRAM, sent / elapsed, got / elapsed, got * (double)DATAGRAM / elapsed / 1e6);
    return 0;
}

static double aes_rate(size_t record) {
    unsigned char key_bytes[16] = {1}, iv[12] = {2}, tag[16];
    gnutls_datum_t key = {key_bytes, sizeof key_bytes};
    gnutls_aead_cipher_hd_t handle;
    if (gnutls_aead_cipher_init(&handle, GNUTLS_CIPHER_AES_128_GCM, &key) < 0) return -1;
    unsigned char *plain = calloc(1, record), *sealed = malloc(record + 16);
    long bytes = 0;
    double start = now(), end = start + 1.0;
    while (now() < end) {
        for (int i = 0; i < 64; i++) {
            size_t out = record + 16;
            iv[0]++;
            gnutls_aead_cipher_encrypt(handle, iv, sizeof iv, NULL, 0, sizeof tag, plain, record, sealed, &out);
            bytes += record;
        }
    }
    double rate = bytes / (now() - start) / 1e6;
    gnutls_aead_cipher_deinit(handle);
    free(plain);
    free(sealed);
    return rate;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "udp") == 0) return udp();
    if (argc == 2 && strcmp(argv[1], "aes") == 0) {
        gnutls_global_init();
        printf("{\"workload\": \"limit_aes128gcm\", \"mb_per_s_1200B\": %.1f, \"mb_per_s_16KiB\": %.1f}\n",
               aes_rate(1200), aes_rate(16384));
        return 0;
    }
    fprintf(stderr, "usage: limits udp|aes\n");
    return 64;
}
