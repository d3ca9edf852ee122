package dev.sse.vertx;

import dev.sse.core.http.Decision;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.RequestText;
import dev.sse.core.http.SseSettings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a request's body as text the way {@link SseHandler}'s publishing does, for an application's own routes that
 * take a body (a prompt, a command): without a thread, bounded in size and in time, strict UTF-8, and every refusal
 * answered with the JSON of {@code dev.sse.core.http} naming the field: {@code 413} over {@code maxBodyBytes},
 * {@code 408} for a body that trickles (slower than {@code minBodyRate} after {@code bodyGrace}, or not whole within
 * {@code bodyDeadline}), {@code 400} for bytes that are not UTF-8 or a malformed chunked encoding.
 *
 * <pre>{@code
 * RequestBodies prompts = RequestBodies.builder().maxBodyBytes(64 * 1024).build();
 * router.post("/chat").handler(rc -> prompts.text(rc, "prompt", prompt -> answer(rc, prompt)));
 * }</pre>
 *
 * <p>Immutable and shared by all requests. {@link #text} is called on the request's event loop before anything reads
 * the body; the callback runs on that event loop, once, and only when the whole body is accepted.
 */
public final class RequestBodies {

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);

    private final int maxBodyBytes;
    private final Duration deadline;
    private final Duration grace;
    private final long minBytesPerSecond;

    private RequestBodies(Builder b) {
        this.maxBodyBytes = b.maxBodyBytes;
        this.deadline = b.deadline;
        this.grace = b.grace;
        this.minBytesPerSecond = b.minBytesPerSecond;
    }

    /** @return bodies of at most 1 MiB, whole within 30 s, at least 1024 bytes a second after 5 s */
    public static RequestBodies defaults() {
        return builder().build();
    }

    /** @return a builder with the defaults of the settings table ({@code maxBodyBytes}, {@code bodyDeadline}...) */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the most bytes a body may have */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /**
     * Reads the body, then hands it over as text; a refused body is answered here (with {@code Connection: close} on
     * HTTP/1.1, so the rest of it is never read) and {@code onText} is not called.
     *
     * @param rc the request, its body not read yet
     * @param field how a {@code 400} names the body, e.g. {@code body}
     * @param onText called with the whole body as text
     */
    public void text(RoutingContext rc, String field, Handler<String> onText) {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(onText, "onText");
        HttpServerRequest req = rc.request();
        HttpServerResponse resp = rc.response();
        String length = req.getHeader("Content-Length");
        if (length != null && length.trim().matches("\\d{1,18}") && Long.parseLong(length.trim()) > maxBodyBytes) {
            refuse(req, resp, PublishRules.bodyTooLarge(maxBodyBytes));
            return;
        }
        Vertx vertx = rc.vertx();
        Buffer body = Buffer.buffer();
        boolean[] done = {false};
        long started = System.nanoTime();
        // A body that trickles in holds no thread here, but it holds memory and a connection: past the grace it must
        // keep minBodyRate, and it must be whole within the deadline.
        long watch = vertx.setPeriodic(grace.toMillis(), Math.min(1000, grace.toMillis()), id -> {
            if (done[0]) {
                vertx.cancelTimer(id);
                return;
            }
            long elapsed = System.nanoTime() - started;
            String late = null;
            if (elapsed >= deadline.toNanos()) {
                late = "the body did not arrive within bodyDeadline " + deadline.toMillis() + " ms";
            } else if (body.length() < minBytesPerSecond * (elapsed / 1_000_000_000.0)) {
                late = "the request body arrived slower than " + minBytesPerSecond + " bytes a second";
            }
            if (late != null) {
                done[0] = true;
                vertx.cancelTimer(id);
                refuse(req, resp, PublishRules.bodyLate(late));
            }
        });
        req.handler(chunk -> {
            if (done[0]) {
                return;
            }
            if (body.length() + chunk.length() > maxBodyBytes) {
                done[0] = true;
                vertx.cancelTimer(watch);
                refuse(req, resp, PublishRules.bodyTooLarge(maxBodyBytes));
                return;
            }
            body.appendBuffer(chunk);
        });
        req.exceptionHandler(e -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            vertx.cancelTimer(watch);
            LOG.debug("request body failed: {}", e.toString());
            // Netty's decoder refuses a malformed chunk: the client hears a 400, not a silent close or a 408.
            refuse(req, resp, HttpAnswer.error(400, field, "malformed chunked body"));
            flushBeforeTheClose(req);
        });
        req.endHandler(v -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            vertx.cancelTimer(watch);
            byte[] bytes = body.getBytes();
            Decision<String> text = RequestText.strictUtf8(bytes, bytes.length, field);
            if (!text.accepted()) {
                Answers.write(resp, text.refusal());
                return;
            }
            onText.handle(text.value());
        });
    }

    /**
     * Answers a refused body and, on HTTP/1.x, closes the connection once the answer is out, so the rest of the body
     * is never read (Vert.x keeps a connection whose request asked for keep-alive, whatever the answer's header says).
     */
    private static void refuse(HttpServerRequest req, HttpServerResponse resp, HttpAnswer answer) {
        if (req.version() != HttpVersion.HTTP_2) {
            resp.putHeader("Connection", "close");
            resp.endHandler(v -> {
                flushBeforeTheClose(req);
                req.connection().close();
            });
        }
        Answers.write(resp, answer);
    }

    /**
     * Vert.x closes a connection whose body failed to decode right after telling the request, inside the same read,
     * and a write made during a read is flushed at the read's end: without this the 400 is discarded by the close.
     * The connection's flush is not public API, hence the check; without it the client sees the close alone.
     */
    private static void flushBeforeTheClose(HttpServerRequest req) {
        if (req.connection() instanceof io.vertx.core.net.impl.VertxConnection connection) {
            connection.flush();
        }
    }

    /** Builds {@link RequestBodies}; each value is checked against its row of the settings table. */
    public static final class Builder {
        private int maxBodyBytes = SseSettings.MAX_BODY_BYTES.defaultValue();
        private Duration deadline = SseSettings.BODY_DEADLINE.defaultValue();
        private Duration grace = SseSettings.BODY_GRACE.defaultValue();
        private long minBytesPerSecond = SseSettings.MIN_BODY_RATE.defaultValue();

        private Builder() {
        }

        /**
         * @param max the most bytes a body may have ({@code maxBodyBytes})
         * @return this
         * @throws IllegalArgumentException outside the setting's range, naming it
         */
        public Builder maxBodyBytes(int max) {
            this.maxBodyBytes = SseSettings.MAX_BODY_BYTES.check(max);
            return this;
        }

        /**
         * @param deadline how long a whole body may take ({@code bodyDeadline})
         * @param grace how long a body may be slower than the rate ({@code bodyGrace})
         * @param minBytesPerSecond the slowest a body may arrive after the grace ({@code minBodyRate})
         * @return this
         * @throws IllegalArgumentException outside a setting's range, naming it
         */
        public Builder bodyDeadline(Duration deadline, Duration grace, long minBytesPerSecond) {
            this.deadline = SseSettings.BODY_DEADLINE.check(deadline);
            this.grace = SseSettings.BODY_GRACE.check(grace);
            this.minBytesPerSecond = SseSettings.MIN_BODY_RATE.check(minBytesPerSecond);
            return this;
        }

        /** @return the reader */
        public RequestBodies build() {
            return new RequestBodies(this);
        }
    }
}
