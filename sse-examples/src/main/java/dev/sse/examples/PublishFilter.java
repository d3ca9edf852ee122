package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.BadRequest;
import dev.sse.examples.shared.Json;
import dev.sse.examples.shared.Origins;
import dev.sse.examples.shared.PendingBodies;
import dev.sse.examples.shared.RequestBodies;
import dev.sse.redis.RedisUnavailableException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
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
 * <p>The body is read by {@link RequestBodies} (shared with the chat): its buffer grows with the bytes that arrive
 * (from 1 KiB, doubling, never past its {@code Content-Length} or the limit), and reserves that room from one budget
 * shared by every body this filter holds, so a client that declares 1 MiB and sends a trickle holds a trickle. It is
 * read with a {@code ReadListener} on an asynchronous request, so a client that trickles its body holds no container
 * thread while it waits; one daemon timer thread per filter enforces the deadlines. The broadcast
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
 * <p>Threads: the container calls {@code doFilter} concurrently; {@link RequestBodies} reads each body and hands it,
 * on a container thread, to this filter, which queues its broadcast; a publish thread broadcasts and answers it,
 * unless the request was ended first (a timeout), and whichever ends the request first answers it.
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
    /** How long a broadcast may take before its request is answered 503 anyway; far above Redis's 2 s timeout. */
    private static final long PUBLISH_TIMEOUT_MS = 60_000;
    /** Retry-After, in seconds, when the demo sheds load: the overload is usually gone in a moment. */
    private static final String OVERLOADED_RETRY_AFTER = "1";
    /** Retry-After, in seconds, when the broadcast failed: a backplane outage or a restart takes a while. */
    private static final String UNAVAILABLE_RETRY_AFTER = "5";

    private transient String hubAttribute;
    private transient Origins origins;
    private transient RequestBodies bodies;
    private transient int publishQueueSize;
    private transient ThreadPoolExecutor publisher;
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
        origins = Origins.allowing(origins(config.getServletContext().getInitParameter(ALLOWED_ORIGINS)));
        bodies = bodies(config::getInitParameter, "demo-publish-deadlines", DEFAULT_MAX_BODY_BYTES, Integer.MAX_VALUE - 1,
                "too many notifications are arriving at once; retry later",
                new ThrottledWarning("publish refused with 503, the pending-body budget is spent",
                        TimeUnit.SECONDS.toNanos(10), System::nanoTime, line -> LOG.warn(line)))
                .handlingTimeoutMillis(PUBLISH_TIMEOUT_MS).build();
        int threads = (int) number(config::getInitParameter, "publish-threads", DEFAULT_PUBLISH_THREADS, 64);
        publishQueueSize = (int) number(config::getInitParameter, "publish-queue", DEFAULT_PUBLISH_QUEUE, 100_000);
        AtomicInteger publishThreads = new AtomicInteger();
        publisher = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(publishQueueSize), r -> {
                    Thread thread = new Thread(r, "demo-publish-" + publishThreads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        sheddingPublishes = new ThrottledWarning("publish refused with 503, the publish queue is full",
                TimeUnit.SECONDS.toNanos(10), System::nanoTime, line -> LOG.warn(line));
    }

    @Override
    public void destroy() {
        if (bodies != null) {
            bodies.close();
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

    /**
     * A body reader configured by a filter's or servlet's init-params {@code max-body-bytes}, {@code body-deadline-ms},
     * {@code body-grace-ms}, {@code min-body-rate} and {@code max-pending-body-bytes}; the chat's is built here too,
     * so both read bodies alike.
     */
    static RequestBodies.Builder bodies(Function<String, String> initParam, String threadName,
                                        int defaultMax, int mostMax, String shedMessage, ThrottledWarning shedding)
            throws ServletException {
        return RequestBodies.builder()
                .maxBodyBytes(number(initParam, "max-body-bytes", defaultMax, mostMax))
                .deadlineMillis(number(initParam, "body-deadline-ms", DEFAULT_BODY_DEADLINE_MS,
                        TimeUnit.DAYS.toMillis(1)))
                .graceMillis(number(initParam, "body-grace-ms", DEFAULT_BODY_GRACE_MS, TimeUnit.DAYS.toMillis(1)))
                .minBytesPerSecond(number(initParam, "min-body-rate", DEFAULT_MIN_BODY_RATE, Integer.MAX_VALUE))
                .budget(new PendingBodies(number(initParam, "max-pending-body-bytes", DEFAULT_MAX_PENDING_BODY_BYTES,
                        Long.MAX_VALUE / 2)))
                .onShed(shedMessage, shedding::record)
                .malformed(PublishFilter::malformed)
                .threadName(threadName);
    }

    static long number(Function<String, String> initParam, String name, long dflt, long most)
            throws ServletException {
        String value = initParam.apply(name);
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
        return Origins.parse(list);
    }

    @Override
    protected void doFilter(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        switch (req.getMethod()) {
            case "GET", "HEAD" -> chain.doFilter(req, resp);
            case "POST" -> publish(req, resp);
            case "OPTIONS" -> {
                if ("POST".equals(req.getHeader("Access-Control-Request-Method"))) {
                    origins.preflight(req, resp, ALLOW, "publish");
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

    private void publish(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!origins.admit(req, resp, "publish")) {
            LOG.debug("publish refused for origin {}", req.getHeader("Origin"));
            return;
        }
        String event;
        try {
            event = eventName(req.getQueryString());
        } catch (BadRequest e) {
            json(resp, 400, e.json());
            return;
        }
        bodies.read(req, resp, new Publication(event));
    }

    /** @return the bytes reserved right now by the bodies this filter holds, for tests */
    long pendingBodyBytes() {
        return bodies.pendingBodyBytes();
    }

    /**
     * One notification whose body has arrived: queued for a publish thread on the container thread that read it,
     * then broadcast and answered there; a full queue or a stopping filter is answered at once.
     */
    private final class Publication implements RequestBodies.Handler {
        private final String event;

        Publication(String event) {
            this.event = event;
        }

        @Override
        public void received(String data, RequestBodies.Body body) {
            Object hub = getServletContext().getAttribute(hubAttribute);
            if (!(hub instanceof Hub)) {
                body.answer(503, Json.error("no hub under the servlet context attribute \"" + hubAttribute + "\"",
                        null), false, UNAVAILABLE_RETRY_AFTER);
                return;
            }
            SseEvent toSend = SseEvent.builder().event(event).data(data).build();
            try {
                // Off the container thread: a backplane may block for its command timeout while Redis stalls.
                publisher.execute(new Broadcast(body, (Hub) hub, toSend));
            } catch (RejectedExecutionException e) {
                String why = publisher.isShutdown() ? "the server is shutting down" : "too many notifications are "
                        + "waiting to be published; retry later";
                if (!publisher.isShutdown()) {
                    sheddingPublishes.record(publishQueueSize + " notifications already waiting");
                }
                body.answer(503, Json.error(why, null), false, publisher.isShutdown()
                        ? UNAVAILABLE_RETRY_AFTER : OVERLOADED_RETRY_AFTER);
            }
        }

        @Override
        public void timedOut(RequestBodies.Body body) {
            LOG.warn("notification broadcast still running after {} ms; answered 503", PUBLISH_TIMEOUT_MS);
            body.answer(503, Json.error("the notification was not published in time; it may still arrive", null),
                    false, UNAVAILABLE_RETRY_AFTER);
        }
    }

    /** Runs on a publish thread: the broadcast, then the answer, whatever happens in between. */
    private static void broadcast(RequestBodies.Body body, Hub hub, SseEvent toSend) {
        if (!body.pending()) {
            return;
        }
        String id;
        try {
            id = hub.broadcast(toSend);
        } catch (Throwable t) {
            failed(body, t);
            if (t instanceof VirtualMachineError fatal) {
                // Out of memory or stack: the JVM's own handling must see it too; anything else was answered.
                throw fatal;
            }
            return;
        }
        body.answer(202, "{\"id\":" + Json.quote(id) + "}", false, null);
    }

    /** Answers a broadcast that threw with a 503 naming why, logged once, one line. */
    private static void failed(RequestBodies.Body body, Throwable t) {
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
        body.answer(503, Json.error(why, null), false, UNAVAILABLE_RETRY_AFTER);
    }

    /** One broadcast waiting for, or running on, a publish thread. */
    private static final class Broadcast implements Runnable {
        private final RequestBodies.Body request;
        private final Hub hub;
        private final SseEvent event;

        Broadcast(RequestBodies.Body request, Hub hub, SseEvent event) {
            this.request = request;
            this.hub = hub;
            this.event = event;
        }

        @Override
        public void run() {
            broadcast(request, hub, event);
        }

        /** Answers a broadcast that never ran because the filter stopped. */
        void abandon() {
            request.answer(503, Json.error("the server is shutting down", null), false, UNAVAILABLE_RETRY_AFTER);
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
        return RequestBodies.strictUtf8(bytes.toByteArray(), bytes.size(), "event");
    }

    private static void json(HttpServletResponse resp, int status, String body) throws IOException {
        RequestBodies.json(resp, status, body);
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
}
