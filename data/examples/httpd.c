/* httpd.c — a small HTTP/1.1 server on libweft's netpoller.
 *
 * The shape of a Go net/http server: one goroutine accepts, one goroutine
 * per connection reads requests and writes responses in order, with
 * keep-alive and pipelining. Every socket call parks only its goroutine,
 * so a trace shows network waits (accept, read, write), many short-lived
 * goroutines, and, for /work, a fan-out over channels, a WaitGroup and a
 * contended mutex.
 *
 * Routes (GET or HEAD):
 *   /             a greeting
 *   /work         splits a computation into jobs sent over a channel to a
 *                 few worker goroutines, gathers their results from another
 *                 channel, waits for the workers on a WaitGroup; a counter
 *                 shared by all connections is taken under a mutex
 *   /sleep?ms=N   parks the connection's goroutine for N ms (0..60000)
 *   anything else 404
 *
 * It is meant to run for long without leaking: every connection's
 * goroutine ends and closes its socket whether the client closes, resets,
 * goes silent (read timeouts) or sends something unparsable; at most one
 * request head (8 KiB) is buffered per connection; a request body is read
 * and discarded so that pipelined requests stay in step.
 *
 * Stopping (--duration, SIGINT or SIGTERM): the listener is closed, idle
 * keep-alive connections are closed at once, connections in the middle of
 * a request get DRAIN_NS to finish it (their response says
 * "Connection: close"), stragglers are then cut off and the program exits
 * 0. A second SIGINT or SIGTERM kills it at once.
 *
 * It listens on 127.0.0.1 only: an example has no business on the network.
 *
 * Usage: httpd [PORT] [--duration SECONDS]
 *   PORT defaults to $WEFT_HTTPD_PORT, else 8080; 0 picks a free port.
 *   Prints "listening on PORT" once it accepts connections.
 */
#define _GNU_SOURCE /* memmem, strncasecmp */
#include <weft/weft.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define NS_PER_MS ((int64_t) 1000000)
#define NS_PER_S ((int64_t) 1000000000)

/* How long a peer may take: to send the rest of a request or accept our
 * response (IO), to start the next request on a kept-alive connection
 * (IDLE), to finish its request when the server stops (DRAIN), to close
 * its end after our last response (LINGER). */
#define IO_TIMEOUT_NS (10 * NS_PER_S)
#define IDLE_TIMEOUT_NS (30 * NS_PER_S)
#define DRAIN_NS (2 * NS_PER_S)
#define FORCE_NS (500 * NS_PER_MS)
#define LINGER_NS (1 * NS_PER_S)
#define ACCEPT_BACKOFF_NS (10 * NS_PER_MS)

enum
{
  HEAD_MAX = 8192,        /* a request line and headers; also the read buffer */
  BODY_MAX = 1024 * 1024, /* request bodies are discarded, but not unbounded ones */
  LINGER_MAX = 64 * 1024, /* bytes read and dropped before closing */
  SLEEP_MAX_MS = 60000,
  WORK_WORKERS = 4,
  WORK_JOBS = 8,
  WORK_SPAN = 128, /* numbers per job */
};

typedef struct _Conn Conn;
struct _Conn
{
  int  fd;
  long id;
  /* True while the goroutine waits for the first byte of a request: the
   * only state in which closing the connection at shutdown loses nothing. */
  _Atomic bool idle;
  Conn        *prev, *next; /* in server.conns, under server.lock */
  size_t       len;         /* bytes in buf */
  /* HEAD_MAX bytes of its own noscan object: bytes hold no pointers, and
   * the collector never needs to watch what read(2) writes there. */
  char *buf;
};

static struct
{
  _Atomic int  listen_fd;
  _Atomic bool stopping;

  WeftMutex     lock;  /* protects conns */
  Conn         *conns; /* every connection whose goroutine still runs */
  WeftWaitGroup active;

  /* /work's shared counter: every /work request takes it, from every
   * connection, so that the trace shows a contended mutex. */
  WeftMutex work_lock;
  uint64_t  work_count;

  _Atomic long accepted;
  _Atomic long requests;
} server = { .listen_fd = -1 };

