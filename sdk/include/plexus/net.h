/*
 * TCP helpers for plugins that serve connections (switches, routers): the
 * listening socket, accepting, and writing a buffer as far as the socket
 * takes it.  Static inline, so a plugin gains no link-time dependency;
 * every socket is non-blocking and close-on-exec, and accepted ones have
 * Nagle's algorithm off because control protocols send small messages that
 * must not wait.
 */
#ifndef PLEXUS_NET_H
#define PLEXUS_NET_H 1

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Listens on IPv4 'address':'port'.  Stores the socket (the caller's) in
 * '*fdp'; on failure returns the errno and writes the reason to 'why'. */
static inline int
px_net_listen(const char *address, int port, int backlog, int *fdp, char *why,
              size_t why_size)
{
    struct sockaddr_in sin;
    int one = 1, fd, error;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &sin.sin_addr) != 1) {
        snprintf(why, why_size, "'%s' is not an IPv4 address", address);
        return EINVAL;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        snprintf(why, why_size, "socket: %s", strerror(error));
        return error;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, backlog)) {
        error = errno;
        snprintf(why, why_size, "cannot listen on %s:%d: %s", address, port,
                 strerror(error));
        close(fd);
        return error;
    }
    *fdp = fd;
    return 0;
}

/* Accepts one connection from 'lfd': stores the socket (the caller's) in
 * '*fdp' and "address:port" in 'peer'.  EAGAIN when none is waiting. */
static inline int
px_net_accept(int lfd, int *fdp, char *peer, size_t peer_size)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    char addr[INET_ADDRSTRLEN];
    int one = 1;
    int fd = accept4(lfd, (struct sockaddr *)&sin, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return errno == EWOULDBLOCK ? EAGAIN : errno;
    }
    inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof addr);
    snprintf(peer, peer_size, "%s:%u", addr, ntohs(sin.sin_port));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fdp = fd;
    return 0;
}

/* Writes buf[0..*len) as far as the socket takes it, in as few calls as it
 * allows, and moves what is left to the front of 'buf'.  Returns 0 (the
 * rest waits for the socket to be writable) or the errno of a broken
 * connection. */
static inline int
px_net_send_some(int fd, unsigned char *buf, size_t *len)
{
    size_t done = 0;
    int error = 0;

    while (done < *len) {
        ssize_t n = send(fd, buf + done, *len - done, MSG_NOSIGNAL);

        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            error = n < 0 ? errno : EPIPE;
            break;
        }
    }
    memmove(buf, buf + done, *len - done);
    *len -= done;
    return error;
}

#endif /* PLEXUS_NET_H */
