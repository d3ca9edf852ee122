package dev.sse.servlet;

import dev.sse.core.http.Decision;
import dev.sse.core.http.Header;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.Json;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.RequestText;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads request bodies as UTF-8 text without holding a container thread while they arrive, then hands each whole body
 * to a {@link Handler}: what an endpoint that takes a {@code POST} (a prompt answered on an {@link SseStreams} stream,
 * a publication) needs so that a client trickling its body, or declaring more than it sends, cannot hold threads or
 * memory. {@link SseServlet}'s publishing reads its bodies with it.
 *
 * <pre>{@code
 * RequestBodies bodies = RequestBodies.builder().maxBodyBytes(65_536).build();   // once, closed on destroy
 * protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
 *     if (!bodies.admit(req, resp, "chat")) return;                             // 403 for a foreign page
 *     bodies.read(req, resp, (text, body) -> body.dispatch("prompt", text));   // back in service(), async
 * }
 * }</pre>
 *
 * Refused, with a JSON body naming {@code body}, and the connection closed where the rest of the body is left unread:
 * <ul>
 *   <li>{@code 413}: over {@code maxBodyBytes}; a {@code Content-Length} over it before the body is touched (so no
 *       {@code 100 Continue}), a chunked body while it arrives: {@code {"error":"body must be at most N
 *       bytes","field":"body"}};</li>
 *   <li>{@code 408}: not whole within the deadline, or below the minimum rate once the grace time has passed (a body
 *       must have reached {@code rate × (elapsed − grace)} bytes at every moment);</li>
 *   <li>{@code 400}: not valid UTF-8 (naming the byte offset), or a malformed chunked encoding (as Jetty and Tomcat
 *       report it);</li>
 *   <li>{@code 503} with {@code Retry-After: 1}: the bodies held at once would pass {@code maxPendingBytes} (one WARN
 *       line every 10 seconds at most says how often).</li>
 * </ul>
 * A body's buffer grows with the bytes that arrive (from 1 KiB, doubling, never past its {@code Content-Length} or
 * the limit), reserving the room from the shared budget first, so a client that declares 1 MiB and sends a trickle
 * holds a trickle.
 *
 * <p>{@link #admit} and {@link #preflight} apply the cross-origin rules of a write: a request without {@code Origin}
 * is allowed; so is a listed origin; so is the server's own, which is {@code publicOrigin} when set, else the
 * request's own only under {@code localhost} or an IP address (any other name could be an attacker's page rebound by
 * DNS to this server).
 *
 * <p>Threads: {@link #read} runs on the container's request thread and starts an asynchronous request (the servlet
 * and every filter before it must be async-supported); the container then calls one request's read and async
 * callbacks one at a time; this object's single daemon timer thread enforces the deadlines concurrently with them;
 * the handler runs on the container thread that read the last byte, and may pass its {@link Body} to any thread.
 * Whoever moves a request to its end first answers it (a stage moved by compare-and-set), and only then completes it,
 * so a failure never leaves an empty {@code 200}. Thread-safe; {@link #close()} once, when the application stops.
 */
public final class RequestBodies implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);
    /** A body's first buffer; it doubles from there as bytes arrive. */
    private static final int INITIAL_BUFFER_BYTES = 1024;
    private static final long SHED_WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int maxBodyBytes;
    private final long deadlineNanos;
    private final long graceNanos;
    private final long minBytesPerSecond;
    private final long handlingTimeoutMillis;
    private final PendingBodies budget;
    private final String shedMessage;
    private final PublishRules origins;
    private final ScheduledExecutorService timer;
    /** When the last shedding WARN was logged, and how many were shed since; any thread. */
    private final AtomicLong lastShedWarning = new AtomicLong(System.nanoTime() - SHED_WARNING_INTERVAL_NANOS);
    private final AtomicLong shedSinceWarning = new AtomicLong();

    private RequestBodies(Builder b) {
        this.maxBodyBytes = b.maxBodyBytes;
        this.deadlineNanos = b.deadline.toNanos();
        this.graceNanos = b.grace.toNanos();
        this.minBytesPerSecond = b.minBytesPerSecond;
        this.handlingTimeoutMillis = b.handlingTimeout.toMillis();
        this.budget = new PendingBodies(b.maxPendingBytes);
        this.shedMessage = b.shedMessage;
        this.origins = new PublishRules(b.allowedOrigins, b.allowCredentials, b.publicOrigin, "topic");
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, b.threadName);
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    /** @return a builder with the defaults: 1 MiB, 30 s, 5 s grace, 1024 bytes a second, 64 MiB held at once */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the most bytes a body may have */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** @return the bytes reserved right now by the bodies being read or handled, at most {@code maxPendingBytes} */
    public long pendingBodyBytes() {
        return budget.reserved();
    }

    /**
     * Admits a {@code POST} by its {@code Origin} (see the class comment): for an allowed origin sets
     * {@code Access-Control-Allow-Origin} (and {@code Vary: Origin}); for any other answers {@code 403} with
     * {@code {"error":"origin https://evil.example may not <action> here"}}. Call before {@link #read}.
     *
     * @param req the request
     * @param resp its response
     * @param action what is refused, for the message, e.g. {@code chat}
     * @return whether the request may go on; {@code false} once answered
     * @throws IOException if the {@code 403} could not be written
     */
    public boolean admit(HttpServletRequest req, HttpServletResponse resp, String action) throws IOException {
        Decision<Void> origin = origins.admitOrigin(new ServletRequestView(req), Objects.requireNonNull(action,
                "action"));
        if (!origin.accepted()) {
            ErrorResponse.writeOrThrow(resp, origin.refusal());
            return false;
        }
        ErrorResponse.addHeaders(resp, origin.headers());
        return true;
    }

    /**
     * Answers the CORS preflight of a {@code POST} ({@code OPTIONS} with {@code Access-Control-Request-Method:
     * POST}): {@code 204} for no or an allowed origin, with {@code Access-Control-Allow-Methods: POST}, the headers
     * asked for and a 600 s max age; {@code 403} with JSON as {@link #admit} for any other.
     *
     * @param req the {@code OPTIONS} request
     * @param resp its response
     * @param allow the {@code Allow} header's value, e.g. {@code POST, OPTIONS}
     * @param action what is refused, for the message
     * @throws IOException if the answer could not be written
     */
    public void preflight(HttpServletRequest req, HttpServletResponse resp, String allow, String action)
            throws IOException {
        ErrorResponse.writeOrThrow(resp, origins.preflight(new ServletRequestView(req), Objects.requireNonNull(allow,
                "allow"), Objects.requireNonNull(action, "action")));
    }

    /** Stops the deadline timer; requests still reading are ended by the container's own shutdown. */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    /**
     * Reads the request's body and gives it to the handler, or answers the request itself when the body is refused.
     * Call on the container's request thread, with asynchronous support enabled; the request is asynchronous
     * afterwards unless it was answered {@code 413} at once. The handler is called at most once.
     *
     * @param req the request
     * @param resp its response
     * @param handler what to do with the text
     * @throws IOException if the {@code 413} could not be written
     */
    public void read(HttpServletRequest req, HttpServletResponse resp, Handler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        // Decided on the header alone, before the input stream is touched: a client sending
        // "Expect: 100-continue" gets no 100 and never sends the body.
        long length = req.getContentLengthLong();
        if (length > maxBodyBytes) {
            resp.setHeader("Connection", "close");
            ErrorResponse.writeOrThrow(resp, PublishRules.bodyTooLarge(maxBodyBytes));
            return;
        }
        AsyncContext async = req.startAsync();
        // The body deadline is enforced by the timer; this only ends a request its handler held far too long.
        async.setTimeout(TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + handlingTimeoutMillis);
        BodyReader reader = new BodyReader(async, req.getInputStream(), resp, handler, length);
        async.addListener(reader);
        reader.start();
    }

    /** What to do with a body once it has arrived whole and is valid UTF-8. */
    public interface Handler {
        /**
         * Called once, on the container thread that read the body's last byte. The handler must end the request
         * through {@code body}, now or later, from any thread.
         *
         * @param text the body
         * @param body the request, to answer or hand back to the container
         */
        void received(String text, Body body);

        /**
         * Called on a container thread when the handler has not ended the request within the body deadline plus
         * the handling timeout. By default a {@code 503} with {@code Retry-After: 5} and
         * {@code {"error":"the request was not handled in time"}}.
         *
         * @param body the request
         */
        default void timedOut(Body body) {
            body.answer(503, Json.error("the request was not handled in time", null), false,
                    PublishRules.UNAVAILABLE_RETRY_AFTER);
        }
    }

    /** One request whose body a {@link Handler} holds; each method acts only if the request is still the handler's. */
    public interface Body {
        /**
         * Answers with a JSON body ({@code Content-Type: application/json;charset=utf-8},
         * {@code Cache-Control: no-store}) and completes the request.
         *
         * @param status the status
         * @param json the JSON text, written as given
         * @param closeConnection whether the connection must not carry another request
         * @param retryAfter a {@code Retry-After} value, or {@code null}
         * @return {@code false} if the request had already ended (answered, timed out, failed), and nothing was done
         */
        boolean answer(int status, String json, boolean closeConnection, String retryAfter);

        /**
         * Hands the request back to the container: an asynchronous dispatch to the same path, where the servlet
         * finds {@code value} under the request attribute {@code name} and may start a new asynchronous cycle (a
         * stream). The body's reserved memory is given back now.
         *
         * @param name the request attribute
         * @param value its value
         * @return {@code false} if the request had already ended, and nothing was done
         */
        boolean dispatch(String name, Object value);

        /** @return whether the request is still the handler's to end */
        boolean pending();
    }

    /** The stages of one request; each moves only forward, and only one thread moves it to DONE. */
    private enum Stage {
        /** The body is arriving; the container's read callbacks, the timer and the async listener may end it. */
        READING,
        /** The body is complete and with the handler, who ends it. */
        HANDLING,
        /** Answered and completed, or dispatched; nothing else is written. */
        DONE
    }

    /**
     * One request's body: read without blocking, then given to the handler. {@code buffer} and {@code size} are
     * touched only by the read callbacks while READING, and by the read callback that ends READING; {@code held} (the
     * bytes this body has reserved from the budget, or {@code -1} once given back) by them and by whoever ends it.
     */
    private final class BodyReader implements ReadListener, AsyncListener, Body {
        private final AsyncContext async;
        private final ServletInputStream in;
        private final HttpServletResponse resp;
        private final Handler handler;
        /** The most bytes the buffer ever needs: one past what the body may have, to see that it has too many. */
        private final int bufferLimit;
        private final long started = System.nanoTime();
        private final AtomicReference<Stage> stage = new AtomicReference<>(Stage.READING);
        private final AtomicLong held = new AtomicLong();
        private byte[] buffer = new byte[0];
        private int size;
        private volatile long received;
        private volatile ScheduledFuture<?> check;

        BodyReader(AsyncContext async, ServletInputStream in, HttpServletResponse resp, Handler handler,
                   long contentLength) {
            this.async = async;
            this.in = in;
            this.resp = resp;
            this.handler = handler;
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
                // Shutting down: the container's own shutdown ends this request.
                LOG.debug("body deadline not scheduled", e);
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
                    end(Stage.READING, PublishRules.bodyTooLarge(maxBodyBytes), true);
                    return;
                }
            }
        }

        /** Doubles the buffer within its limit, reserving the room first; false after shedding the request. */
        private boolean grow() {
            int capacity = (int) Math.min(Math.max(2L * buffer.length, INITIAL_BUFFER_BYTES), bufferLimit);
            long more = capacity - buffer.length;
            long before = held.get();
            if (before < 0 || !budget.tryReserve(more)) {
                if (before >= 0) {
                    shed();
                    end(Stage.READING, PublishRules.overloaded(shedMessage), true);
                }
                return false;
            }
            if (!held.compareAndSet(before, before + more)) {
                // Answered meanwhile, and what this body held already given back: this room too.
                budget.release(more);
                return false;
            }
            buffer = Arrays.copyOf(buffer, capacity);
            return true;
        }

        @Override
        public void onAllDataRead() {
            if (!stage.compareAndSet(Stage.READING, Stage.HANDLING)) {
                return;
            }
            cancelCheck();
            Decision<String> decoded = RequestText.strictUtf8(buffer, size, "body");
            if (!decoded.accepted()) {
                end(Stage.HANDLING, decoded.refusal(), false);
                return;
            }
            String text = decoded.value();
            buffer = null;
            try {
                handler.received(text, this);
            } catch (RuntimeException e) {
                LOG.warn("request body handler failed, answered 500", e);
                end(Stage.HANDLING, HttpAnswer.error(500, null, "the request failed"), false);
            }
        }

        @Override
        public boolean answer(int status, String json, boolean closeConnection, String retryAfter) {
            HttpAnswer a = HttpAnswer.json(status, json);
            return end(Stage.HANDLING, retryAfter == null ? a : a.withHeadersFirst(List.of(new Header("Retry-After",
                    retryAfter))), closeConnection);
        }

        @Override
        public boolean dispatch(String name, Object value) {
            if (!stage.compareAndSet(Stage.HANDLING, Stage.DONE)) {
                return false;
            }
            release();
            async.getRequest().setAttribute(name, value);
            try {
                async.dispatch();
            } catch (IllegalStateException e) {
                LOG.debug("request ended before its dispatch", e);
            }
            return true;
        }

        @Override
        public boolean pending() {
            return stage.get() == Stage.HANDLING;
        }

        @Override
        public void onError(Throwable t) {
            if (malformed(t)) {
                LOG.debug("request body malformed: {}", t.toString());
                end(Stage.READING, HttpAnswer.error(400, "body", "malformed chunked body"), true);
                return;
            }
            // The client hung up or the connection timed out: a normal end, not a server fault.
            LOG.debug("request body not received: {}", t.toString());
            if (!end(Stage.READING, PublishRules.bodyLate("the request body did not arrive"), true)) {
                // While handled, the connection failed: nobody is left to answer, but the request must end.
                end(Stage.HANDLING, HttpAnswer.error(503, null, "the request failed while being handled"), true);
            }
        }

        @Override
        public void onTimeout(AsyncEvent e) {
            if (!end(Stage.READING, PublishRules.bodyLate("the request body did not arrive in time"), true)
                    && stage.get() == Stage.HANDLING) {
                LOG.warn("request still handled after {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
                        - started));
                handler.timedOut(this);
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
            // A new cycle after dispatch(): this reader is done and not re-registered.
        }

        /** Runs on the timer thread: ends a body that is too slow, or looks again when it next could be. */
        private void check() {
            if (stage.get() != Stage.READING) {
                return;
            }
            long now = System.nanoTime();
            long elapsed = now - started;
            if (elapsed >= deadlineNanos) {
                LOG.debug("request body not complete after {} ms", TimeUnit.NANOSECONDS.toMillis(elapsed));
                end(Stage.READING, PublishRules.bodyLate("the request body did not arrive within "
                        + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms"), true);
                return;
            }
            long got = received;
            // The moment at which the body will have fallen below the minimum rate unless more arrives.
            long due = started + graceNanos + (long) ((got + 1) * 1e9 / minBytesPerSecond);
            if (elapsed >= graceNanos && now >= due) {
                LOG.debug("request body too slow: {} bytes in {} ms", got, TimeUnit.NANOSECONDS.toMillis(elapsed));
                end(Stage.READING, PublishRules.bodyLate("the request body arrived slower than " + minBytesPerSecond
                        + " bytes a second"), true);
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
                budget.release(h);
            }
        }

        /**
         * Answers and completes the request if it is still at {@code from}.
         *
         * @return false if another thread had already moved it on, and then nothing was done
         */
        private boolean end(Stage from, HttpAnswer answer, boolean close) {
            if (!stage.compareAndSet(from, Stage.DONE)) {
                return false;
            }
            cancelCheck();
            release();
            try {
                respond(answer, close);
            } finally {
                try {
                    async.complete();
                } catch (IllegalStateException e) {
                    LOG.debug("request already completed", e);
                }
            }
            return true;
        }

        private void respond(HttpAnswer answer, boolean close) {
            if (resp.isCommitted()) {
                return;
            }
            try {
                if (close) {
                    // The rest of the body is not read, so the connection cannot carry another request.
                    resp.setHeader("Connection", "close");
                }
                ErrorResponse.writeOrThrow(resp, answer);
            } catch (IOException | IllegalStateException e) {
                LOG.debug("answer {} not sent: {}", answer.status(), e.toString());
            }
        }
    }

    /** Logs the shedding at most once every 10 seconds, with how many were shed since the last line. */
    private void shed() {
        long n = shedSinceWarning.incrementAndGet();
        long now = System.nanoTime();
        long last = lastShedWarning.get();
        if (now - last >= SHED_WARNING_INTERVAL_NANOS && lastShedWarning.compareAndSet(last, now)) {
            shedSinceWarning.addAndGet(-n);
            LOG.warn("{} request bodies refused with 503 in the last {} s: {} of {} bytes held by pending bodies", n,
                    TimeUnit.NANOSECONDS.toSeconds(now - last), budget.reserved(), budget.budget());
        }
    }

    /**
     * Whether a read failure is the container's report of a malformed body (a bad chunk size) rather than a client
     * that went away: Jetty reports a {@code BadMessageException}, Tomcat a {@code BadRequestException}. Known by
     * name, since this module depends on no container.
     */
    static boolean malformed(Throwable t) {
        int depth = 0;
        for (Throwable c = t; c != null && depth < 16; c = c.getCause(), depth++) {
            for (Class<?> k = c.getClass(); k != null; k = k.getSuperclass()) {
                if (k.getName().equals("org.apache.coyote.BadRequestException") || jettyBadRequest(k, c)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Jetty's failures carry their status through its {@code HttpException} interface: 400 is a malformed body. */
    private static boolean jettyBadRequest(Class<?> k, Throwable t) {
        for (Class<?> i : k.getInterfaces()) {
            if (i.getName().equals("org.eclipse.jetty.http.HttpException")) {
                try {
                    return Integer.valueOf(400).equals(i.getMethod("getCode").invoke(t));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    LOG.debug("status of {} not read: {}", t.getClass().getName(), e.toString());
                    return false;
                }
            }
        }
        return false;
    }

    /** Builds {@link RequestBodies}; every setting has a default. Not thread-safe. */
    public static final class Builder {
        private int maxBodyBytes = 1 << 20;
        private Duration deadline = Duration.ofSeconds(30);
        private Duration grace = Duration.ofSeconds(5);
        private long minBytesPerSecond = 1024;
        private long maxPendingBytes = 64L << 20;
        private Duration handlingTimeout = Duration.ofSeconds(60);
        private String shedMessage = "too many requests are arriving at once; retry later";
        private Set<String> allowedOrigins = Set.of();
        private boolean allowCredentials;
        private String publicOrigin;
        private String threadName = "sse-body-deadlines";

        private Builder() {
        }

        /**
         * The most bytes a body may have; more is {@code 413}. Default 1 MiB (1048576 bytes, which is accepted).
         *
         * @param bytes from 1 to {@code Integer.MAX_VALUE - 1}
         * @return this
         */
        public Builder maxBodyBytes(long bytes) {
            this.maxBodyBytes = (int) positive("maxBodyBytes", bytes, Integer.MAX_VALUE - 1);
            return this;
        }

        /**
         * The time a whole body may take to arrive; past it {@code 408}. Default 30 s.
         *
         * @param deadline from 1 ms to a day
         * @return this
         */
        public Builder deadline(Duration deadline) {
            this.deadline = Duration.ofMillis(positive("bodyDeadline", millis(deadline, "deadline"),
                    TimeUnit.DAYS.toMillis(1)));
            return this;
        }

        /**
         * The time before the minimum rate applies. Default 5 s.
         *
         * @param grace from 1 ms to a day
         * @return this
         */
        public Builder grace(Duration grace) {
            this.grace = Duration.ofMillis(positive("bodyGrace", millis(grace, "grace"), TimeUnit.DAYS.toMillis(1)));
            return this;
        }

        /**
         * The rate a body must keep after the grace time; below it {@code 408}. Default 1024 bytes a second.
         *
         * @param bytesPerSecond at least 1
         * @return this
         */
        public Builder minBytesPerSecond(long bytesPerSecond) {
            this.minBytesPerSecond = positive("minBodyRate", bytesPerSecond, Integer.MAX_VALUE);
            return this;
        }

        /**
         * The memory all bodies read by this object may hold at once, arriving or with their handler; past it
         * {@code 503}. Default 64 MiB.
         *
         * @param bytes at least 1
         * @return this
         */
        public Builder maxPendingBytes(long bytes) {
            this.maxPendingBytes = positive("maxPendingBodyBytes", bytes, Long.MAX_VALUE / 2);
            return this;
        }

        /**
         * How long a handler may hold a request after the body deadline before {@link Handler#timedOut} is called.
         * Default 60 s.
         *
         * @param timeout from 1 ms to a day
         * @return this
         */
        public Builder handlingTimeout(Duration timeout) {
            this.handlingTimeout = Duration.ofMillis(positive("handlingTimeout", millis(timeout, "timeout"),
                    TimeUnit.DAYS.toMillis(1)));
            return this;
        }

        /**
         * The {@code error} of the {@code 503} when the memory budget is spent, e.g. {@code too many chats are
         * arriving at once; retry later}.
         *
         * @param message the message
         * @return this
         */
        public Builder shedMessage(String message) {
            this.shedMessage = Objects.requireNonNull(message, "message");
            return this;
        }

        /**
         * Origins besides the server's own whose pages may send bodies ({@link #admit}); {@code *} allows any.
         *
         * @param origins the origins, e.g. {@code https://app.example}
         * @param credentials whether to send {@code Access-Control-Allow-Credentials: true}; not with {@code *}
         * @return this
         */
        public Builder allowedOrigins(Set<String> origins, boolean credentials) {
            Set<String> copy = Set.copyOf(origins);
            if (credentials && copy.contains("*")) {
                throw new IllegalArgumentException(
                        "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
            }
            this.allowedOrigins = copy;
            this.allowCredentials = credentials;
            return this;
        }

        /**
         * This server's origin as browsers see it, e.g. {@code https://app.example}; without it the server's own
         * origin is allowed only under {@code localhost} or an IP address.
         *
         * @param origin the origin, or {@code null} for none
         * @return this
         */
        public Builder publicOrigin(String origin) {
            this.publicOrigin = origin;
            return this;
        }

        /**
         * @param name the deadline timer thread's name
         * @return this
         */
        public Builder threadName(String name) {
            this.threadName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** @return the reader, with its own timer thread */
        public RequestBodies build() {
            return new RequestBodies(this);
        }

        private static long millis(Duration d, String name) {
            return Objects.requireNonNull(d, name).toMillis();
        }

        private static long positive(String name, long value, long most) {
            if (value < 1 || value > most) {
                throw new IllegalArgumentException(name + " must be from 1 to " + most + " (was " + value + ")");
            }
            return value;
        }
    }
}