static volatile sig_atomic_t signalled;

/* ---------------------------------------------------------------- stopping */

/* Wakes the goroutine parked in accept: on Linux, shutdown(2) of a
 * listening socket makes it fail (EINVAL) and signals the poller. Unlike
 * close(2) it leaves the fd to its owner, so no other socket can take its
 * number while the acceptor still uses it, and it is async-signal-safe. */
static void
request_stop (void)
{
  int fd;

  atomic_store (&server.stopping, true);
  fd = atomic_load (&server.listen_fd);
  if (fd >= 0)
    shutdown (fd, SHUT_RD);
}

static void
on_signal (int sig)
{
  if (signalled)
    {
      signal (sig, SIG_DFL);
      raise (sig);
      return;
    }
  signalled = 1;
  request_stop ();
}

static void
on_duration (void *data)
{
  request_stop ();
}

/* shutdown(2) on connections (all, or idle ones only): their goroutines
 * wake up from read or write, see EOF or EPIPE, and close their sockets
 * themselves. The registry lock keeps each fd open while we use it. */
static void
shutdown_conns (bool idle_only, int how)
{
  weft_mutex_lock (&server.lock);
  for (Conn *c = server.conns; c != NULL; c = c->next)
    if (!idle_only || atomic_load (&c->idle))
      shutdown (c->fd, how);
  weft_mutex_unlock (&server.lock);
}

static long
count_conns (void)
{
  long n = 0;

  weft_mutex_lock (&server.lock);
  for (Conn *c = server.conns; c != NULL; c = c->next)
    n++;
  weft_mutex_unlock (&server.lock);
  return n;
}

static void
wait_active (void *data)
{
  WeftChan *drained = data;

  weft_waitgroup_wait (&server.active);
  weft_chan_close (drained);
}

/* Whether every connection goroutine ended within @ns. A WaitGroup has no
 * timeout, so a helper goroutine waits on it and closes @drained. */
static bool
wait_drained (WeftChan *drained, int64_t ns)
{
  WeftTimer     *timer = weft_timer_new (ns);
  WeftSelectCase cases[] = {
    { .chan = drained, .dir = WEFT_SELECT_RECV },
    { .chan = weft_timer_chan (timer), .dir = WEFT_SELECT_RECV },
  };
  int chosen = weft_select (cases, 2, true);

  weft_timer_free (timer);
  return chosen == 0;
}

/* ---------------------------------------------------------------- /work */

typedef struct
{
  WeftChan      *jobs;    /* of uint64_t, the first number of a span */
  WeftChan      *results; /* of uint64_t, a span's total */
  WeftWaitGroup *workers;
} Work;

static uint64_t
collatz_steps (uint64_t n)
{
  uint64_t steps = 0;

  while (n > 1)
    {
      n = (n & 1) ? 3 * n + 1 : n / 2;
      steps++;
    }
  return steps;
}

static void
work_worker (void *data)
{
  Work    *w = data;
  uint64_t first;

  while (weft_chan_recv (w->jobs, &first))
    {
      uint64_t total = 0;

      for (uint64_t n = first; n < first + WORK_SPAN; n++)
        total += collatz_steps (n);
      weft_chan_send (w->results, &total);
    }
  weft_waitgroup_done (w->workers);
}

