/* Delay proxy for the test world's latency mode: UDP (DNS) and TCP, a one-way delay both ways.
 *
 *   latency-proxy --delay MS [--jitter MS] --map-file F [--pidfile P] [--max-conns N]
 *                 [--lifetime S]
 *
 * Built on demand by `scripts/world/world up --latency` (cc -O2 -Wall -Wextra -Werror); the
 * configurations it needs are written by latency_prepare.py. One process, one thread, epoll,
 * non-blocking sockets: a real network's delay costs the hosts no CPU, so the proxy must cost
 * as little as possible on the CPUs the scanner and the servers share.
 *
 * Each line of the map file is `udp|tcp LISTEN_ADDR:PORT BACKEND_ADDR:PORT` (IPv4, 127/8
 * only; `#` starts a comment): the proxy listens on the published address and forwards to the
 * server moved to the backend address (the world moves its servers from 127.0.X.Y to
 * 127.100.X.Y in latency mode; see scripts/world/README.md "Latency mode"). This kernel has no
 * netem qdisc, so the delay is made here, in user space.
 *
 * Delay of one packet or chunk, one way: DELAY + uniform(0, JITTER) ms (never less than
 * DELAY; --jitter defaults to DELAY/5), so a round trip through the proxy takes >= 2 x DELAY.
 * Due times go into a timing wheel of 0.5 ms slots; nothing is released before its due time.
 * - UDP (DNS only: the query ID is rewritten): each query waits its delay before it goes to
 *   the backend, each answer its own before it goes back. Packets may be reordered by the
 *   jitter, as on a real network. The ID map holds a query for 30 s (after that its answer
 *   is dropped, as a real path would lose a late answer's state); one connected backend
 *   socket per 60,000 queries outstanding (at most 16). Every UDP socket asks for 8 MB
 *   buffers (SO_RCVBUFFORCE when allowed): the proxy must not be the part of the path that
 *   drops a burst. recvmmsg/sendmmsg move up to 64 datagrams per system call.
 * - TCP: the connection is accepted at once (no user-space way to delay a SYN-ACK), the
 *   backend connection is opened one delay later, and the client's bytes are delivered no
 *   earlier than accept + 3 x DELAY: a request sent right after connect() reaches the server
 *   when it would after a real three-way handshake, and a server that speaks first (SMTP) is
 *   heard one round trip after connect. Order is kept in each direction (due times are made
 *   non-decreasing); an EOF is forwarded with the same delay, a reset too. A backend that
 *   refuses the connection makes the proxy reset the client's (SO_LINGER 0): a client sees a
 *   reset after connect, not a refused connect.
 * Bounded: at most --max-conns TCP connections at once (default 20,000; extra ones are closed
 * at once); at most 1 MiB buffered per direction of a connection (then that side is not read
 * until it drains: backpressure); at most 262,144 datagrams or 64 MiB queued for UDP (beyond,
 * a datagram is dropped, as an overloaded path would). Exits after --lifetime seconds (default
 * 1 day), like the other helpers, or on SIGTERM/SIGINT (exit status 0). Logs to stdout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg, accept4, epoll_pwait2 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define TICK_US 500   /* the wheel's resolution */
#define WHEEL_BITS 13 /* 8192 slots: 4.096 s ahead; later due times wait in the last slot */
#define WHEEL_N (1u << WHEEL_BITS)
#define UDP_HOLD_US 30000000LL   /* a query's ID map entry lives 30 s */
#define UDP_IDS_PER_SOCKET 60000 /* of the 65,535 IDs of one backend socket */
#define UDP_MAX_BACKENDS 16      /* 960,000 queries outstanding per listener */
#define UDP_MAX_QUEUED 262144    /* datagrams waiting in the wheel */
#define UDP_MAX_QUEUED_BYTES (64u << 20)
#define UDP_BUF (8 << 20) /* socket buffers asked for */
#define UDP_BATCH 64      /* recvmmsg / sendmmsg */
#define UDP_MAX_LEN 65536
#define TCP_CAP (1u << 20) /* bytes buffered per direction of one connection */
#define TCP_READ 65536     /* one read */
#define MAX_EVENTS 256

#define container_of(p, type, member) ((type *)(void *)((char *)(p)-offsetof(type, member)))

