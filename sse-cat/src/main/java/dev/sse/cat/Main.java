package dev.sse.cat;

import dev.sse.client.MessageEvent;
import dev.sse.client.RetryPolicy;
import dev.sse.client.SseClient;
import dev.sse.client.SseException;
import dev.sse.client.SseListener;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code sse-cat}: follows a Server-Sent Events stream like a browser and prints one JSON object per event on
 * stdout; lifecycle lines go to stderr. See {@link #USAGE}.
 */
public final class Main {

    static final String USAGE = String.join("\n",
            "usage: java -jar sse-cat.jar [options] URL",
            "",
            "Follows a Server-Sent Events stream like a browser's EventSource (reconnecting, resuming with",
            "Last-Event-ID; at least 250 ms apart, longer while streams end without an event) and prints one",
            "JSON object per event on stdout, one per line, flushed at once:",
            "  {\"type\":\"update\",\"data\":\"...\",\"lastEventId\":\"7\"}",
            "type is \"message\" when the stream named none. Strings are JSON-escaped; U+2028, U+2029 and unpaired",
            "surrogates are written as \\u escapes (\\u2028, \\ud800). Connection lifecycle goes to stderr, where",
            "control characters from the server (ESC, BEL, CR, C1, bidi overrides) are written as \\u escapes.",
            "",
            "options:",
            "  -H 'Name: value'       add a request header (repeatable)",
            "  -X METHOD              request method (default GET, or POST with -d/--data-file)",
            "  -d BODY                request body; a request with a body, or another method than GET, is",
            "                         sent once: sse-cat exits 0 when its answer ends (see --reconnect)",
            "  --data-file F          request body from file F",
            "  --last-event-id ID     send Last-Event-ID: ID on the first request",
            "  --max-events N         exit 0 after printing N events",
            "  --max-time SECONDS     exit 0 after SECONDS",
            "  --until-data TEXT      exit 0 after printing the event whose data is TEXT (e.g. '[DONE]'),",
            "                         without waiting for the server to end the stream",
            "  --no-reconnect         exit when the stream ends, and on any failure",
            "  --reconnect            send a POST (or any request) again when its stream ends or fails, as a",
            "                         GET is by default; the body is sent again each time",
            "  --idle-timeout SECONDS reconnect after SECONDS without a byte (default 300)",
            "  --comments             also print {\"comment\":\"...\"} lines for comments",
            "  --help                 print this and exit",
            "",
            "exit status: 0 after --max-events, --max-time, --until-data, the end of a stream not followed again (a request",
            "sent once, or --no-reconnect), or a 204 from the server; 1 on a fatal error (the status or problem",
            "is printed on stderr); 2 on bad usage.");

    private Main() {
    }

    /**
     * Runs sse-cat and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int status = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** The parsed command line. */
    static final class Options {
        final List<String[]> headers = new ArrayList<>();
        String method;
        byte[] body;
        String lastEventId = "";
        long maxEvents = -1;
        String untilData;
        Duration maxTime;
        boolean noReconnect;
        boolean reconnect;
        Duration idleTimeout;
        boolean comments;
        boolean help;
        URI uri;
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--help":
                case "-h":
                    o.help = true;
                    return o;
                case "-H": {
                    String h = value(args, ++i, a);
                    int colon = h.indexOf(':');
                    if (colon <= 0) {
                        throw new UsageException("-H needs 'Name: value' (got '" + h + "')");
                    }
                    o.headers.add(new String[] {h.substring(0, colon).strip(), h.substring(colon + 1).strip()});
                    break;
                }
                case "-X":
                    o.method = value(args, ++i, a);
                    break;
                case "-d":
                    o.body = value(args, ++i, a).getBytes(StandardCharsets.UTF_8);
                    break;
                case "--data-file": {
                    String f = value(args, ++i, a);
                    try {
                        o.body = Files.readAllBytes(Path.of(f));
                    } catch (IOException | RuntimeException e) {
                        throw new UsageException("--data-file: cannot read " + f + ": " + e.getMessage());
                    }
                    break;
                }
                case "--last-event-id":
                    o.lastEventId = value(args, ++i, a);
                    break;
                case "--max-events":
                    o.maxEvents = positiveLong(value(args, ++i, a), a);
                    break;
                case "--max-time":
                    o.maxTime = seconds(value(args, ++i, a), a);
                    break;
                case "--until-data":
                    o.untilData = value(args, ++i, a);
                    break;
                case "--no-reconnect":
                    o.noReconnect = true;
                    break;
                case "--reconnect":
                    o.reconnect = true;
                    break;
                case "--idle-timeout":
                    o.idleTimeout = seconds(value(args, ++i, a), a);
                    break;
                case "--comments":
                    o.comments = true;
                    break;
                default:
                    if (a.startsWith("-") && a.length() > 1) {
                        throw new UsageException("unknown option " + a);
                    }
                    if (o.uri != null) {
                        throw new UsageException("only one URL, please (got " + o.uri + " and " + a + ")");
                    }
                    try {
                        o.uri = new URI(a);
                    } catch (Exception e) {
                        throw new UsageException("not a URL: " + a);
                    }
            }
        }
        if (o.uri == null) {
            throw new UsageException("missing URL");
        }
        if (o.reconnect && o.noReconnect) {
            throw new UsageException("--reconnect and --no-reconnect contradict each other");
        }
        return o;
    }

    private static String value(String[] args, int i, String option) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[i];
    }

    private static long positiveLong(String v, String option) throws UsageException {
        try {
            long n = Long.parseLong(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(option + " needs a whole number of at least 1 (got '" + v + "')");
    }

    private static Duration seconds(String v, String option) throws UsageException {
        try {
            BigDecimal s = new BigDecimal(v);
            if (s.signum() > 0) {
                return Duration.ofMillis(Math.max(1, s.movePointRight(3).longValue()));
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // reported below
        }
        throw new UsageException(option + " needs a positive number of seconds (got '" + v + "')");
    }

    static int run(String[] args, PrintStream out, PrintStream stderr) {
        Terminal err = new Terminal(stderr);
        Options o;
        try {
            o = parse(args);
        } catch (UsageException e) {
            err.line("sse-cat: " + e.getMessage());
            err.line("try: java -jar sse-cat.jar --help");
            return 2;
        }
        if (o.help) {
            out.println(USAGE);
            out.flush();
            return 0;
        }
        SseClient.Builder builder;
        try {
            builder = SseClient.builder(o.uri).lastEventId(o.lastEventId);
            for (String[] h : o.headers) {
                builder.header(h[0], h[1]);
            }
            String method = o.method != null ? o.method : (o.body != null ? "POST" : "GET");
            byte[] body = o.body;
            builder.method(method, body == null ? null : () -> HttpRequest.BodyPublishers.ofByteArray(body));
            if (o.idleTimeout != null) {
                builder.idleTimeout(o.idleTimeout);
            }
            if (o.noReconnect) {
                builder.retryPolicy(RetryPolicy.none());
            }
            if (o.reconnect) {
                builder.reconnect(true);
            }
            if (o.untilData != null) {
                String last = o.untilData;
                builder.stopAfter(e -> e.data().equals(last));
            }
        } catch (IllegalArgumentException e) {
            err.line("sse-cat: " + e.getMessage());
            return 2;
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<SseException> fatal = new AtomicReference<>();
        AtomicLong printed = new AtomicLong();
        AtomicReference<SseClient> self = new AtomicReference<>();
        SseListener listener = new SseListener() {
            @Override
            public void onOpen(int status, HttpHeaders headers) {
                err.line("sse-cat: open: " + status + " "
                        + headers.firstValue("Content-Type").orElse(""));
            }

            @Override
            public void onEvent(MessageEvent event) {
                if (o.maxEvents > 0 && printed.get() >= o.maxEvents) {
                    return;
                }
                out.println(Json.event(event.type(), event.data(), event.lastEventId()));
                out.flush();
                if (out.checkError()) {
                    err.line("sse-cat: stdout closed");
                    stop();
                    return;
                }
                if (printed.incrementAndGet() == o.maxEvents) {
                    err.line("sse-cat: printed " + o.maxEvents + " events");
                    stop();
                }
            }

            @Override
            public void onComment(String comment) {
                if (o.comments) {
                    out.println(Json.comment(comment));
                    out.flush();
                }
            }

            @Override
            public void onStreamEnd(Duration reconnectDelay) {
                err.line("sse-cat: stream ended; reconnecting in " + reconnectDelay.toMillis() + " ms");
                err.line("sse-cat: connecting to " + o.uri);
            }

            @Override
            public void onError(SseException error) {
                if (error.willRetry()) {
                    err.line("sse-cat: retrying in " + error.retryDelay().orElseThrow().toMillis() + " ms: "
                            + error.getMessage());
                    err.line("sse-cat: connecting to " + o.uri);
                } else {
                    fatal.set(error);
                    err.line("sse-cat: error: " + error.getMessage());
                }
            }

            @Override
            public void onClosed(int status, HttpHeaders headers) {
                err.line("sse-cat: closed" + (status == 0 ? "" : " (" + status + ")"));
                done.countDown();
            }

            private void stop() {
                SseClient c = self.get();
                if (c != null) {
                    c.close();
                }
                done.countDown();
            }
        };
        err.line("sse-cat: connecting to " + o.uri);
        SseClient client = builder.start(listener);
        self.set(client);
        if (o.maxEvents > 0 && printed.get() >= o.maxEvents) {
            client.close();
        }
        try {
            boolean finished = o.maxTime == null ? awaitForever(done)
                    : done.await(o.maxTime.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                err.line("sse-cat: --max-time reached");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.close();
        }
        out.flush();
        return fatal.get() != null ? 1 : 0;
    }

    private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
        done.await();
        return true;
    }
}
