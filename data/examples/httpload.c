/* httpload.c — an HTTP/1.1 load generator on libweft, for httpd.
 *
 * Opens CONNECTIONS keep-alive connections, each in its own goroutine,
 * and sends REQUESTS_PER_CONNECTION requests on each, one at a time:
 * PATH if given, else alternately / and /work. A request counts as done
 * when its whole response (status line, headers, Content-Length bytes of
 * body) has been read and its status is 2xx; anything else is an error,
 * after which the connection is opened again for the next request. When
 * the server answers "Connection: close" the next request uses a new
 * connection too.
 *
 * Prints the requests made, the errors, the throughput and the latency
 * percentiles (a request's latency runs from the start of its write to
 * the last byte of its response). Exits 1 if any request failed.
 *
 * Only loopback hosts are accepted: this is a tool to load a server on
 * the same machine, not something to point at other people's servers.
 *
 * Usage: httpload HOST PORT CONNECTIONS REQUESTS_PER_CONNECTION [PATH]
 */
#define _GNU_SOURCE /* memmem, strncasecmp */
#include <weft/weft.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NS_PER_MS ((int64_t) 1000000)
#define NS_PER_S ((int64_t) 1000000000)

#define DIAL_TIMEOUT_NS (5 * NS_PER_S)
#define IO_TIMEOUT_NS (30 * NS_PER_S)

enum
{
  BUF_SIZE = 16384, /* a response head must fit */
  MAX_CONNECTIONS = 10000,
  MAX_REPORTED_ERRORS = 5, /* error messages printed; all are counted */
};

typedef struct
{
  int      index;
  int      fd;
  long     done; /* requests answered with 2xx */
  long     errors;
  int64_t *latencies; /* of the done requests, ns */
  size_t   len;       /* bytes in buf */
  char     buf[BUF_SIZE];
} Client;

static const char   *host;
static uint16_t      port;
static const char   *fixed_path;
static long          per_connection;
static WeftWaitGroup clients_done;
static _Atomic int   reported_errors;

static void
report_error (Client *cl, long request, const char *what, int err)
{
  if (atomic_fetch_add (&reported_errors, 1) >= MAX_REPORTED_ERRORS)
    return;
  if (err != 0)
    fprintf (stderr, "httpload: connection %d, request %ld: %s: %s\n", cl->index, request, what, strerror (err));
  else
    fprintf (stderr, "httpload: connection %d, request %ld: %s\n", cl->index, request, what);
}

/* Reads at least one more byte into the buffer; false on EOF or error
 * (errno 0 for EOF). */
static bool
fill (Client *cl)
{
  ssize_t n;

  if (cl->len == sizeof cl->buf)
    {
      errno = EMSGSIZE;
      return false;
    }
  n = weft_net_read (cl->fd, cl->buf + cl->len, sizeof cl->buf - cl->len, IO_TIMEOUT_NS);
  if (n <= 0)
    {
      if (n == 0)
        errno = 0;
      return false;
    }
  cl->len += (size_t) n;
  return true;
}

static void
consume (Client *cl, size_t n)
{
  memmove (cl->buf, cl->buf + n, cl->len - n);
  cl->len -= n;
}

static bool
header_is (const char *line, size_t len, const char *name, const char **value, size_t *value_len)
{
  size_t n = strlen (name);

  if (len <= n || line[n] != ':' || strncasecmp (line, name, n) != 0)
    return false;
  *value = line + n + 1;
  *value_len = len - n - 1;
  while (*value_len > 0 && (**value == ' ' || **value == '\t'))
    (*value)++, (*value_len)--;
  while (*value_len > 0 && ((*value)[*value_len - 1] == ' ' || (*value)[*value_len - 1] == '\t'))
    (*value_len)--;
  return true;
}

/* Reads one response. Returns its status, or 0 with *@what (and errno)
 * saying what went wrong. *@close tells whether the server will close. */
