package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.redis.RedisUnavailableException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets clients publish to a stream with {@code POST}, in front of the {@code SseServlet} that serves the same URL
 * with {@code GET}:
 *
 * <pre>
 * POST /api/v1/notifications?event=alert     body: the event's data, UTF-8 text
 * 202 {"id":"7"}                             the id the hub gave the event
 * 400 {"error":"...","field":"event"}        nothing was broadcast
 * </pre>
 *
 * <p>The body is the data verbatim (any content type is read as UTF-8 text; line ends travel as the SSE format
 * normalises them). Refused, with a JSON body and nothing broadcast:
 * <ul>
 *   <li>{@code 403}: an {@code Origin} that is neither the server's own nor allowed (a request without
 *       {@code Origin}, such as curl's, is not cross-origin and is allowed). The server's own origin counts only
 *       under {@code localhost} or an IP address: under any other name, Origin and Host could both be an
 *       attacker's page rebound by DNS to this server, so such a name must be allowed explicitly;</li>
 *   <li>{@code 400}: an {@code event} name containing CR, LF or NUL, a raw (not percent-encoded) non-ASCII byte, a
 *       malformed percent-escape or invalid UTF-8; a body that is not valid UTF-8 (naming the byte offset); a
 *       malformed chunked body;</li>
 *   <li>{@code 413}: a body over {@code max-body-bytes} (default 1 MiB = 1048576 bytes, which is accepted). A
 *       {@code Content-Length} over the limit is refused before the body is touched, so no {@code 100 Continue}
 *       is sent; a chunked body is counted while it arrives;</li>
 *   <li>{@code 408}: a body that does not arrive within {@code body-deadline-ms} (default 30 s), or that falls below
 *       {@code min-body-rate} bytes a second (default 1024) once {@code body-grace-ms} (default 5 s) have passed:
 *       a body of {@code n} bytes must have reached {@code rate × (elapsed − grace)} bytes at every moment;</li>
 *   <li>{@code 503} with {@code Retry-After}: the bodies held at once would pass {@code max-pending-body-bytes}
 *       (default 64 MiB), or {@code publish-queue} broadcasts (default 32) already wait for a publish thread (both
 *       {@code Retry-After: 1}); the broadcast failed: the hub is closed, Redis did not take the event, or anything
 *       else {@link Hub#broadcast} threw ({@code Retry-After: 5}, one WARN line each, no stack trace).</li>
 * </ul>
 *
 * <p>A body's buffer grows with the bytes that arrive (from 1 KiB, doubling, never past its {@code Content-Length}
 * or the limit), and reserves that room from one budget shared by every body this filter holds, so a client that
 * declares 1 MiB and sends a trickle holds a trickle.
 *
 * <p>The body is read with a {@link ReadListener} on an asynchronous request, so a client that trickles its body
 * holds no container thread while it waits; one daemon timer thread per filter enforces the deadlines. The broadcast
 * runs on the filter's own small pool ({@code publish-threads}, default 2, with a bounded queue), never on a
 * container thread: a backplane may block for its command timeout while Redis stalls, and that must not hold the
 * threads that serve everyone else. The publish thread answers and only then completes the request. {@code GET}
 * and {@code HEAD} pass to the stream. {@code OPTIONS} with {@code Access-Control-Request-Method: POST} is the
 * publish preflight, answered here ({@code 204} for an allowed origin, else {@code 403}); any other {@code OPTIONS}
 * passes to the stream's own preflight. Other methods get {@code 405}.
 *
 * <p>Init-params: {@code hub}, the servlet context attribute naming the {@link Hub} to publish to;
 * {@code max-body-bytes}, {@code body-deadline-ms}, {@code body-grace-ms}, {@code min-body-rate},
 * {@code max-pending-body-bytes}, {@code publish-threads}, {@code publish-queue}. Cross-origin
 * publishers are allowed by the context init-param {@value #ALLOWED_ORIGINS} (comma-separated origins such as
 * {@code https://app.example.com}, or {@code *}), which {@link DemoServer} sets from {@code --allow-origin}.
 *
 * <p>Threads: the container calls {@code doFilter} concurrently and the read callbacks of one request one at a time;
 * the timer thread may end a request concurrently with its read callbacks, a publish thread answers it once read,
 * and whichever moves the request to its end first answers it (see {@code BodyReader}).
 */
public final class PublishFilter extends HttpFilter {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PublishFilter.class);

    /** The default and smallest useful body limit: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;
    /** The default time a whole body may take to arrive: 30 s, enough for 1 MiB at 35 KB/s. */
    public static final long DEFAULT_BODY_DEADLINE_MS = 30_000;
    /** The default time before the minimum rate applies: 5 s. */
    public static final long DEFAULT_BODY_GRACE_MS = 5_000;
    /** The default minimum rate of a body after the grace time: 1024 bytes a second. */
    public static final long DEFAULT_MIN_BODY_RATE = 1024;
    /** The default budget of all request bodies held at once: 64 MiB. */
    public static final long DEFAULT_MAX_PENDING_BODY_BYTES = 64L << 20;
    /** The default number of threads that run broadcasts: 2. */
    public static final int DEFAULT_PUBLISH_THREADS = 2;
    /** The default number of broadcasts that may wait for a publish thread: 32. */
    public static final int DEFAULT_PUBLISH_QUEUE = 32;
    /** The context init-param listing the origins, other than the server's own, that may publish. */
    public static final String ALLOWED_ORIGINS = "dev.sse.examples.allowedOrigins";

    static final String ALLOW = "GET, HEAD, POST, OPTIONS";
    /** A body's first buffer; it doubles from there as bytes arrive. */
    private static final int INITIAL_BUFFER_BYTES = 1024;
    /** How long a broadcast may take before its request is answered 503 anyway; far above Redis's 2 s timeout. */
    private static final long PUBLISH_TIMEOUT_MS = 60_000;
    /** Retry-After, in seconds, when the demo sheds load: the overload is usually gone in a moment. */
    private static final String OVERLOADED_RETRY_AFTER = "1";
    /** Retry-After, in seconds, when the broadcast failed: a backplane outage or a restart takes a while. */
    private static final String UNAVAILABLE_RETRY_AFTER = "5";

    private transient String hubAttribute;
    private transient int maxBodyBytes;
    private transient long deadlineNanos;
    private transient long graceNanos;
    private transient long minBytesPerSecond;
    private transient Set<String> allowedOrigins;
    private transient ScheduledExecutorService timer;
    private transient PendingBodies pendingBodies;
    private transient int publishQueueSize;
    private transient ThreadPoolExecutor publisher;
    private transient ThrottledWarning sheddingBodies;
    private transient ThrottledWarning sheddingPublishes;

    /** Called by the container. */
    public PublishFilter() {
    }

    @Override
    public void init(FilterConfig config) throws ServletException {
        super.init(config);
        hubAttribute = config.getInitParameter("hub");
        if (hubAttribute == null || hubAttribute.isEmpty()) {
            throw new ServletException("PublishFilter needs the init-param hub");
        }
        long max = number(config, "max-body-bytes", DEFAULT_MAX_BODY_BYTES, Integer.MAX_VALUE - 1);
        maxBodyBytes = (int) max;
        deadlineNanos = TimeUnit.MILLISECONDS.toNanos(
                number(config, "body-deadline-ms", DEFAULT_BODY_DEADLINE_MS, TimeUnit.DAYS.toMillis(1)));
        graceNanos = TimeUnit.MILLISECONDS.toNanos(
                number(config, "body-grace-ms", DEFAULT_BODY_GRACE_MS, TimeUnit.DAYS.toMillis(1)));
        minBytesPerSecond = number(config, "min-body-rate", DEFAULT_MIN_BODY_RATE, Integer.MAX_VALUE);
        allowedOrigins = origins(config.getServletContext().getInitParameter(ALLOWED_ORIGINS));
        pendingBodies = new PendingBodies(number(config, "max-pending-body-bytes", DEFAULT_MAX_PENDING_BODY_BYTES,
                Long.MAX_VALUE / 2));
        int threads = (int) number(config, "publish-threads", DEFAULT_PUBLISH_THREADS, 64);
        publishQueueSize = (int) number(config, "publish-queue", DEFAULT_PUBLISH_QUEUE, 100_000);
        AtomicInteger publishThreads = new AtomicInteger();
        publisher = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(publishQueueSize), r -> {
                    Thread thread = new Thread(r, "demo-publish-" + publishThreads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        long tenSeconds = TimeUnit.SECONDS.toNanos(10);
        sheddingBodies = new ThrottledWarning("publish refused with 503, the pending-body budget is spent",
                tenSeconds, System::nanoTime, line -> LOG.warn(line));
        sheddingPublishes = new ThrottledWarning("publish refused with 503, the publish queue is full", tenSeconds,
                System::nanoTime, line -> LOG.warn(line));
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "demo-publish-deadlines");
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        timer = t;
    }

    @Override
    public void destroy() {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (publisher != null) {
            // Broadcasts still running are interrupted and answer 503 themselves; those never started, here.
            for (Runnable waiting : publisher.shutdownNow()) {
                if (waiting instanceof Broadcast b) {
                    b.abandon();
                }
            }
        }
        super.destroy();
    }

    private static long number(FilterConfig config, String name, long dflt, long most) throws ServletException {
        String value = config.getInitParameter(name);
        if (value == null) {
            return dflt;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n >= 1 && n <= most) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below, with the same message as an out-of-range number.
        }
        throw new ServletException(name + " must be a number from 1 to " + most + " (was \"" + value + "\")");
    }

    /** Parses a comma-separated list of origins; trailing slashes are dropped, since an Origin never has one. */
    static Set<String> origins(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        switch (req.getMethod()) {
            case "GET", "HEAD" -> chain.doFilter(req, resp);
            case "POST" -> publish(req, resp);
            case "OPTIONS" -> {
                if ("POST".equals(req.getHeader("Access-Control-Request-Method"))) {
                    preflight(req, resp);
                } else {
                    // The stream's own preflight and plain OPTIONS; only the Allow header must also name POST.
                    chain.doFilter(req, new AllowPost(resp));
                }
            }
            default -> {
                resp.setHeader("Allow", ALLOW);
                json(resp, 405, Json.error(req.getMethod() + " is not supported here; use GET to listen or POST to "
                        + "publish", null));
            }
        }
    }

    private void preflight(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String origin = req.getHeader("Origin");
        resp.addHeader("Vary", "Origin");
        resp.setHeader("Allow", ALLOW);
        if (origin == null) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        if (!originAllowed(req, origin)) {
            LOG.debug("publish preflight refused for origin {}", origin);
            json(resp, 403, Json.error(refusal(origin), null));
            return;
        }
        resp.setHeader("Access-Control-Allow-Origin", origin);
        resp.setHeader("Access-Control-Allow-Methods", "POST");
        String headers = req.getHeader("Access-Control-Request-Headers");
        if (headers != null && !headers.isBlank()) {
            resp.setHeader("Access-Control-Allow-Headers", headers);
        }
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    private boolean originAllowed(HttpServletRequest req, String origin) {
        if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
            return true;
        }
        // "null" (a sandboxed frame, a file: page) never equals the server's origin and so stays refused.
        String scheme = req.getScheme();
        String host = req.getServerName();
        int port = req.getServerPort();
        boolean defaultPort = (port == 80 && "http".equals(scheme)) || (port == 443 && "https".equals(scheme));
        String self = scheme + "://" + host + (defaultPort ? "" : ":" + port);
        // Origin and Host are both the attacker's under DNS rebinding (evil.example resolved to 127.0.0.1), so a
        // page is only "same origin" by itself under a name no one else can point here: localhost or an address.
        return origin.equalsIgnoreCase(self) && unrebindable(host);
    }

    static boolean unrebindable(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("[")
                || h.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") || h.indexOf(':') >= 0;
    }

    private static String refusal(String origin) {
        return "origin " + origin + " may not publish here";
    }

    private void publish(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String origin = req.getHeader("Origin");
        if (origin != null) {
            if (!originAllowed(req, origin)) {
                LOG.debug("publish refused for origin {}", origin);
                resp.addHeader("Vary", "Origin");
                json(resp, 403, Json.error(refusal(origin), null));
                return;
            }
            resp.addHeader("Vary", "Origin");
            resp.setHeader("Access-Control-Allow-Origin", origin);
        }
        String event;
        try {
            event = eventName(req.getQueryString());
        } catch (BadRequest e) {
            json(resp, 400, Json.error(e.getMessage(), e.field));
            return;
        }
        // Decided on the header alone, before the input stream is touched: a client sending
        // "Expect: 100-continue" gets no 100 and never sends the body.
        long length = req.getContentLengthLong();
        if (length > maxBodyBytes) {
            resp.setHeader("Connection", "close");
            json(resp, 413, tooLarge());
            return;
        }
        AsyncContext async = req.startAsync();
        // The body deadline is enforced by the timer, and the broadcast by the publish queue's bounds; this only
        // ends a request that a broadcast blocked far longer than any backplane's command timeout.
        async.setTimeout(TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + PUBLISH_TIMEOUT_MS);
        BodyReader reader = new BodyReader(async, req.getInputStream(), resp, event, length);
        async.addListener(reader);
        reader.start();
    }

    private String tooLarge() {
        return Json.error("body must be at most " + maxBodyBytes + " bytes", "body");
    }

    /** @return the bytes reserved right now by the bodies this filter holds, for tests */
    long pendingBodyBytes() {
        return pendingBodies.reserved();
    }

    /** The stages of one publish request; each moves only forward, and only one thread moves it to DONE. */
    private enum Stage {
        /** The body is arriving; the container's read callbacks, the timer and the async listener may end it. */
        READING,
        /** The body is complete and queued for, or in, the broadcast; the publish thread answers it. */
        PUBLISHING,
        /** Answered and completed; nothing else is written. */
        DONE
    }

    /**
     * Reads one request's body without blocking, then hands it to the publish executor, which broadcasts it and
     * answers. The container calls the {@link ReadListener} and {@link AsyncListener} methods one at a time; the
     * timer thread calls {@link #check()}; a publish thread runs {@link #broadcast}. {@code stage} moves
     * READING → PUBLISHING → DONE, and whoever moves it to DONE answers the request and only then completes it, so a
     * failure can never leave an empty {@code 200}. {@code buffer} and {@code size} are touched only by the read
     * callbacks while READING, and by the read callback that ends READING; {@code held} (the bytes this body has
     * reserved from {@link PendingBodies}, or {@code -1} once given back) by them and by whoever answers.
     */
    private final class BodyReader implements ReadListener, AsyncListener {
        private final AsyncContext async;
        private final ServletInputStream in;
        private final HttpServletResponse resp;
        private final String event;
        /** The most bytes the buffer ever needs: one past what the body may have, to see that it has too many. */
        private final int bufferLimit;
        private final long started = System.nanoTime();
        private final AtomicReference<Stage> stage = new AtomicReference<>(Stage.READING);
        private final AtomicLong held = new AtomicLong();
        private byte[] buffer = new byte[0];
        private int size;
        private volatile long received;
        private volatile ScheduledFuture<?> check;

        BodyReader(AsyncContext async, ServletInputStream in, HttpServletResponse resp, String event,
                   long contentLength) {
            this.async = async;
            this.in = in;
            this.resp = resp;
            this.event = event;
            // A Content-Length only caps the buffer; it grows with the bytes that arrive, never ahead of them.
            this.bufferLimit = (int) (contentLength >= 0 ? contentLength : maxBodyBytes) + 1;
        }

        void start() {
            schedule(started + Math.min(graceNanos, deadlineNanos));
            in.setReadListener(this);
        }

        private void schedule(long atNanos) {
            try {
                check = timer.schedule(this::check, Math.max(0, atNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (RuntimeException e) {
                // The filter is being destroyed: the container's own shutdown ends this request.
                LOG.debug("publish deadline not scheduled", e);
            }
        }

        @Override
        public void onDataAvailable() throws IOException {
            while (stage.get() == Stage.READING && in.isReady()) {
                if (size == buffer.length && !grow()) {
                    return;
                }
                int n = in.read(buffer, size, buffer.length - size);
                if (n < 0) {
                    return;
                }
                size += n;
                received = size;
                if (size > maxBodyBytes) {
                    end(Stage.READING, 413, tooLarge(), true, null);
                    return;
                }
            }
        }

        /** Doubles the buffer within its limit, reserving the room first; false after shedding the request. */
        private boolean grow() {
            int capacity = (int) Math.min(Math.max(2L * buffer.length, INITIAL_BUFFER_BYTES), bufferLimit);
            long more = capacity - buffer.length;
            long before = held.get();
            if (before < 0 || !pendingBodies.tryReserve(more)) {
                if (before >= 0) {
                    sheddingBodies.record(pendingBodies.reserved() + " of " + pendingBodies.budget()
                            + " bytes held by pending bodies");
                    end(Stage.READING, 503, Json.error("too many notifications are arriving at once; retry later",
                            null), true, OVERLOADED_RETRY_AFTER);
                }
                return false;
            }
            if (!held.compareAndSet(before, before + more)) {
                // Answered meanwhile, and what this body held already given back: this room too.
                pendingBodies.release(more);
                return false;
            }
            buffer = Arrays.copyOf(buffer, capacity);
            return true;
        }

        @Override
        public void onAllDataRead() {
            if (!stage.compareAndSet(Stage.READING, Stage.PUBLISHING)) {
                return;
            }
            cancelCheck();
            String data;
            try {
                data = strictUtf8(buffer, size, "body");
            } catch (BadRequest e) {
                end(Stage.PUBLISHING, 400, Json.error(e.getMessage(), e.field), false, null);
                return;
            }
            buffer = null;
            Object hub = async.getRequest().getServletContext().getAttribute(hubAttribute);
            if (!(hub instanceof Hub)) {
                end(Stage.PUBLISHING, 503, Json.error("no hub under the servlet context attribute \"" + hubAttribute
                        + "\"", null), false, UNAVAILABLE_RETRY_AFTER);
                return;
            }
            SseEvent toSend = SseEvent.builder().event(event).data(data).build();
            try {
                // Off the container thread: a backplane may block for its command timeout while Redis stalls.
                publisher.execute(new Broadcast(this, (Hub) hub, toSend));
            } catch (RejectedExecutionException e) {
                String why = publisher.isShutdown() ? "the server is shutting down" : "too many notifications are "
                        + "waiting to be published; retry later";
                if (!publisher.isShutdown()) {
                    sheddingPublishes.record(publishQueueSize + " notifications already waiting");
                }
                end(Stage.PUBLISHING, 503, Json.error(why, null), false, publisher.isShutdown()
                        ? UNAVAILABLE_RETRY_AFTER : OVERLOADED_RETRY_AFTER);
            }
        }

        /** Runs on a publish thread: the broadcast, then the answer, whatever happens in between. */
        void broadcast(Hub hub, SseEvent toSend) {
            if (stage.get() != Stage.PUBLISHING) {
                return;
            }
            String id;
            try {
                id = hub.broadcast(toSend);
            } catch (Throwable t) {
                failed(t);
                if (t instanceof VirtualMachineError fatal) {
                    // Out of memory or stack: the JVM's own handling must see it too; anything else was answered.
                    throw fatal;
                }
                return;
            }
            end(Stage.PUBLISHING, 202, "{\"id\":" + Json.quote(id) + "}", false, null);
        }

        /** Answers a broadcast that threw with a 503 naming why, logged once, one line. */
        void failed(Throwable t) {
            String why;
            if (t instanceof HubClosedException) {
                why = "the server is shutting down";
                LOG.debug("notification not published: the hub is closed");
            } else {
                why = t instanceof RedisUnavailableException
                        ? "the notification was not published: Redis, which shares it with the other nodes, is "
                        + "unavailable; retry later"
                        : "the notification was not published: the broadcast failed; retry later";
                LOG.warn("notification not published, answered 503: {}", t.toString());
            }
            end(Stage.PUBLISHING, 503, Json.error(why, null), false, UNAVAILABLE_RETRY_AFTER);
        }

        @Override
        public void onError(Throwable t) {
            if (malformed(t)) {
                LOG.debug("publish body malformed: {}", t.toString());
                end(Stage.READING, 400, Json.error("malformed chunked body", "body"), true, null);
                return;
            }
            // The client hung up or the connection timed out: a normal end, not a server fault.
            LOG.debug("publish body not received: {}", t.toString());
            if (!end(Stage.READING, 408, Json.error("the request body did not arrive", "body"), true, null)) {
                // While publishing, the connection failed: nobody is left to answer, but the request must end.
                end(Stage.PUBLISHING, 503, Json.error("the request failed while publishing", null), true, null);
            }
        }

        @Override
        public void onTimeout(AsyncEvent e) {
            if (!end(Stage.READING, 408, Json.error("the request body did not arrive in time", "body"), true, null)) {
                LOG.warn("notification broadcast still running after {} ms; answered 503",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                end(Stage.PUBLISHING, 503, Json.error("the notification was not published in time; it may still "
                        + "arrive", null), false, UNAVAILABLE_RETRY_AFTER);
            }
        }

        @Override
        public void onError(AsyncEvent e) {
            onError(e.getThrowable());
        }

        @Override
        public void onComplete(AsyncEvent e) {
            cancelCheck();
            release();
        }

        @Override
        public void onStartAsync(AsyncEvent e) {
        }

        /** Runs on the timer thread: ends a body that is too slow, or looks again when it next could be. */
        private void check() {
            if (stage.get() != Stage.READING) {
                return;
            }
            long now = System.nanoTime();
            long elapsed = now - started;
            if (elapsed >= deadlineNanos) {
                LOG.debug("publish body not complete after {} ms", TimeUnit.NANOSECONDS.toMillis(elapsed));
                end(Stage.READING, 408, Json.error("the request body did not arrive within "
                        + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms", "body"), true, null);
                return;
            }
            long got = received;
            // The moment at which the body will have fallen below the minimum rate unless more arrives.
            long due = started + graceNanos + (long) ((got + 1) * 1e9 / minBytesPerSecond);
            if (elapsed >= graceNanos && now >= due) {
                LOG.debug("publish body too slow: {} bytes in {} ms", got, TimeUnit.NANOSECONDS.toMillis(elapsed));
                end(Stage.READING, 408, Json.error("the request body arrived slower than " + minBytesPerSecond
                        + " bytes a second", "body"), true, null);
                return;
            }
            schedule(Math.min(due, started + deadlineNanos));
        }

        private void cancelCheck() {
            ScheduledFuture<?> c = check;
            if (c != null) {
                c.cancel(false);
            }
        }

        /** Gives back what this body reserved, once. */
        private void release() {
            long h = held.getAndSet(-1);
            if (h > 0) {
                pendingBodies.release(h);
            }
        }

        /**
         * Answers and completes the request if it is still at {@code from}.
         *
         * @return false if another thread had already moved it on, and then nothing was done
         */
        private boolean end(Stage from, int status, String json, boolean close, String retryAfter) {
            if (!stage.compareAndSet(from, Stage.DONE)) {
                return false;
            }
            cancelCheck();
            release();
            try {
                respond(status, json, close, retryAfter);
            } finally {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    LOG.debug("publish request already completed", e);
                }
            }
            return true;
        }

        private void respond(int status, String json, boolean close, String retryAfter) {
            if (resp.isCommitted()) {
                return;
            }
            try {
                if (close) {
                    // The rest of the body is not read, so the connection cannot carry another request.
                    resp.setHeader("Connection", "close");
                }
                if (retryAfter != null) {
                    resp.setHeader("Retry-After", retryAfter);
                }
                json(resp, status, json);
            } catch (IOException | IllegalStateException e) {
                LOG.debug("publish answer {} not sent: {}", status, e.toString());
            }
        }
    }

    /** One broadcast waiting for, or running on, a publish thread. */
    private static final class Broadcast implements Runnable {
        private final BodyReader request;
        private final Hub hub;
        private final SseEvent event;

        Broadcast(BodyReader request, Hub hub, SseEvent event) {
            this.request = request;
            this.hub = hub;
            this.event = event;
        }

        @Override
        public void run() {
            request.broadcast(hub, event);
        }

        /** Answers a broadcast that never ran because the filter stopped. */
        void abandon() {
            request.end(Stage.PUBLISHING, 503, Json.error("the server is shutting down", null), false,
                    UNAVAILABLE_RETRY_AFTER);
        }
    }

    /**
     * A request body that the container could not parse, such as a malformed chunk size: the container reports it
     * as a 400 of its own (Jetty's {@code BadMessageException}) to the read listener.
     */
    static boolean malformed(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HttpException h && h.getCode() == 400) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads the {@code event} query parameter ourselves: {@code getParameter} would consume a form-encoded body
     * (curl's default for {@code -d}) and silently replaces malformed UTF-8.
     */
    static String eventName(String query) throws BadRequest {
        if (query == null) {
            return null;
        }
        String event = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (!name.equals("event")) {
                continue;
            }
            if (event != null) {
                throw new BadRequest("event must be given at most once", "event");
            }
            event = percentDecode(eq < 0 ? "" : pair.substring(eq + 1));
        }
        if (event == null || event.isEmpty()) {
            // An empty name dispatches as "message" in browsers; sending no event line says so plainly.
            return null;
        }
        for (int i = 0; i < event.length(); i++) {
            char c = event.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                String what = c == '\r' ? "CR" : c == '\n' ? "LF" : "NUL";
                throw new BadRequest("event must not contain CR, LF or NUL (found " + what + " at index " + i + ")",
                        "event");
            }
        }
        return event;
    }

    private static String percentDecode(String s) throws BadRequest {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0x7E || c < 0x21) {
                // The container has already turned the request line's bytes into characters, by a charset of its
                // choosing; only ASCII survives that unambiguously, so anything else must come percent-encoded.
                throw new BadRequest("event must be percent-encoded UTF-8 (found a raw byte that is not printable "
                        + "ASCII at index " + i + ")", "event");
            }
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new BadRequest("event has a malformed percent-escape at index " + i, "event");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return strictUtf8(bytes.toByteArray(), bytes.size(), "event");
    }

    private static String strictUtf8(byte[] bytes, int length, String field) throws BadRequest {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer out = CharBuffer.allocate(length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new BadRequest(field + " is not valid UTF-8 (bad byte sequence at byte offset " + in.position()
                    + ")", field);
        }
        return out.flip().toString();
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** Names POST in the stream servlet's {@code Allow} header, since this filter handles POST on the same URL. */
    private static final class AllowPost extends HttpServletResponseWrapper {
        AllowPost(HttpServletResponse resp) {
            super(resp);
        }

        @Override
        public void setHeader(String name, String value) {
            super.setHeader(name, "Allow".equalsIgnoreCase(name) ? ALLOW : value);
        }

        @Override
        public void addHeader(String name, String value) {
            if ("Allow".equalsIgnoreCase(name)) {
                super.setHeader(name, ALLOW);
            } else {
                super.addHeader(name, value);
            }
        }
    }

    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        private final String field;

        BadRequest(String message, String field) {
            super(message, null, false, false);
            this.field = field;
        }
    }
}
