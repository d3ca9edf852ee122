package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
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
 *       malformed percent-escape or invalid UTF-8; a body that is not valid UTF-8 (naming the byte offset);</li>
 *   <li>{@code 413}: a body over {@code max-body-bytes} (default 1 MiB = 1048576 bytes, which is accepted). A
 *       {@code Content-Length} over the limit is refused before the body is touched, so no {@code 100 Continue}
 *       is sent; a chunked body is counted while it arrives;</li>
 *   <li>{@code 408}: a body that does not arrive within {@code body-deadline-ms} (default 30 s), or that falls below
 *       {@code min-body-rate} bytes a second (default 1024) once {@code body-grace-ms} (default 5 s) have passed:
 *       a body of {@code n} bytes must have reached {@code rate × (elapsed − grace)} bytes at every moment.</li>
 * </ul>
 *
 * <p>The body is read with a {@link ReadListener} on an asynchronous request, so a client that trickles its body
 * holds no container thread while it waits; one daemon timer thread per filter enforces the deadlines. {@code GET}
 * and {@code HEAD} pass to the stream. {@code OPTIONS} with {@code Access-Control-Request-Method: POST} is the
 * publish preflight, answered here ({@code 204} for an allowed origin, else {@code 403}); any other {@code OPTIONS}
 * passes to the stream's own preflight. Other methods get {@code 405}.
 *
 * <p>Init-params: {@code hub}, the servlet context attribute naming the {@link Hub} to publish to;
 * {@code max-body-bytes}, {@code body-deadline-ms}, {@code body-grace-ms}, {@code min-body-rate}. Cross-origin
 * publishers are allowed by the context init-param {@value #ALLOWED_ORIGINS} (comma-separated origins such as
 * {@code https://app.example.com}, or {@code *}), which {@link DemoServer} sets from {@code --allow-origin}.
 *
 * <p>Threads: the container calls {@code doFilter} concurrently and the read callbacks of one request one at a time;
 * the timer thread may end a request concurrently with its read callbacks, and whichever claims the request first
 * answers it (see {@code BodyReader}).
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
    /** The context init-param listing the origins, other than the server's own, that may publish. */
    public static final String ALLOWED_ORIGINS = "dev.sse.examples.allowedOrigins";

    static final String ALLOW = "GET, HEAD, POST, OPTIONS";

    private transient String hubAttribute;
    private transient int maxBodyBytes;
    private transient long deadlineNanos;
    private transient long graceNanos;
    private transient long minBytesPerSecond;
    private transient Set<String> allowedOrigins;
    private transient ScheduledExecutorService timer;

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
        // The deadline is enforced by the timer below; this only catches a request the timer somehow missed.
        async.setTimeout(TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + 10_000);
        BodyReader reader = new BodyReader(async, req.getInputStream(), resp, event, length);
        async.addListener(reader);
        reader.start();
    }

    private String tooLarge() {
        return Json.error("body must be at most " + maxBodyBytes + " bytes", "body");
    }

    /**
     * Reads one request's body without blocking and answers it. The container calls the {@link ReadListener} and
     * {@link AsyncListener} methods one at a time; the timer thread calls {@link #check()}. Whoever first sets
     * {@code done} answers the request and completes it; the others then do nothing. {@code body} is touched only
     * by the container's read callbacks; {@code received} is written by them and read by the timer.
     */
    private final class BodyReader implements ReadListener, AsyncListener {
        private final AsyncContext async;
        private final ServletInputStream in;
        private final HttpServletResponse resp;
        private final String event;
        private final ByteArrayOutputStream body;
        private final byte[] chunk = new byte[8192];
        private final long started = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile long received;
        private volatile ScheduledFuture<?> check;

        BodyReader(AsyncContext async, ServletInputStream in, HttpServletResponse resp, String event,
                   long contentLength) {
            this.async = async;
            this.in = in;
            this.resp = resp;
            this.event = event;
            this.body = new ByteArrayOutputStream(contentLength >= 0 ? (int) contentLength : 8192);
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
            while (!done.get() && in.isReady()) {
                int n = in.read(chunk);
                if (n < 0) {
                    return;
                }
                long total = received + n;
                received = total;
                if (total > maxBodyBytes) {
                    finish(413, tooLarge(), true);
                    return;
                }
                body.write(chunk, 0, n);
            }
        }

        @Override
        public void onAllDataRead() throws IOException {
            if (!claim()) {
                return;
            }
            try {
                String data;
                try {
                    data = strictUtf8(body.toByteArray(), "body");
                } catch (BadRequest e) {
                    respond(400, Json.error(e.getMessage(), e.field), false);
                    return;
                }
                Object hub = async.getRequest().getServletContext().getAttribute(hubAttribute);
                if (!(hub instanceof Hub)) {
                    respond(503, Json.error("no hub under the servlet context attribute \"" + hubAttribute + "\"",
                            null), false);
                    return;
                }
                String id;
                try {
                    id = ((Hub) hub).broadcast(SseEvent.builder().event(event).data(data).build());
                } catch (IllegalStateException e) {
                    respond(503, Json.error("the server is shutting down", null), false);
                    return;
                }
                respond(202, "{\"id\":" + Json.quote(id) + "}", false);
            } finally {
                async.complete();
            }
        }

        @Override
        public void onError(Throwable t) {
            // The client hung up or the connection timed out: a normal end, not a server fault.
            LOG.debug("publish body not received: {}", t.toString());
            finish(408, Json.error("the request body did not arrive", "body"), true);
        }

        @Override
        public void onTimeout(AsyncEvent e) {
            finish(408, Json.error("the request body did not arrive in time", "body"), true);
        }

        @Override
        public void onError(AsyncEvent e) {
            onError(e.getThrowable());
        }

        @Override
        public void onComplete(AsyncEvent e) {
            ScheduledFuture<?> c = check;
            if (c != null) {
                c.cancel(false);
            }
        }

        @Override
        public void onStartAsync(AsyncEvent e) {
        }

        /** Runs on the timer thread: ends a body that is too slow, or looks again when it next could be. */
        private void check() {
            if (done.get()) {
                return;
            }
            long now = System.nanoTime();
            long elapsed = now - started;
            if (elapsed >= deadlineNanos) {
                LOG.debug("publish body not complete after {} ms", TimeUnit.NANOSECONDS.toMillis(elapsed));
                finish(408, Json.error("the request body did not arrive within "
                        + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms", "body"), true);
                return;
            }
            long got = received;
            // The moment at which the body will have fallen below the minimum rate unless more arrives.
            long due = started + graceNanos + (long) ((got + 1) * 1e9 / minBytesPerSecond);
            if (elapsed >= graceNanos && now >= due) {
                LOG.debug("publish body too slow: {} bytes in {} ms", got, TimeUnit.NANOSECONDS.toMillis(elapsed));
                finish(408, Json.error("the request body arrived slower than " + minBytesPerSecond
                        + " bytes a second", "body"), true);
                return;
            }
            schedule(Math.min(due, started + deadlineNanos));
        }

        private boolean claim() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> c = check;
            if (c != null) {
                c.cancel(false);
            }
            return true;
        }

        private void finish(int status, String json, boolean close) {
            if (!claim()) {
                return;
            }
            try {
                respond(status, json, close);
            } finally {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    LOG.debug("publish request already completed", e);
                }
            }
        }

        private void respond(int status, String json, boolean close) {
            if (resp.isCommitted()) {
                return;
            }
            try {
                if (close) {
                    // The rest of the body is not read, so the connection cannot carry another request.
                    resp.setHeader("Connection", "close");
                }
                json(resp, status, json);
            } catch (IOException | IllegalStateException e) {
                LOG.debug("publish answer {} not sent: {}", status, e.toString());
            }
        }
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
        return strictUtf8(bytes.toByteArray(), "event");
    }

    private static String strictUtf8(byte[] bytes, String field) throws BadRequest {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
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