static int
read_response (Client *cl, bool *close, const char **what)
{
  const char *head_end, *p, *eol;
  size_t      head_len, length = 0, scanned = 0;
  bool        has_length = false;
  int         status;

  *close = false;
  for (;;)
    {
      size_t from = scanned > 3 ? scanned - 3 : 0;

      head_end = cl->len >= 4 ? memmem (cl->buf + from, cl->len - from, "\r\n\r\n", 4) : NULL;
      if (head_end != NULL)
        break;
      scanned = cl->len;
      if (!fill (cl))
        {
          *what = cl->len == 0 && errno == 0 ? "connection closed before a response" : "reading the response head";
          return 0;
        }
    }
  head_len = (size_t) (head_end + 4 - cl->buf);

  /* status-line = HTTP-version SP status-code SP [reason-phrase] */
  errno = 0;
  if (head_len < 13 || memcmp (cl->buf, "HTTP/1.", 7) != 0 || cl->buf[8] != ' '
      || sscanf (cl->buf + 9, "%3d", &status) != 1 || status < 100 || status > 599)
    {
      *what = "malformed status line";
      return 0;
    }
  if (cl->buf[7] == '0')
    *close = true;

  eol = memmem (cl->buf, head_len, "\r\n", 2);
  for (p = eol + 2; p < head_end + 2; p = eol + 2)
    {
      const char *value;
      size_t      value_len;

      eol = memmem (p, (size_t) (head_end + 2 - p), "\r\n", 2);
      if (header_is (p, (size_t) (eol - p), "Content-Length", &value, &value_len))
        {
          char *end;
          char  text[24];

          if (value_len == 0 || value_len >= sizeof text)
            {
              *what = "bad Content-Length";
              return 0;
            }
          memcpy (text, value, value_len);
          text[value_len] = '\0';
          length = strtoul (text, &end, 10);
          if (*end != '\0')
            {
              *what = "bad Content-Length";
              return 0;
            }
          has_length = true;
        }
      else if (header_is (p, (size_t) (eol - p), "Connection", &value, &value_len))
        {
          if (memmem (value, value_len, "close", 5) != NULL)
            *close = true;
          else if (memmem (value, value_len, "keep-alive", 10) != NULL)
            *close = false;
        }
      else if (header_is (p, (size_t) (eol - p), "Transfer-Encoding", &value, &value_len))
        {
          *what = "chunked responses are not supported";
          return 0;
        }
    }
  consume (cl, head_len);

  if (!has_length)
    {
      /* Without a length the body runs to the end of the connection
       * (RFC 9112 6.3); 1xx, 204 and 304 have none (we do not send HEAD). */
      if (status < 200 || status == 204 || status == 304)
        return status;
      while (fill (cl))
        cl->len = 0;
      if (errno != 0)
        {
          *what = "reading the body";
          return 0;
        }
      cl->len = 0;
      *close = true;
      return status;
    }
  while (length > 0)
    {
      size_t n;

      if (cl->len == 0 && !fill (cl))
        {
          *what = "reading the body";
          return 0;
        }
      n = length < cl->len ? length : cl->len;
      consume (cl, n);
      length -= n;
    }
  return status;
}

static void
disconnect (Client *cl)
{
  if (cl->fd >= 0)
    weft_net_close (cl->fd);
  cl->fd = -1;
  cl->len = 0;
}

static void
run_client (void *data)
{
  Client *cl = data;
  char    request[512];

  cl->fd = -1;
  for (long i = 0; i < per_connection; i++)
    {
      const char *path = fixed_path;
      const char *what = NULL;
      int         len, status;
      int64_t     start;
      bool        close;

      if (path == NULL)
        path = (i + cl->index) % 2 ? "/work" : "/";
      if (cl->fd < 0)
        {
          cl->fd = weft_net_dial_tcp (host, port, DIAL_TIMEOUT_NS);
          if (cl->fd < 0)
            {
              /* The server is gone or refuses us: the rest would fail alike. */
              report_error (cl, i, "connect", errno);
              cl->errors += per_connection - i;
              break;
            }
        }

      len = snprintf (request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: weft-httpload\r\n\r\n",
                      path, host, port);
      start = weft_nanotime ();
      if (weft_net_write_all (cl->fd, request, (size_t) len, IO_TIMEOUT_NS) != len)
        {
          report_error (cl, i, "sending the request", errno);
          cl->errors++;
          disconnect (cl);
          continue;
        }
      status = read_response (cl, &close, &what);
      if (status == 0)
        {
          report_error (cl, i, what, errno);
          cl->errors++;
          disconnect (cl);
          continue;
        }
      if (status < 200 || status > 299)
        {
          char msg[64];

          snprintf (msg, sizeof msg, "%s answered with status %d", path, status);
          report_error (cl, i, msg, 0);
          cl->errors++;
        }
      else
        cl->latencies[cl->done++] = weft_nanotime () - start;
      if (close)
        disconnect (cl);
    }
  disconnect (cl);
  weft_waitgroup_done (&clients_done);
}