static int
handle_work (char *body, size_t size)
{
  WeftWaitGroup workers = { 0 };
  Work          w = {
             .jobs = weft_chan_new (sizeof (uint64_t), 0),
             /* Room for every result: workers never wait for the handler,
              * which sends all jobs before it collects anything. */
             .results = weft_chan_new (sizeof (uint64_t), WORK_JOBS),
             .workers = &workers,
  };
  uint64_t seq, base, total = 0;

  weft_mutex_lock (&server.work_lock);
  seq = ++server.work_count;
  weft_mutex_unlock (&server.work_lock);

  weft_waitgroup_add (&workers, WORK_WORKERS);
  for (int i = 0; i < WORK_WORKERS; i++)
    weft_go_named ("work-worker", work_worker, &w);

  /* Each request works on other numbers, within a bounded range so that
   * every request costs about the same. */
  base = 1 + (seq % 1024) * WORK_JOBS * WORK_SPAN;
  for (int i = 0; i < WORK_JOBS; i++)
    {
      uint64_t first = base + (uint64_t) i * WORK_SPAN;
      weft_chan_send (w.jobs, &first);
    }
  weft_chan_close (w.jobs);
  for (int i = 0; i < WORK_JOBS; i++)
    {
      uint64_t part;
      weft_chan_recv (w.results, &part);
      total += part;
    }

  /* The workers may still be between their last receive and exiting:
   * the channels are theirs until the WaitGroup says they are gone. */
  weft_waitgroup_wait (&workers);
  weft_chan_free (w.jobs);
  weft_chan_free (w.results);

  return snprintf (body, size, "work #%" PRIu64 ": %d jobs on %d goroutines, %" PRIu64 " Collatz steps from %" PRIu64 "\n",
                   seq, WORK_JOBS, WORK_WORKERS, total, base);
}

/* ---------------------------------------------------------------- HTTP */

typedef struct
{
  const char *method;
  size_t      method_len;
  const char *path; /* without the query */
  size_t      path_len;
  const char *query; /* after '?', or NULL */
  size_t      query_len;
  int         minor;      /* HTTP/1.minor */
  bool        keep_alive; /* what the client wants */
  bool        has_host;
  bool        has_length;
  size_t      content_length;
} Request;

