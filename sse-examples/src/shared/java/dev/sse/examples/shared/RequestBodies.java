package dev.sse.examples.shared;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads request bodies as UTF-8 text without holding a container thread, with the demos' protections, then hands
 * each to a {@link Handler}; the publish endpoint and the chat share it. Refused, with a JSON body naming
 * {@code body}, and the connection closed where the rest of the body is left unread:
 * <ul>
 *   <li>{@code 413}: over {@code maxBodyBytes}; a {@code Content-Length} over it before the body is touched (so no
 *       {@code 100 Continue}), a chunked body while it arrives;</li>
 *   <li>{@code 408}: not whole within the deadline, or below the minimum rate once the grace time has passed (a body
 *       must have reached {@code rate × (elapsed − grace)} bytes at every moment);</li>
 *   <li>{@code 400}: not valid UTF-8 (naming the byte offset), or a malformed chunked encoding;</li>
 *   <li>{@code 503} with {@code Retry-After: 1}: the bodies held at once would pass the {@link PendingBodies}
 *       budget.</li>
 * </ul>
 * A body's buffer grows with the bytes that arrive (from 1 KiB, doubling, never past its {@code Content-Length} or
 * the limit), reserving the room from the budget first.
 *
 * <p>Threads: {@link #read} runs on the container's request thread and starts an asynchronous request; the
 * container then calls one request's read and async callbacks one at a time; this object's single daemon timer
 * thread enforces the deadlines concurrently with them; the handler runs on the container thread that read the last
 * byte, and may pass its {@link Body} to any thread. Whoever moves a request to its end first answers it (a stage
 * moved by compare-and-set), and only then completes it, so a failure never leaves an empty {@code 200}.
 */
public final class RequestBodies implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);
    /** A body's first buffer; it doubles from there as bytes arrive. */
    private static final int INITIAL_BUFFER_BYTES = 1024;
    /** Retry-After, in seconds, when bodies are shed: the overload is usually gone in a moment. */
    private static final String OVERLOADED_RETRY_AFTER = "1";

    private final int maxBodyBytes;
    private final long deadlineNanos;
    private final long graceNanos;
    private final long minBytesPerSecond;
    private final long handlingTimeoutMillis;
    private final PendingBodies budget;
    private final String shedMessage;
    private final Consumer<String> onShed;
    private final Predicate<Throwable> malformed;
    private final ScheduledExecutorService timer;

    private RequestBodies(Builder b) {
        this.maxBodyBytes = b.maxBodyBytes;
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(b.deadlineMillis);
        this.graceNanos = TimeUnit.MILLISECONDS.toNanos(b.graceMillis);
        this.minBytesPerSecond = b.minBytesPerSecond;
        this.handlingTimeoutMillis = b.handlingTimeoutMillis;
        this.budget = b.budget;
        this.shedMessage = b.shedMessage;
        this.onShed = b.onShed;
        this.malformed = b.malformed;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, b.threadName);
            thread.setDaemon(true);
            return thread;
        });
        t.setRemoveOnCancelPolicy(true);
        this.timer = t;
    }

    /** @return a builder with the publish endpoint's defaults: 1 MiB, 30 s, 5 s grace, 1024 bytes/s, 64 MiB */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the most bytes a body may have */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** @return the bytes reserved right now by the bodies being read or handled */
    public long pendingBodyBytes() {
        return budget.reserved();
    }

    /** Stops the deadline timer; requests still reading are ended by the container's own shutdown. */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    /**
     * Reads the request's body and gives it to the handler, or answers the request itself when the body is refused.
     * Call on the container's request thread, with asynchronous support enabled; the request is asynchronous
     * afterwards unless it was answered {@code 413} at once.
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
            json(resp, 413, tooLarge());
            return;
        }
        AsyncContext async = req.startAsync();
        // The body deadline is enforced by the timer; this only ends a request its handler held far too long.
        async.setTimeout(TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + handlingTimeoutMillis);
        BodyReader reader = new BodyReader(async, req.getInputStream(), resp, handler, length);
        async.addListener(reader);
        reader.start();
    }

    private String tooLarge() {
        return Json.error("body must be at most " + maxBodyBytes + " bytes", "body");
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
         * the handling timeout. By default a {@code 503} with {@code Retry-After: 5}.
         *
         * @param body the request
         */
        default void timedOut(Body body) {
            body.answer(503, Json.error("the request was not handled in time", null), false, "5");
        }
    }

    /** One request whose body a {@link Handler} holds; each method acts only if the request is still the handler's. */
    public interface Body {
        /**
         * Answers with a JSON body and completes the request.
         *
         * @param status the status
         * @param json the JSON text
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
            if (before < 0 || !budget.tryReserve(more)) {
                if (before >= 0) {
                    onShed.accept(budget.reserved() + " of " + budget.budget() + " bytes held by pending bodies");
                    end(Stage.READING, 503, Json.error(shedMessage, null), true, OVERLOADED_RETRY_AFTER);
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
            String text;
            try {
                text = strictUtf8(buffer, size, "body");
            } catch (BadRequest e) {
                end(Stage.HANDLING, 400, Json.error(e.getMessage(), e.field()), false, null);
                return;
            }
            buffer = null;
            try {
                handler.received(text, this);
            } catch (RuntimeException e) {
                LOG.warn("request body handler failed, answered 500", e);
                end(Stage.HANDLING, 500, Json.error("the request failed", null), false, null);
            }
        }

        @Override
        public boolean answer(int status, String json, boolean closeConnection, String retryAfter) {
            return end(Stage.HANDLING, status, json, closeConnection, retryAfter);
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
            if (malformed.test(t)) {
                LOG.debug("request body malformed: {}", t.toString());
                end(Stage.READING, 400, Json.error("malformed chunked body", "body"), true, null);
                return;
            }
            // The client hung up or the connection timed out: a normal end, not a server fault.
            LOG.debug("request body not received: {}", t.toString());
            if (!end(Stage.READING, 408, Json.error("the request body did not arrive", "body"), true, null)) {
                // While handled, the connection failed: nobody is left to answer, but the request must end.
                end(Stage.HANDLING, 503, Json.error("the request failed while being handled", null), true, null);
            }
        }

        @Override
        public void onTimeout(AsyncEvent e) {
            if (!end(Stage.READING, 408, Json.error("the request body did not arrive in time", "body"), true, null)
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
                end(Stage.READING, 408, Json.error("the request body did not arrive within "
                        + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms", "body"), true, null);
                return;
            }
            long got = received;
            // The moment at which the body will have fallen below the minimum rate unless more arrives.
            long due = started + graceNanos + (long) ((got + 1) * 1e9 / minBytesPerSecond);
            if (elapsed >= graceNanos && now >= due) {
                LOG.debug("request body too slow: {} bytes in {} ms", got, TimeUnit.NANOSECONDS.toMillis(elapsed));
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
                budget.release(h);
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
                    LOG.debug("request already completed", e);
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
                LOG.debug("answer {} not sent: {}", status, e.toString());
            }
        }
    }

    /**
     * Decodes UTF-8 strictly: a malformed or unmappable sequence is refused, never replaced.
     *
     * @param bytes the bytes
     * @param length how many of them
     * @param field the request's field they came from, named in the error
     * @return the text
     * @throws BadRequest naming the field and the byte offset of the first bad sequence
     */
    public static String strictUtf8(byte[] bytes, int length, String field) throws BadRequest {
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

    /**
     * Writes a JSON answer that no cache keeps.
     *
     * @param resp the response, not yet committed
     * @param status the status
     * @param body the JSON text
     * @throws IOException if writing failed
     */
    public static void json(HttpServletResponse resp, int status, String body) throws IOException {
        resp.setStatus(status);
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    /** Builds {@link RequestBodies}; every setting has the publish endpoint's default. */
    public static final class Builder {
        private int maxBodyBytes = 1 << 20;
        private long deadlineMillis = 30_000;
        private long graceMillis = 5_000;
        private long minBytesPerSecond = 1024;
        private long handlingTimeoutMillis = 60_000;
        private PendingBodies budget;
        private String shedMessage = "too many requests are arriving at once; retry later";
        private Consumer<String> onShed = line -> LOG.warn("request refused with 503, the pending-body budget is "
                + "spent: {}", line);
        private Predicate<Throwable> malformed = t -> false;
        private String threadName = "demo-body-deadlines";

        private Builder() {
        }

        /**
         * @param bytes the most bytes a body may have, from 1 to {@code Integer.MAX_VALUE - 1}
         * @return this
         */
        public Builder maxBodyBytes(long bytes) {
            this.maxBodyBytes = (int) positive("maxBodyBytes", bytes, Integer.MAX_VALUE - 1);
            return this;
        }

        /**
         * @param millis the time a whole body may take, at least 1
         * @return this
         */
        public Builder deadlineMillis(long millis) {
            this.deadlineMillis = positive("deadlineMillis", millis, TimeUnit.DAYS.toMillis(1));
            return this;
        }

        /**
         * @param millis the time before the minimum rate applies, at least 1
         * @return this
         */
        public Builder graceMillis(long millis) {
            this.graceMillis = positive("graceMillis", millis, TimeUnit.DAYS.toMillis(1));
            return this;
        }

        /**
         * @param bytesPerSecond the rate a body must keep after the grace time, at least 1
         * @return this
         */
        public Builder minBytesPerSecond(long bytesPerSecond) {
            this.minBytesPerSecond = positive("minBytesPerSecond", bytesPerSecond, Integer.MAX_VALUE);
            return this;
        }

        /**
         * @param millis how long the handler may hold a request after the body deadline before
         *               {@link Handler#timedOut} is called
         * @return this
         */
        public Builder handlingTimeoutMillis(long millis) {
            this.handlingTimeoutMillis = positive("handlingTimeoutMillis", millis, TimeUnit.DAYS.toMillis(1));
            return this;
        }

        /**
         * @param budget the memory all bodies read by this object (and any other sharing it) may hold at once;
         *               default 64 MiB of its own
         * @return this
         */
        public Builder budget(PendingBodies budget) {
            this.budget = Objects.requireNonNull(budget, "budget");
            return this;
        }

        /**
         * @param message the {@code error} of the {@code 503} when the budget is spent
         * @param sink told of each such refusal, e.g. a throttled WARN line
         * @return this
         */
        public Builder onShed(String message, Consumer<String> sink) {
            this.shedMessage = Objects.requireNonNull(message, "message");
            this.onShed = Objects.requireNonNull(sink, "sink");
            return this;
        }

        /**
         * @param test whether a read failure is the container's report of a malformed body (a bad chunk size), to
         *             answer {@code 400} rather than {@code 408}; the containers report it each in their own way
         * @return this
         */
        public Builder malformed(Predicate<Throwable> test) {
            this.malformed = Objects.requireNonNull(test, "test");
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
            if (budget == null) {
                budget = new PendingBodies(64L << 20);
            }
            return new RequestBodies(this);
        }

        private static long positive(String name, long value, long most) {
            if (value < 1 || value > most) {
                throw new IllegalArgumentException(name + " must be from 1 to " + most + " (was " + value + ")");
            }
            return value;
        }
    }
}