/* --- logging, time, randomness ------------------------------------------------------------ */

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    char ts[16];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%H:%M:%S", &tm);
    printf("%s latency_proxy: ", ts);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("latency_proxy: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Refreshed after every wait and after every read: an arrival's delay counts from a time taken
 * after the read returned it, never before (a send can yield the CPU for milliseconds when
 * the two cores are busy, and stamping later packets with an earlier time would let them out
 * early). */
static int64_t now_us;

static int64_t clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t delay_us, jitter_us;
static uint64_t rng_state;

/* One one-way delay: DELAY + uniform(0, JITTER), in microseconds. */
static int64_t delay_one(void)
{
    if (jitter_us <= 0)
        return delay_us;
    rng_state ^= rng_state >> 12; /* xorshift64* */
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    uint64_t r = (rng_state * 2685821657736338717ULL) >> 11; /* 53 bits */
    return delay_us + (int64_t)((double)r / (double)(1ULL << 53) * (double)jitter_us);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

/* --- timing wheel ------------------------------------------------------------------------- */

enum timer_kind { T_UDP_FWD, T_UDP_REPLY, T_CONN_CONNECT, T_DIR };

/* An intrusive timer: lives inside the object it fires for. */
struct timer {
    struct timer *prev, *next;
    int64_t due; /* microseconds, CLOCK_MONOTONIC */
    uint8_t kind;
    bool armed;
};

static struct timer wheel[WHEEL_N]; /* circular sentinel lists */
static uint64_t wheel_bits[WHEEL_N / 64];
static int64_t wheel_tick; /* the first tick not yet released */
static size_t wheel_count;

static void wheel_init(void)
{
    for (unsigned i = 0; i < WHEEL_N; i++)
        wheel[i].prev = wheel[i].next = &wheel[i];
    wheel_tick = clock_us() / TICK_US;
}

static void wheel_add(struct timer *t, int64_t due)
{
    int64_t k = due / TICK_US + 1; /* released at k * TICK_US > due: never early */
    if (k < wheel_tick)
        k = wheel_tick;
    if (k > wheel_tick + (int64_t)WHEEL_N - 1)
        k = wheel_tick + WHEEL_N - 1; /* beyond the horizon: looked at again when released */
    unsigned s = (unsigned)(k & (WHEEL_N - 1));
    struct timer *h = &wheel[s];
    t->due = due;
    t->next = h;
    t->prev = h->prev;
    h->prev->next = t;
    h->prev = t;
    t->armed = true;
    wheel_bits[s / 64] |= 1ULL << (s % 64);
    wheel_count++;
}

static void wheel_del(struct timer *t)
{
    if (!t->armed)
        return;
    struct timer *n = t->next;
    t->prev->next = n;
    n->prev = t->prev;
    t->armed = false;
    wheel_count--;
    /* the slot is empty when its sentinel points at itself (a list detached by wheel_run has a
     * sentinel outside the wheel and no bit) */
    if (n->next == n && n >= wheel && n < wheel + WHEEL_N) {
        unsigned s = (unsigned)(n - wheel);
        wheel_bits[s / 64] &= ~(1ULL << (s % 64));
    }
}

/* The tick of the next non-empty slot at or after wheel_tick; -1 when the wheel is empty. */
static int64_t wheel_next(void)
{
    if (wheel_count == 0)
        return -1;
    unsigned start = (unsigned)(wheel_tick & (WHEEL_N - 1));
    for (unsigned d = 0; d <= WHEEL_N;) {
        unsigned s = (start + d) & (WHEEL_N - 1);
        uint64_t w = wheel_bits[s / 64] >> (s % 64);
        if (w) {
            d += (unsigned)__builtin_ctzll(w);
            return wheel_tick + d;
        }
        d += 64 - s % 64;
    }
    return -1;
}

static void timer_fire(struct timer *t);
static void udp_batch_flush(void);

/* Releases every slot whose time has come; a callback may add timers (they land at or after
 * the current tick and are released by this loop or the next call). */
static void wheel_run(void)
{
    int64_t now_tick = now_us / TICK_US;
    while (wheel_tick <= now_tick) {
        int64_t k = wheel_next();
        if (k < 0 || k > now_tick) {
            wheel_tick = now_tick + 1;
            break;
        }
        unsigned s = (unsigned)(k & (WHEEL_N - 1));
        struct timer list = {0};
        struct timer *h = &wheel[s];
        /* detach the slot: its items fire; new ones go to later slots */
        list.next = h->next;
        list.prev = h->prev;
        list.next->prev = &list;
        list.prev->next = &list;
        h->next = h->prev = h;
        wheel_bits[s / 64] &= ~(1ULL << (s % 64));
        wheel_tick = k + 1;
        while (list.next != &list) {
            struct timer *t = list.next;
            list.next = t->next;
            t->next->prev = &list;
            t->armed = false;
            wheel_count--;
            if (t->due / TICK_US + 1 > now_tick)
                wheel_add(t, t->due); /* was parked beyond the horizon */
            else
                timer_fire(t);
        }
    }
    udp_batch_flush();
}

/* --- sockets ------------------------------------------------------------------------------ */

static int epfd;

enum handle_kind { H_UDP_FRONT, H_UDP_BACK, H_TCP_LISTEN, H_CONN_CLIENT, H_CONN_BACKEND, H_SIGNAL };

/* The object an epoll event points at: the first member of (or inside) its owner. */
struct handle {
    uint8_t kind;
};

static void ep_add(int fd, struct handle *h, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = h};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

static void big_buffers(int fd)
{
    int n = UDP_BUF;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof n) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof n);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &n, sizeof n) < 0)
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof n);
}