static int
compare_ns (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of the @n sorted values. */
static double
percentile_ms (const int64_t *sorted, size_t n, int p)
{
  size_t rank = (n * (size_t) p + 99) / 100;

  if (n == 0)
    return 0;
  return (double) sorted[rank > 0 ? rank - 1 : 0] / NS_PER_MS;
}

static bool
is_loopback (const char *name)
{
  struct in_addr  a4;
  struct in6_addr a6;

  if (strcmp (name, "localhost") == 0)
    return true;
  if (inet_pton (AF_INET, name, &a4) == 1)
    return (ntohl (a4.s_addr) >> 24) == 127;
  if (inet_pton (AF_INET6, name, &a6) == 1)
    return IN6_IS_ADDR_LOOPBACK (&a6);
  return false;
}

static bool
parse_long (const char *text, long min, long max, long *out)
{
  char *end;

  errno = 0;
  *out = strtol (text, &end, 10);
  return end != text && *end == '\0' && errno == 0 && *out >= min && *out <= max;
}

static int
real_main (int argc, char **argv)
{
  long     port_arg, n_clients;
  Client **clients;
  int64_t *all, start, elapsed;
  long     done = 0, errors = 0;
  size_t   n = 0;

  if (argc < 5 || argc > 6 || !parse_long (argv[2], 1, 65535, &port_arg)
      || !parse_long (argv[3], 1, MAX_CONNECTIONS, &n_clients)
      || !parse_long (argv[4], 1, 100000000, &per_connection) || (argc == 6 && argv[5][0] != '/'))
    {
      fprintf (stderr, "usage: %s HOST PORT CONNECTIONS REQUESTS_PER_CONNECTION [PATH]\n"
                       "  CONNECTIONS from 1 to %d; PATH starts with '/' (default: / and /work in turn)\n",
               argv[0], MAX_CONNECTIONS);
      return 2;
    }
  if (!is_loopback (argv[1]))
    {
      fprintf (stderr, "httpload: %s is not a loopback address: only 127.0.0.0/8, ::1 and localhost are allowed\n",
               argv[1]);
      return 2;
    }
  host = argv[1];
  port = (uint16_t) port_arg;
  fixed_path = argc == 6 ? argv[5] : NULL;
  if (fixed_path != NULL && strpbrk (fixed_path, " \r\n") != NULL)
    {
      fprintf (stderr, "httpload: PATH must not contain spaces or line breaks\n");
      return 2;
    }

  clients = calloc ((size_t) n_clients, sizeof *clients);
  all = calloc ((size_t) n_clients * (size_t) per_connection, sizeof *all);
  if (clients == NULL || all == NULL)
    {
      fprintf (stderr, "httpload: out of memory\n");
      return 1;
    }
  for (long i = 0; i < n_clients; i++)
    {
      clients[i] = calloc (1, sizeof *clients[i]);
      if (clients[i] == NULL)
        {
          fprintf (stderr, "httpload: out of memory\n");
          return 1;
        }
      clients[i]->index = (int) i;
      /* Each client fills its own slice of one array: no sharing while
       * running, one sort at the end. */
      clients[i]->latencies = all + i * per_connection;
    }

  start = weft_nanotime ();
  weft_waitgroup_add (&clients_done, (int) n_clients);
  for (long i = 0; i < n_clients; i++)
    weft_go_named ("http-client", run_client, clients[i]);
  weft_waitgroup_wait (&clients_done);
  elapsed = weft_nanotime () - start;

  /* Pack the done requests' latencies to the front, then sort them. */
  for (long i = 0; i < n_clients; i++)
    {
      memmove (all + n, clients[i]->latencies, (size_t) clients[i]->done * sizeof *all);
      n += (size_t) clients[i]->done;
      done += clients[i]->done;
      errors += clients[i]->errors;
      free (clients[i]);
    }
  qsort (all, n, sizeof *all, compare_ns);

  printf ("requests    %ld (%ld connections x %ld)\n", done + errors, n_clients, per_connection);
  printf ("errors      %ld\n", errors);
  printf ("elapsed     %.3f s\n", (double) elapsed / NS_PER_S);
  printf ("requests/s  %.1f\n", elapsed > 0 ? (double) done * NS_PER_S / (double) elapsed : 0.0);
  printf ("latency     p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n", percentile_ms (all, n, 50),
          percentile_ms (all, n, 90), percentile_ms (all, n, 99), n ? (double) all[n - 1] / NS_PER_MS : 0.0);

  free (all);
  free (clients);
  return errors == 0 ? 0 : 1;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