static bool
is_tchar (char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
         || (ch != '\0' && strchr ("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool
token_eq (const char *s, size_t len, const char *word)
{
  return strlen (word) == len && strncasecmp (s, word, len) == 0;
}

static void
trim_ows (const char **s, size_t *len)
{
  while (*len > 0 && (**s == ' ' || **s == '\t'))
    (*s)++, (*len)--;
  while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
    (*len)--;
}

/* Parses a decimal Content-Length; false if it is not one. */
static bool
parse_length (const char *s, size_t len, size_t *out)
{
  size_t v = 0;

  if (len == 0 || len > 18)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (size_t) (s[i] - '0');
    }
  *out = v;
  return true;
}

/* The Connection header is a comma-separated list of tokens. */
static void
parse_connection (Request *req, const char *v, size_t len)
{
  while (len > 0)
    {
      const char *comma = memchr (v, ',', len);
      size_t      n = comma ? (size_t) (comma - v) : len;
      const char *tok = v;
      size_t      tok_len = n;

      trim_ows (&tok, &tok_len);
      if (token_eq (tok, tok_len, "close"))
        req->keep_alive = false;
      else if (token_eq (tok, tok_len, "keep-alive") && req->minor == 0)
        req->keep_alive = true;
      v += comma ? n + 1 : n;
      len -= comma ? n + 1 : n;
    }
}

/* Parses the head @head (@len bytes, ending with the empty line) into
 * @req, which points into @head. Returns 0 or the status to answer with:
 * the request cannot be served, and its framing cannot be trusted. */
static int
parse_request (const char *head, size_t len, Request *req)
{
  const char *p = head, *end = head + len, *eol, *sp;

  memset (req, 0, sizeof *req);
  if (head == NULL)
    return 400;

  /* request-line = method SP request-target SP HTTP-version CRLF */
  eol = memmem (p, (size_t) (end - p), "\r\n", 2);
  if (eol == NULL)
    return 400;
  sp = memchr (p, ' ', (size_t) (eol - p));
  if (sp == NULL || sp == p)
    return 400;
  req->method = p;
  req->method_len = (size_t) (sp - p);
  for (size_t i = 0; i < req->method_len; i++)
    if (!is_tchar (p[i]))
      return 400;
  p = sp + 1;
  sp = memchr (p, ' ', (size_t) (eol - p));
  if (sp == NULL || sp == p)
    return 400;
  /* absolute-form (http://host/path) must be accepted too (RFC 9112 3.2.2) */
  if ((size_t) (sp - p) > 7 && strncasecmp (p, "http://", 7) == 0)
    {
      const char *slash = memchr (p + 7, '/', (size_t) (sp - p - 7));
      p = slash ? slash : sp;
    }
  req->path = p;
  req->path_len = (size_t) (sp - p);
  if (req->path_len == 0)
    {
      /* "http://host" alone means its root */
      req->path = "/";
      req->path_len = 1;
    }
  for (const char *q = p; q < sp; q++)
    if ((unsigned char) *q <= ' ' || *q == 0x7f)
      return 400;
  const char *qm = memchr (req->path, '?', req->path_len);
  if (qm != NULL)
    {
      req->query = qm + 1;
      req->query_len = req->path_len - (size_t) (qm + 1 - req->path);
      req->path_len = (size_t) (qm - req->path);
    }
  p = sp + 1;
  if (eol - p != 8 || memcmp (p, "HTTP/1.", 7) != 0)
    return (eol - p == 8 && memcmp (p, "HTTP/", 5) == 0) ? 505 : 400;
  if (p[7] != '0' && p[7] != '1')
    return 505;
  req->minor = p[7] - '0';
  req->keep_alive = req->minor == 1;

  /* header-field = field-name ":" OWS field-value OWS, up to an empty line */
  for (p = eol + 2; p < end; p = eol + 2)
    {
      const char *colon, *value;
      size_t      value_len;

      eol = memmem (p, (size_t) (end - p), "\r\n", 2);
      if (eol == p)
        break;
      colon = memchr (p, ':', (size_t) (eol - p));
      if (colon == NULL || colon == p)
        return 400; /* also obsolete line folding, which starts with a space */
      for (const char *q = p; q < colon; q++)
        if (!is_tchar (*q))
          return 400;
      value = colon + 1;
      value_len = (size_t) (eol - value);
      trim_ows (&value, &value_len);

      if (token_eq (p, (size_t) (colon - p), "Content-Length"))
        {
          size_t n;
          if (!parse_length (value, value_len, &n) || (req->has_length && n != req->content_length))
            return 400;
          req->has_length = true;
          req->content_length = n;
        }
      else if (token_eq (p, (size_t) (colon - p), "Transfer-Encoding"))
        return 501; /* no chunked decoding: the body's end is unknown */
      else if (token_eq (p, (size_t) (colon - p), "Connection"))
        parse_connection (req, value, value_len);
      else if (token_eq (p, (size_t) (colon - p), "Host"))
        req->has_host = true;
    }

  if (req->minor == 1 && !req->has_host)
    return 400; /* RFC 9112 3.2: a server MUST */
  if (req->content_length > BODY_MAX)
    return 413;
  return 0;
}

static const char *
reason_phrase (int status)
{
  switch (status)
    {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
    }
}

/* Writes a whole response in one call (a head and body written apart
 * would cost a second segment). Each response is built in a fresh
 * buffer on the collected heap, dropped once written, as a Go server's
 * are: a trace of a busy httpd shows the garbage collector at work. */
static bool
send_response (Conn *c, int status, bool head_only, bool close, const char *extra, const char *body, size_t body_len)
{
  char     *out = weft_alloc_noscan (HEAD_MAX);
  char      date[64];
  struct tm tm;
  time_t    now = time (NULL);
  int       n;

  /* An origin server with a clock must send Date (RFC 9110 6.6.1). */
  gmtime_r (&now, &tm);
  strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  n = snprintf (out, HEAD_MAX,
                "HTTP/1.1 %d %s\r\n"
                "Date: %s\r\n"
                "Server: weft-httpd\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Length: %zu\r\n"
                "%s%s"
                "\r\n",
                status, reason_phrase (status), date, body_len, close ? "Connection: close\r\n" : "",
                extra ? extra : "");
  if (n < 0 || n >= HEAD_MAX)
    return false;
  if (!head_only)
    {
      if (body_len > HEAD_MAX - (size_t) n)
        return false;
      memcpy (out + n, body, body_len);
      n += (int) body_len;
    }
  return weft_net_write_all (c->fd, out, (size_t) n, IO_TIMEOUT_NS) == n;
}

/* The value of parameter @name in @query, or NULL. */
static const char *
query_param (const char *query, size_t len, const char *name, size_t *value_len)
{
  size_t name_len = strlen (name);

  while (query != NULL && len > 0)
    {
      const char *amp = memchr (query, '&', len);
      size_t      n = amp ? (size_t) (amp - query) : len;

      if (n > name_len && memcmp (query, name, name_len) == 0 && query[name_len] == '=')
        {
          *value_len = n - name_len - 1;
          return query + name_len + 1;
        }
      query += amp ? n + 1 : n;
      len -= amp ? n + 1 : n;
    }
  return NULL;
}

/* Paths, unlike methods and header names, are case-sensitive. */
static bool
path_is (const Request *req, const char *path)
{
  return strlen (path) == req->path_len && memcmp (req->path, path, req->path_len) == 0;
}

static const char *
route_name (const Request *req)
{
  static const char *const routes[] = { "/", "/work", "/sleep" };

  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
    if (path_is (req, routes[i]))
      return routes[i];
  return "(other)";
}

/* Routes @req; fills @body and returns its status. Does not depend on
 * the connection: what blocks here is the route's own work. */
static int
route (const Request *req, char *body, size_t size, int *body_len, const char **extra)
{
  *extra = NULL;
  if (!token_eq (req->method, req->method_len, "GET") && !token_eq (req->method, req->method_len, "HEAD"))
    {
      *extra = "Allow: GET, HEAD\r\n";
      *body_len = snprintf (body, size, "method not allowed\n");
      return 405;
    }
  if (path_is (req, "/"))
    {
      *body_len = snprintf (body, size, "hello from weft httpd\n");
      return 200;
    }
  if (path_is (req, "/work"))
    {
      *body_len = handle_work (body, size);
      return 200;
    }
  if (path_is (req, "/sleep"))
    {
      size_t      len = 0, ms;
      const char *v = query_param (req->query, req->query_len, "ms", &len);

      if (v == NULL || !parse_length (v, len, &ms) || ms > SLEEP_MAX_MS)
        {
          *body_len = snprintf (body, size, "usage: /sleep?ms=N with N from 0 to %d\n", SLEEP_MAX_MS);
          return 400;
        }
      weft_sleep ((int64_t) ms * NS_PER_MS);
      *body_len = snprintf (body, size, "slept %zu ms\n", ms);
      return 200;
    }
  *body_len = snprintf (body, size, "not found\n");
  return 404;
}

/* Drops the first @n bytes of the connection's buffer: what follows is
 * the start of the next (pipelined) request. */
static void
consume (Conn *c, size_t n)
{
  memmove (c->buf, c->buf + n, c->len - n);
  c->len -= n;
}

/* Reads and drops a request body of @n bytes. */
static bool
skip_body (Conn *c, size_t n)
{
  size_t have = n < c->len ? n : c->len;

  consume (c, have);
  n -= have;
  while (n > 0)
    {
      ssize_t r = weft_net_read (c->fd, c->buf, n < HEAD_MAX ? n : HEAD_MAX, IO_TIMEOUT_NS);
      if (r <= 0)
        return false;
      n -= (size_t) r;
    }
  return true;
}

/* Reads until the buffer holds a whole request head. Returns its length
 * (through the empty line), 0 if the peer closed, failed or timed out
 * first (or the server is stopping and the connection is idle), -1 if
 * the head does not fit in the buffer. */
static ssize_t
read_head (Conn *c)
{
  size_t scanned = 0;

  for (;;)
    {
      /* Clients may send empty lines before a request (RFC 9112 2.2). */
      while (c->len >= 2 && c->buf[0] == '\r' && c->buf[1] == '\n')
        consume (c, 2);
      if (c->len >= 4)
        {
          /* A partial read may have ended inside the "\r\n\r\n". */
          size_t      from = scanned > 3 ? scanned - 3 : 0;
          const char *end = memmem (c->buf + from, c->len - from, "\r\n\r\n", 4);

          if (end != NULL)
            return end + 4 - c->buf;
          scanned = c->len;
        }
      if (c->len == HEAD_MAX)
        return -1;

      bool    idle = c->len == 0;
      ssize_t n;

      if (idle)
        {
          /* Set before testing stopping, which the stopping side sets
           * before it looks for idle connections: one sees the other. */
          atomic_store (&c->idle, true);
          if (atomic_load (&server.stopping))
            return 0;
        }
      n = weft_net_read (c->fd, c->buf + c->len, HEAD_MAX - c->len, idle ? IDLE_TIMEOUT_NS : IO_TIMEOUT_NS);
      atomic_store (&c->idle, false);
      if (n <= 0)
        return 0;
      c->len += (size_t) n;
    }
}

/* Closes our side after a response we chose to end the connection with,
 * reading until the client closes too: closing with its data unread
 * would send a reset, which may destroy our response before the client
 * has read it (RFC 9112 9.6). */
static void
linger (Conn *c)
{
  int64_t deadline = weft_nanotime () + LINGER_NS;
  size_t  dropped = 0;

  shutdown (c->fd, SHUT_WR);
  while (dropped < LINGER_MAX)
    {
      int64_t left = deadline - weft_nanotime ();
      ssize_t n;

      if (left <= 0)
        break;
      n = weft_net_read (c->fd, c->buf, HEAD_MAX, left);
      if (n <= 0)
        break;
      dropped += (size_t) n;
    }
}

static void
serve_conn (void *data)
{
  Conn *c = data;
  bool  open = true, linger_needed = false;

  while (open)
    {
      Request     req;
      char        body[512];
      const char *extra = NULL;
      int         body_len = 0, status;
      ssize_t     head_len = read_head (c);
      uint64_t    task;
      bool        head_only;

      if (head_len == 0)
        break;
      if (head_len < 0)
        {
          body_len = snprintf (body, sizeof body, "request head larger than %d bytes\n", HEAD_MAX);
          send_response (c, 431, false, true, NULL, body, (size_t) body_len);
          linger_needed = true;
          break;
        }

      status = parse_request (c->buf, (size_t) head_len, &req);
      if (status != 0)
        {
          body_len = snprintf (body, sizeof body, "%s\n", reason_phrase (status));
          send_response (c, status, false, true, NULL, body, (size_t) body_len);
          linger_needed = true;
          break;
        }
      atomic_fetch_add (&server.requests, 1);

      /* One task per request, named after its route, for the viewer. */
      task = weft_task_begin (0, route_name (&req));
      head_only = token_eq (req.method, req.method_len, "HEAD");
      status = route (&req, body, sizeof body, &body_len, &extra);
      if (body_len < 0 || (size_t) body_len >= sizeof body)
        body_len = body_len < 0 ? 0 : (int) sizeof body - 1; /* snprintf truncated it */
      /* req points into the buffer: done with it, drop the head. */
      consume (c, (size_t) head_len);
      open = req.keep_alive && !atomic_load (&server.stopping);
      if (!skip_body (c, req.content_length))
        open = false;
      else if (!send_response (c, status, head_only, !open, extra, body, (size_t) body_len))
        open = false;
      else if (!open)
        linger_needed = true;
      weft_task_end (task);
    }

  if (linger_needed)
    linger (c);

  weft_mutex_lock (&server.lock);
  if (c->prev)
    c->prev->next = c->next;
  else
    server.conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  weft_mutex_unlock (&server.lock);

  weft_net_close (c->fd);
  weft_waitgroup_done (&server.active);
}

/* ---------------------------------------------------------------- main */

/* Returns false if accepting failed for another reason than stopping. */
static bool
accept_loop (int lfd)
{
  for (;;)
    {
      int   fd = weft_net_accept (lfd, -1);
      Conn *c;

      if (fd < 0)
        {
          if (atomic_load (&server.stopping))
            return true;
          /* Out of descriptors or memory: wait for connections to end
           * rather than spin (Go's http.Server does the same). */
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            {
              weft_sleep (ACCEPT_BACKOFF_NS);
              continue;
            }
          perror ("httpd: accept");
          return false;
        }
      /* On the collected heap: server.conns (a global) keeps the
       * connection alive while its goroutine runs, nothing after. */
      c = weft_alloc (sizeof *c);
      c->buf = weft_alloc_noscan (HEAD_MAX);
      c->fd = fd;
      c->id = atomic_fetch_add (&server.accepted, 1) + 1;

      weft_mutex_lock (&server.lock);
      c->next = server.conns;
      if (server.conns)
        server.conns->prev = c;
      server.conns = c;
      weft_mutex_unlock (&server.lock);

      weft_waitgroup_add (&server.active, 1);
      weft_go_named ("http-conn", serve_conn, c);
    }
}

static int
usage (const char *argv0)
{
  fprintf (stderr, "usage: %s [PORT] [--duration SECONDS]\n", argv0);
  return 2;
}

static int
real_main (int argc, char **argv)
{
  const char      *port_text = getenv ("WEFT_HTTPD_PORT");
  double           duration = 0;
  char            *end;
  long             port;
  int              lfd;
  WeftTimer       *stop_timer = NULL;
  WeftChan        *drained;
  struct sigaction sa = { .sa_handler = on_signal };
  bool             have_port = false, accepted_all, clean;
  WeftMemStats     ms;

  for (int i = 1; i < argc; i++)
    {
      const char *value = NULL;

      if (strcmp (argv[i], "--duration") == 0 && i + 1 < argc)
        value = argv[++i];
      else if (strncmp (argv[i], "--duration=", 11) == 0)
        value = argv[i] + 11;
      else if (argv[i][0] != '-' && !have_port)
        {
          port_text = argv[i];
          have_port = true;
          continue;
        }
      else
        return usage (argv[0]);
      duration = strtod (value, &end);
      if (end == value || *end != '\0' || !(duration > 0) || duration > 1e6)
        return usage (argv[0]);
    }
  if (port_text == NULL || *port_text == '\0')
    port_text = "8080";
  port = strtol (port_text, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    {
      fprintf (stderr, "httpd: bad port '%s'\n", port_text);
      return 2;
    }

  lfd = weft_net_listen_tcp ("127.0.0.1", (uint16_t) port, 0);
  if (lfd < 0)
    {
      fprintf (stderr, "httpd: cannot listen on 127.0.0.1:%ld: %s\n", port, strerror (errno));
      return 1;
    }
  atomic_store (&server.listen_fd, lfd);

  /* Writes to a closed peer fail with EPIPE (the runtime sends with
   * MSG_NOSIGNAL), but a closed stdout must not kill the server either. */
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  if (duration > 0)
    stop_timer = weft_after_func ((int64_t) (duration * NS_PER_S), on_duration, NULL);

  /* Callers wait for this line (a pipe is block-buffered: flush it). */
  printf ("listening on %d\n", weft_net_local_port (lfd));
  fflush (stdout);

  accepted_all = accept_loop (lfd);

  /* Also when accept failed: connections must not wait for more requests. */
  atomic_store (&server.stopping, true);
  atomic_store (&server.listen_fd, -1);
  weft_net_close (lfd);
  if (stop_timer != NULL)
    weft_timer_free (stop_timer);

  /* Idle keep-alive connections have nothing to finish; busy ones end
   * after their current request, and stragglers are cut off. */
  drained = weft_chan_new (0, 0);
  weft_go_named ("drain-wait", wait_active, drained);
  shutdown_conns (true, SHUT_RD);
  clean = wait_drained (drained, DRAIN_NS);
  if (!clean)
    {
      fprintf (stderr, "httpd: cutting off %ld connections still busy after %d s\n", count_conns (),
               (int) (DRAIN_NS / NS_PER_S));
      shutdown_conns (false, SHUT_RDWR);
      clean = wait_drained (drained, FORCE_NS);
      if (!clean)
        fprintf (stderr, "httpd: %ld connections abandoned (their goroutines are busy, e.g. in /sleep)\n",
                 count_conns ());
    }
  /* Otherwise wait_active still waits on the WaitGroup and owns the
   * channel: leave both to the process's exit. */
  if (clean)
    weft_chan_free (drained);

  weft_read_mem_stats (&ms);
  printf ("httpd: stopped; %ld connections, %ld requests; %" PRIu32 " GC cycles, %.3f ms stopped in all\n",
          atomic_load (&server.accepted), atomic_load (&server.requests), ms.num_gc, ms.pause_total_ns / 1e6);
  return accepted_all ? 0 : 1;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