static void parse_addr(const char *s, struct sockaddr_in *a, const char *what)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        die("bad %s address '%s' (want A.B.C.D:PORT)", what, s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    if (*end || port <= 0 || port > 65535 || inet_pton(AF_INET, host, &a->sin_addr) != 1)
        die("bad %s address '%s' (want A.B.C.D:PORT)", what, s);
    if ((ntohl(a->sin_addr.s_addr) >> 24) != 127)
        die("refusing non-loopback address %s", host);
    a->sin_port = htons((uint16_t)port);
}

static const char *addr_str(const struct sockaddr_in *a)
{
    static char buf[32];
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(buf, sizeof buf, "%s:%u", ip, ntohs(a->sin_port));
    return buf;
}

/* --- statistics (logged at exit) ---------------------------------------------------------- */

static struct {
    uint64_t udp_in, udp_fwd, udp_ans, udp_drop_queue, udp_drop_ids, udp_drop_send, udp_late;
    uint64_t tcp_acc, tcp_over, tcp_refused, tcp_resets;
    uint64_t early;
} st;

/* --- UDP (DNS) ---------------------------------------------------------------------------- */

/* One query's entry in the ID map of its backend socket. */
struct idslot {
    struct sockaddr_in client;
    int64_t exp;
    uint32_t prev, next; /* the in-use list, oldest first (keys; NONE ends) */
    uint16_t orig;
    bool used;
};
#define NONE UINT32_MAX

struct udp_proxy;

struct udp_back {
    struct handle h;
    int fd;
    unsigned idx;
    struct udp_proxy *p;
    struct idslot *ids; /* 65,536 */
};

struct udp_proxy {
    struct handle h; /* the front socket */
    int fd;
    struct sockaddr_in listen, backend;
    struct udp_back *backs[UDP_MAX_BACKENDS];
    unsigned nbacks;
    uint32_t *free_ring; /* keys (backend index << 16 | id) ready to hand out */
    size_t free_cap, free_head, free_n;
    uint32_t used_head, used_tail;
};

/* A datagram waiting in the wheel: to the backend (T_UDP_FWD) or back to the client. */
struct pkt {
    struct timer t;
    struct udp_proxy *p;
    struct sockaddr_in client;
    uint32_t len;
    uint8_t data[];
};

static size_t udp_queued, udp_queued_bytes;

static struct idslot *slot_of(struct udp_proxy *p, uint32_t key)
{
    return &p->backs[key >> 16]->ids[key & 0xffff];
}

static bool udp_add_backend(struct udp_proxy *p)
{
    if (p->nbacks >= UDP_MAX_BACKENDS)
        return false;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        logf_("udp backend socket: %s", strerror(errno));
        return false;
    }
    big_buffers(fd);
    if (connect(fd, (struct sockaddr *)&p->backend, sizeof p->backend) < 0) {
        logf_("udp connect %s: %s", addr_str(&p->backend), strerror(errno));
        close(fd);
        return false;
    }
    struct udp_back *b = xmalloc(sizeof *b);
    b->h.kind = H_UDP_BACK;
    b->fd = fd;
    b->idx = p->nbacks;
    b->p = p;
    b->ids = calloc(65536, sizeof *b->ids);
    if (!b->ids)
        die("out of memory");
    p->backs[p->nbacks++] = b;
    ep_add(fd, &b->h, EPOLLIN);
    /* the free ring is empty when a socket is added: grow it, fill it with shuffled IDs */
    size_t cap = (size_t)p->nbacks * UDP_IDS_PER_SOCKET;
    uint32_t *ring = realloc(p->free_ring, cap * sizeof *ring);
    if (!ring)
        die("out of memory");
    p->free_ring = ring;
    p->free_cap = cap;
    p->free_head = 0;
    static uint16_t ids[65535];
    for (unsigned i = 0; i < 65535; i++)
        ids[i] = (uint16_t)(i + 1);
    for (unsigned i = 65534; i > 0; i--) { /* Fisher-Yates with an LCG: IDs need not be secret */
        rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned j = (unsigned)((rng_state >> 33) % (i + 1));
        uint16_t x = ids[i];
        ids[i] = ids[j];
        ids[j] = x;
    }
    for (unsigned i = 0; i < UDP_IDS_PER_SOCKET; i++)
        ring[p->free_n++] = (uint32_t)b->idx << 16 | ids[i];
    return true;
}

static void free_push(struct udp_proxy *p, uint32_t key)
{
    p->free_ring[(p->free_head + p->free_n) % p->free_cap] = key;
    p->free_n++;
}

static void used_unlink(struct udp_proxy *p, uint32_t key, struct idslot *e)
{
    if (e->prev != NONE)
        slot_of(p, e->prev)->next = e->next;
    else
        p->used_head = e->next;
    if (e->next != NONE)
        slot_of(p, e->next)->prev = e->prev;
    else
        p->used_tail = e->prev;
    e->used = false;
    free_push(p, key);
}

/* Entries older than 30 s: their answers will be dropped, their IDs reused. */
static void udp_expire(struct udp_proxy *p)
{
    while (p->used_head != NONE) {
        struct idslot *e = slot_of(p, p->used_head);
        if (e->exp > now_us)
            break;
        used_unlink(p, p->used_head, e);
        st.udp_late++;
    }
}

/* sendmmsg batch: datagrams of one socket, sent together at the end of a wheel run. */
static struct {
    int fd;
    unsigned n;
    struct mmsghdr msgs[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct pkt *pkts[UDP_BATCH];
} ob = {.fd = -1};

static void pkt_free(struct pkt *k)
{
    udp_queued--;
    udp_queued_bytes -= k->len;
    free(k);
}

static void udp_batch_flush(void)
{
    unsigned i = 0;
    while (i < ob.n) {
        int r = sendmmsg(ob.fd, ob.msgs + i, ob.n - i, MSG_DONTWAIT);
        if (r <= 0) { /* this datagram is lost (a full buffer, a backend gone): go on */
            st.udp_drop_send++;
            i++;
        } else {
            i += (unsigned)r;
        }
    }
    for (i = 0; i < ob.n; i++)
        pkt_free(ob.pkts[i]);
    ob.n = 0;
    ob.fd = -1;
}

/* Queues datagram k for fd (to: NULL on a connected socket); k is freed after the send. */
static void udp_send(int fd, struct pkt *k, struct sockaddr_in *to)
{
    if (ob.n == UDP_BATCH || (ob.n && ob.fd != fd))
        udp_batch_flush();
    unsigned i = ob.n++;
    ob.fd = fd;
    ob.iov[i].iov_base = k->data;
    ob.iov[i].iov_len = k->len;
    memset(&ob.msgs[i], 0, sizeof ob.msgs[i]);
    ob.msgs[i].msg_hdr.msg_iov = &ob.iov[i];
    ob.msgs[i].msg_hdr.msg_iovlen = 1;
    if (to) {
        ob.msgs[i].msg_hdr.msg_name = to;
        ob.msgs[i].msg_hdr.msg_namelen = sizeof *to;
    }
    ob.pkts[i] = k;
}

static void udp_forward(struct pkt *k)
{
    struct udp_proxy *p = k->p;
    udp_expire(p);
    if (p->free_n == 0 && !udp_add_backend(p)) {
        st.udp_drop_ids++; /* 960,000 queries outstanding: drop, as an overloaded path would */
        pkt_free(k);
        return;
    }
    uint32_t key = p->free_ring[p->free_head];
    p->free_head = (p->free_head + 1) % p->free_cap;
    p->free_n--;
    struct idslot *e = slot_of(p, key);
    e->client = k->client;
    e->orig = (uint16_t)(k->data[0] << 8 | k->data[1]);
    e->exp = now_us + UDP_HOLD_US;
    e->used = true;
    e->next = NONE;
    e->prev = p->used_tail;
    if (p->used_tail != NONE)
        slot_of(p, p->used_tail)->next = key;
    else
        p->used_head = key;
    p->used_tail = key;
    k->data[0] = (uint8_t)((key >> 8) & 0xff);
    k->data[1] = (uint8_t)(key & 0xff);
    st.udp_fwd++;
    udp_send(p->backs[key >> 16]->fd, k, NULL);
}

static struct {
    struct mmsghdr msgs[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct sockaddr_in from[UDP_BATCH];
    uint8_t buf[UDP_BATCH][UDP_MAX_LEN];
} ib;

/* Reads up to one batch from fd into ib; returns the count (0: nothing more now). */
static int udp_recv_batch(int fd)
{
    for (unsigned i = 0; i < UDP_BATCH; i++) {
        ib.iov[i].iov_base = ib.buf[i];
        ib.iov[i].iov_len = UDP_MAX_LEN;
        memset(&ib.msgs[i].msg_hdr, 0, sizeof ib.msgs[i].msg_hdr);
        ib.msgs[i].msg_hdr.msg_iov = &ib.iov[i];
        ib.msgs[i].msg_hdr.msg_iovlen = 1;
        ib.msgs[i].msg_hdr.msg_name = &ib.from[i];
        ib.msgs[i].msg_hdr.msg_namelen = sizeof ib.from[i];
    }
    int r = recvmmsg(fd, ib.msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (r > 0)
        now_us = clock_us(); /* after the read: the delay counts from a time >= arrival */
    return r < 0 ? 0 : r;
}

/* Puts a datagram in the wheel, one delay from now; false when the UDP queue is full. */
static bool udp_schedule(struct udp_proxy *p, enum timer_kind kind, const uint8_t *data,
                         uint32_t len, const struct sockaddr_in *client)
{
    if (udp_queued >= UDP_MAX_QUEUED || udp_queued_bytes + len > UDP_MAX_QUEUED_BYTES) {
        st.udp_drop_queue++;
        return false;
    }
    struct pkt *k = xmalloc(sizeof *k + len);
    k->t.kind = (uint8_t)kind;
    k->t.armed = false;
    k->p = p;
    k->client = *client;
    k->len = len;
    memcpy(k->data, data, len);
    udp_queued++;
    udp_queued_bytes += len;
    wheel_add(&k->t, now_us + delay_one());
    return true;
}

static void udp_front_readable(struct udp_proxy *p)
{
    for (int round = 0; round < 16; round++) { /* then let the other sockets have a turn */
        int n = udp_recv_batch(p->fd);
        for (int i = 0; i < n; i++) {
            uint32_t len = ib.msgs[i].msg_len;
            if (len < 12)
                continue;
            st.udp_in++;
            udp_schedule(p, T_UDP_FWD, ib.buf[i], len, &ib.from[i]);
        }
        if (n < UDP_BATCH)
            break;
    }
}

static void udp_back_readable(struct udp_back *b)
{
    struct udp_proxy *p = b->p;
    for (int round = 0; round < 16; round++) {
        int n = udp_recv_batch(b->fd);
        for (int i = 0; i < n; i++) {
            uint32_t len = ib.msgs[i].msg_len;
            if (len < 12)
                continue;
            uint32_t key = (uint32_t)b->idx << 16 | (uint32_t)(ib.buf[i][0] << 8 | ib.buf[i][1]);
            struct idslot *e = slot_of(p, key);
            if (!e->used)
                continue; /* expired, or not ours */
            struct sockaddr_in client = e->client;
            ib.buf[i][0] = (uint8_t)(e->orig >> 8);
            ib.buf[i][1] = (uint8_t)(e->orig & 0xff);
            used_unlink(p, key, e);
            st.udp_ans++;
            udp_schedule(p, T_UDP_REPLY, ib.buf[i], len, &client);
        }
        if (n < UDP_BATCH)
            break;
    }
}

static struct udp_proxy *udp_start(const struct sockaddr_in *la, const struct sockaddr_in *ba)
{
    struct udp_proxy *p = calloc(1, sizeof *p);
    if (!p)
        die("out of memory");
    p->h.kind = H_UDP_FRONT;
    p->listen = *la;
    p->backend = *ba;
    p->used_head = p->used_tail = NONE;
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        die("socket: %s", strerror(errno));
    big_buffers(p->fd);
    if (bind(p->fd, (const struct sockaddr *)la, sizeof *la) < 0)
        die("bind udp %s: %s", addr_str(la), strerror(errno));
    ep_add(p->fd, &p->h, EPOLLIN);
    if (!udp_add_backend(p))
        die("cannot open a backend socket for %s", addr_str(ba));
    return p;
}

/* --- TCP ---------------------------------------------------------------------------------- */

enum chunk_kind { C_DATA, C_EOF, C_RST };

/* Bytes (or an EOF, or a reset) on their way in one direction. */
struct chunk {
    struct chunk *next;
    int64_t due;
    uint32_t len, off;
    uint8_t kind;
    uint8_t data[];
};

struct conn;

/* One direction of one connection: a FIFO with non-decreasing due times. */
struct dir {
    struct timer t; /* armed at the head's due time */
    struct conn *c;
    struct chunk *head, *tail;
    size_t queued; /* data bytes in the queue (TCP_CAP bounds it) */
    int64_t last;  /* the last due time handed out */
    bool src_done; /* EOF or error read from the source: read no more */
    bool can_read; /* the source may have bytes (edge-triggered: until EAGAIN) */
    bool blocked;  /* the destination's buffer is full: wait for EPOLLOUT */
    bool done;     /* EOF delivered to the destination */
    bool up;       /* client -> backend */
};

enum conn_state { S_WAIT, S_CONNECTING, S_OPEN };

struct tcp_proxy {
    struct handle h;
    int fd;
    struct sockaddr_in listen, backend;
};

struct conn {
    struct handle hc, hb; /* epoll handles of the client's and the backend's socket */
    struct timer tconn;   /* the backend connect, one delay after accept */
    struct tcp_proxy *p;
    int cfd, bfd;
    uint8_t state;
    int64_t t0; /* accept time */
    struct dir up, down;
    bool dead;               /* ended: freed after this round of events (they may point here) */
    struct conn *grave_next; /* the list of ended connections */
};

static struct conn *graveyard;

static unsigned max_conns = 20000, nconns;

static int dir_src(struct dir *d)
{
    return d->up ? d->c->cfd : d->c->bfd;
}
static int dir_dst(struct dir *d)
{
    return d->up ? d->c->bfd : d->c->cfd;
}
static struct dir *dir_other(struct dir *d)
{
    return d->up ? &d->c->down : &d->c->up;
}

static void reset_fd(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void dir_clear(struct dir *d)
{
    wheel_del(&d->t);
    while (d->head) {
        struct chunk *x = d->head;
        d->head = x->next;
        free(x);
    }
    d->tail = NULL;
    d->queued = 0;
}

/* Ends a connection; reset_client/reset_backend: close that side with a reset. */
static void conn_end(struct conn *c, bool reset_client, bool reset_backend)
{
    wheel_del(&c->tconn);
    dir_clear(&c->up);
    dir_clear(&c->down);
    if (reset_client)
        reset_fd(c->cfd);
    else
        close(c->cfd);
    if (c->bfd >= 0) {
        if (reset_backend)
            reset_fd(c->bfd);
        else
            close(c->bfd);
    }
    nconns--;
    c->dead = true;
    c->grave_next = graveyard;
    graveyard = c;
}

static void graveyard_free(void)
{
    while (graveyard) {
        struct conn *c = graveyard;
        graveyard = c->grave_next;
        free(c);
    }
}

static void dir_push(struct dir *d, uint8_t kind, const uint8_t *data, uint32_t len)
{
    struct chunk *x = xmalloc(sizeof *x + len);
    x->next = NULL;
    x->kind = kind;
    x->len = len;
    x->off = 0;
    if (len)
        memcpy(x->data, data, len);
    int64_t due = now_us + delay_one();
    if (due <= d->last)
        due = d->last + 1; /* order kept */
    d->last = due;
    x->due = due;
    if (d->tail)
        d->tail->next = x;
    else
        d->head = x;
    d->tail = x;
    d->queued += len;
    if (!d->t.armed && !d->blocked)
        wheel_add(&d->t, d->head->due);
}

static bool dir_flush(struct dir *d);

/* Reads the source while it has bytes and the queue is below its cap. Returns false when the
 * connection was ended. */
static bool dir_pump(struct dir *d)
{
    static uint8_t buf[TCP_READ];
    struct conn *c = d->c;
    if (c->state != S_OPEN)
        return true;
    while (d->can_read && !d->src_done && d->queued < TCP_CAP) {
        ssize_t n = recv(dir_src(d), buf, sizeof buf, MSG_DONTWAIT);
        now_us = clock_us(); /* after the read (sends before it may have yielded the CPU) */
        if (n > 0) {
            dir_push(d, C_DATA, buf, (uint32_t)n);
        } else if (n == 0) {
            d->src_done = true;
            dir_push(d, C_EOF, NULL, 0);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            d->can_read = false;
        } else if (errno != EINTR) {
            d->src_done = true; /* a reset: it travels on, after the bytes before it */
            dir_push(d, C_RST, NULL, 0);
        }
    }
    return true;
}

/* A write to the destination failed (it is gone): drop what was for it; a reset travels back
 * to the source. */
static void dir_broken(struct dir *d)
{
    dir_clear(d);
    d->done = true;
    d->src_done = true;
    struct dir *o = dir_other(d);
    o->src_done = true; /* the broken socket is the other direction's source */
    dir_push(o, C_RST, NULL, 0);
}

/* Delivers every chunk that is due; returns false when the connection was ended. */
static bool dir_flush(struct dir *d)
{
    struct conn *c = d->c;
    if (d->blocked || c->state != S_OPEN)
        return true;
    while (d->head && d->head->due <= now_us) {
        struct chunk *x = d->head;
        if (x->kind == C_DATA) {
            ssize_t n =
                send(dir_dst(d), x->data + x->off, x->len - x->off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    d->blocked = true;
                    break;
                }
                if (errno == EINTR)
                    continue;
                dir_broken(d);
                return dir_flush(dir_other(d));
            }
            x->off += (uint32_t)n;
            d->queued -= (size_t)n;
            if (x->off < x->len)
                continue;
        } else if (x->kind == C_EOF) {
            (void)shutdown(dir_dst(d), SHUT_WR);
            d->done = true;
        } else { /* C_RST */
            st.tcp_resets++;
            conn_end(c, !d->up, d->up);
            return false;
        }
        d->head = x->next;
        if (!d->head)
            d->tail = NULL;
        free(x);
    }
    if (d->head && !d->blocked && !d->t.armed)
        wheel_add(&d->t, d->head->due);
    if (d->done && dir_other(d)->done && !d->head && !dir_other(d)->head) {
        conn_end(c, false, false); /* both EOFs delivered */
        return false;
    }
    return dir_pump(d); /* drained below the cap: read again */
}

static void conn_open(struct conn *c)
{
    c->state = S_OPEN;
    c->down.last = now_us;
    c->up.last = c->t0 + 3 * delay_us; /* nothing reaches the server before a handshake would */
    if (dir_pump(&c->up))
        dir_pump(&c->down);
}

static void conn_refused(struct conn *c)
{
    st.tcp_refused++;
    conn_end(c, true, false);
}

static void conn_connect(struct conn *c)
{
    c->bfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->bfd < 0) {
        logf_("tcp socket: %s", strerror(errno));
        conn_refused(c);
        return;
    }
    int one = 1;
    (void)setsockopt(c->bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->bfd, (struct sockaddr *)&c->p->backend, sizeof c->p->backend) < 0 &&
        errno != EINPROGRESS) {
        conn_refused(c);
        return;
    }
    c->state = S_CONNECTING;
    ep_add(c->bfd, &c->hb, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
}

static void tcp_accept(struct tcp_proxy *p)
{
    for (int i = 0; i < 256; i++) {
        int fd = accept4(p->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                logf_("accept %s: %s", addr_str(&p->listen), strerror(errno));
            return;
        }
        if (nconns >= max_conns) {
            st.tcp_over++;
            close(fd);
            continue;
        }
        st.tcp_acc++;
        now_us = clock_us();
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c)
            die("out of memory");
        nconns++;
        c->hc.kind = H_CONN_CLIENT;
        c->hb.kind = H_CONN_BACKEND;
        c->p = p;
        c->cfd = fd;
        c->bfd = -1;
        c->t0 = now_us;
        c->state = S_WAIT;
        c->up = (struct dir){.c = c, .up = true, .can_read = true};
        c->down = (struct dir){.c = c, .up = false, .can_read = true};
        c->up.t.kind = c->down.t.kind = T_DIR;
        c->tconn.kind = T_CONN_CONNECT;
        ep_add(fd, &c->hc, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
        wheel_add(&c->tconn, now_us + delay_one()); /* the SYN on its way */
    }
}

static void conn_event(struct conn *c, bool backend, uint32_t ev)
{
    if (c->dead)
        return;
    if (backend && c->state == S_CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            conn_refused(c);
            return;
        }
        conn_open(c);
        return;
    }
    struct dir *in = backend ? &c->down : &c->up;  /* read from this socket */
    struct dir *out = backend ? &c->up : &c->down; /* written to this socket */
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
        in->can_read = true;
    if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
        out->blocked = false;
        if (!dir_flush(out))
            return;
    }
    dir_pump(in);
}

static struct tcp_proxy *tcp_start(const struct sockaddr_in *la, const struct sockaddr_in *ba)
{
    struct tcp_proxy *p = calloc(1, sizeof *p);
    if (!p)
        die("out of memory");
    p->h.kind = H_TCP_LISTEN;
    p->listen = *la;
    p->backend = *ba;
    p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    (void)setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(p->fd, (const struct sockaddr *)la, sizeof *la) < 0)
        die("bind tcp %s: %s", addr_str(la), strerror(errno));
    if (listen(p->fd, 4096) < 0)
        die("listen %s: %s", addr_str(la), strerror(errno));
    ep_add(p->fd, &p->h, EPOLLIN);
    return p;
}

/* --- the loop ----------------------------------------------------------------------------- */

static void timer_fire(struct timer *t)
{
    if (now_us < t->due)
        st.early++; /* the wheel's own check: must stay 0 */
    switch (t->kind) {
    case T_UDP_FWD:
        udp_forward(container_of(t, struct pkt, t));
        break;
    case T_UDP_REPLY: {
        struct pkt *k = container_of(t, struct pkt, t);
        udp_send(k->p->fd, k, &k->client);
        break;
    }
    case T_CONN_CONNECT:
        conn_connect(container_of(t, struct conn, tconn));
        break;
    case T_DIR:
        dir_flush(container_of(t, struct dir, t));
        break;
    }
}

static void write_pidfile(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
        die("cannot write %s: %s", path, strerror(errno));
}

static double num_arg(const char *opt, const char *v)
{
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !(x >= 0) || x > 1e9)
        die("%s takes a non-negative number, not '%s'", opt, v);
    return x;
}

static void usage(void)
{
    fputs(
        "usage: latency-proxy --delay MS [--jitter MS] --map-file F [--pidfile P] [--max-conns N] "
        "[--lifetime S]\n(the configurations are written by latency_prepare.py)\n",
        stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    double delay_ms = -1, jitter_ms = -1, lifetime_s = 86400;
    const char *map_file = NULL, *pidfile = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(o, "--delay"))
            delay_ms = num_arg(o, v);
        else if (!strcmp(o, "--jitter"))
            jitter_ms = num_arg(o, v);
        else if (!strcmp(o, "--map-file"))
            map_file = v;
        else if (!strcmp(o, "--pidfile"))
            pidfile = v;
        else if (!strcmp(o, "--max-conns"))
            max_conns = (unsigned)num_arg(o, v);
        else if (!strcmp(o, "--lifetime"))
            lifetime_s = num_arg(o, v);
        else
            usage();
    }
    if (delay_ms < 0 || !map_file)
        usage();
    if (jitter_ms < 0)
        jitter_ms = delay_ms / 5;
    delay_us = (int64_t)(delay_ms * 1000);
    jitter_us = (int64_t)(jitter_ms * 1000);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    rng_state = (uint64_t)clock_us() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    if (!rng_state)
        rng_state = 1;

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0)
        die("epoll_create1: %s", strerror(errno));
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGTERM);
    sigaddset(&ss, SIGINT);
    sigprocmask(SIG_BLOCK, &ss, NULL);
    int sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0)
        die("signalfd: %s", strerror(errno));
    static struct handle sig_h = {.kind = H_SIGNAL};
    ep_add(sfd, &sig_h, EPOLLIN);

    now_us = clock_us();
    wheel_init();
    FILE *mf = fopen(map_file, "r");
    if (!mf)
        die("cannot read %s: %s", map_file, strerror(errno));
    char line[512];
    unsigned listeners = 0, lineno = 0;
    while (fgets(line, sizeof line, mf)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char proto[8], la[64], ba[64], extra[2];
        int n = sscanf(line, "%7s %63s %63s %1s", proto, la, ba, extra);
        if (n <= 0)
            continue;
        if (n != 3)
            die("%s:%u: want 'udp|tcp LISTEN:PORT BACKEND:PORT'", map_file, lineno);
        struct sockaddr_in l, b;
        parse_addr(la, &l, "listen");
        parse_addr(ba, &b, "backend");
        if (!strcmp(proto, "udp"))
            udp_start(&l, &b);
        else if (!strcmp(proto, "tcp"))
            tcp_start(&l, &b);
        else
            die("%s:%u: bad protocol '%s'", map_file, lineno, proto);
        listeners++;
    }
    fclose(mf);
    if (pidfile)
        write_pidfile(pidfile);
    logf_("%u listeners, delay %g ms + jitter %g ms each way", listeners, delay_ms, jitter_ms);

    int64_t end = clock_us() + (int64_t)(lifetime_s * 1e6);
    struct epoll_event evs[MAX_EVENTS];
    bool stop = false, busy = false;
    while (!stop) {
        now_us = clock_us();
        if (now_us >= end) {
            logf_("lifetime over");
            break;
        }
        int n;
        if (busy) {
            /* Busy (the last round had events): wake once per tick, whatever arrives, and
             * take everything at once. Waking per datagram costs more CPU (a context switch
             * each) than the work itself; an arrival is then timestamped when it is read, at
             * most one tick late, never early. */
            int64_t tick_end = (now_us / TICK_US + 1) * TICK_US;
            struct timespec ts = {.tv_sec = tick_end / 1000000,
                                  .tv_nsec = (tick_end % 1000000) * 1000};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                ;
            n = epoll_wait(epfd, evs, MAX_EVENTS, 0);
        } else {
            /* quiet: sleep until the next due slot, an arrival (its time is then exact) or the
             * end of the lifetime */
            int64_t next = wheel_next(), wait_us = end - now_us;
            if (next >= 0 && next * TICK_US - now_us < wait_us)
                wait_us = next * TICK_US - now_us;
            if (wait_us < 0)
                wait_us = 0;
            struct timespec ts = {.tv_sec = wait_us / 1000000,
                                  .tv_nsec = (wait_us % 1000000) * 1000};
            n = epoll_pwait2(epfd, evs, MAX_EVENTS, &ts, NULL);
        }
        if (n < 0 && errno != EINTR)
            die("epoll: %s", strerror(errno));
        busy = n > 0;
        now_us = clock_us();
        /* due items first: they were waiting; then what arrived */
        wheel_run();
        for (int i = 0; i < n; i++) {
            struct handle *h = evs[i].data.ptr;
            uint32_t ev = evs[i].events;
            switch (h->kind) {
            case H_UDP_FRONT:
                udp_front_readable((struct udp_proxy *)(void *)h);
                break;
            case H_UDP_BACK:
                udp_back_readable((struct udp_back *)(void *)h);
                break;
            case H_TCP_LISTEN:
                tcp_accept((struct tcp_proxy *)(void *)h);
                break;
            case H_CONN_CLIENT:
                conn_event(container_of(h, struct conn, hc), false, ev);
                break;
            case H_CONN_BACKEND:
                conn_event(container_of(h, struct conn, hb), true, ev);
                break;
            case H_SIGNAL:
                stop = true;
                break;
            }
        }
        udp_batch_flush();
        graveyard_free();
    }
    logf_("exiting: udp %llu queries in, %llu forwarded, %llu answers back, dropped %llu (queue "
          "full) %llu (no free ID) %llu (send failed), %llu expired unanswered; tcp %llu "
          "accepted, %llu over --max-conns, %llu backend refused, %llu resets forwarded, %u open; "
          "%llu released early",
          (unsigned long long)st.udp_in, (unsigned long long)st.udp_fwd,
          (unsigned long long)st.udp_ans, (unsigned long long)st.udp_drop_queue,
          (unsigned long long)st.udp_drop_ids, (unsigned long long)st.udp_drop_send,
          (unsigned long long)st.udp_late, (unsigned long long)st.tcp_acc,
          (unsigned long long)st.tcp_over, (unsigned long long)st.tcp_refused,
          (unsigned long long)st.tcp_resets, nconns, (unsigned long long)st.early);
    return 0;
}
