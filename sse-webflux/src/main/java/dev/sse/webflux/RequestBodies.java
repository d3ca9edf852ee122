package dev.sse.webflux;

import dev.sse.core.http.Decision;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.RequestText;
import dev.sse.core.http.SseSettings;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reads a request's body as strict UTF-8 text under limits, without holding a thread while it arrives: a size
 * ({@code maxBodyBytes}, checked against {@code Content-Length} before anything is read), a deadline
 * ({@code bodyDeadline}) and a minimum rate ({@code minBodyRate} bytes a second once {@code bodyGrace} has passed:
 * the body must have reached {@code rate × (elapsed − grace)} bytes at every moment). What is refused fails the
 * {@code Mono} with a {@link Refused} carrying the status and the JSON answer, as {@code SseServlet} answers:
 * {@code 413} {@code {"error":"body must be at most N bytes","field":"body"}}, {@code 408} for too slow or too late,
 * {@code 400} for a body that is not UTF-8 (naming the byte offset).
 *
 * <pre>{@code
 * RequestBodies bodies = RequestBodies.builder().maxBodyBytes(64 * 1024).build();
 * bodies.text(request.exchange().getRequest())
 *       .flatMap(prompt -> ...)
 *       .onErrorResume(RequestBodies.Refused.class, RequestBodies.Refused::response);
 * }</pre>
 *
 * <p>Thread-safe; timers run on Reactor's parallel scheduler.
 */
public final class RequestBodies {

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodies.class);

    private final int maxBodyBytes;
    private final Duration deadline;
    private final Duration grace;
    private final long minBytesPerSecond;
    private final PublishRules origins;

    private RequestBodies(Builder b) {
        this.origins = new PublishRules(b.allowedOrigins, b.credentials, b.publicOrigin, b.topicParameter);
        this.maxBodyBytes = b.maxBodyBytes;
        this.deadline = b.deadline;
        this.grace = b.grace;
        this.minBytesPerSecond = b.minBytesPerSecond;
    }

    /** @return a builder with {@code SseServlet}'s defaults: 1 MiB, 30 s, 5 s grace, 1024 bytes a second */
    public static Builder builder() {
        return new Builder();
    }

    /** Publishing's bodies from settings by init-param name, with the stream endpoint's origin rules. */
    static RequestBodies fromSettings(java.util.Map<String, String> values, StreamSettings origins) {
        Builder b = builder().allowedOrigins(origins.allowedOrigins, origins.allowCredentials);
        b.topicParameter = origins.topicParameter;
        if (origins.publicOrigin != null) {
            b.publicOrigin(origins.publicOrigin);
        }
        String label = "setting";
        String max = values.get("maxBodyBytes");
        if (max != null && !max.isBlank()) {
            b.maxBodyBytes(SseSettings.MAX_BODY_BYTES.parse(max, label));
        }
        Duration deadline = values.containsKey("bodyDeadline")
                ? SseSettings.BODY_DEADLINE.parse(values.get("bodyDeadline"), label) : b.deadline;
        Duration grace = values.containsKey("bodyGrace")
                ? SseSettings.BODY_GRACE.parse(values.get("bodyGrace"), label) : b.grace;
        long rate = values.containsKey("minBodyRate")
                ? SseSettings.MIN_BODY_RATE.parse(values.get("minBodyRate"), label) : b.minBytesPerSecond;
        return b.bodyDeadline(deadline, grace, rate).build();
    }

    /** @return the most bytes a body may have */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** A refused request: the answer ({@code dev.sse.core.http}'s), its status and JSON naming the field at fault. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The answer to send. */
        private final transient HttpAnswer answer;

        Refused(HttpAnswer answer) {
            super(answer.bodyText(), null, false, false);
            this.answer = answer;
        }

        /** @return the HTTP status */
        public int status() {
            return answer.status();
        }

        /** @return the JSON body, {@code {"error":"...","field":"..."}} */
        public String json() {
            return answer.bodyText();
        }

        /** @return the answer: the status, its headers and the JSON body */
        public Mono<ServerResponse> response() {
            return Answers.response(answer);
        }
    }

    /** The origin and target rules of publishing, as this reader applies them. */
    PublishRules publishRules() {
        return origins;
    }

    /**
     * Checks the request's {@code Origin} as {@code SseServlet}'s publishing does, then reads the body. No
     * {@code Origin} (curl, a server) is allowed; so are {@code allowedOrigins} ({@code *} for any) and
     * {@code publicOrigin}; without {@code publicOrigin} the server's own origin counts only under {@code localhost}
     * or an IP address (under a name, a DNS-rebinding page controls both {@code Origin} and {@code Host}). An allowed
     * origin gets {@code Access-Control-Allow-Origin}; another is refused {@code 403}
     * {@code {"error":"origin https://evil.example may not ACTION here"}} before the body is read.
     *
     * @param request the request
     * @param action what the request does, for the refusal ({@code publish}, {@code chat})
     * @return the body's text; fails with {@link Refused}
     */
    public Mono<String> text(ServerRequest request, String action) {
        Decision<Void> origin = origins.admitOrigin(new ExchangeView(request.exchange().getRequest()), action);
        if (!origin.accepted()) {
            return Mono.error(new Refused(origin.refusal()));
        }
        Answers.apply(origin.headers(), request.exchange().getResponse().getHeaders());
        return text(request.exchange().getRequest());
    }

    /**
     * Answers a {@code POST} preflight ({@code OPTIONS}) by the same origin rules: {@code 204} with the CORS headers,
     * or {@code 403} with JSON.
     *
     * @param request the preflight
     * @param allow the {@code Allow} header, e.g. {@code POST, OPTIONS}
     * @param action what a {@code POST} does, for the refusal
     * @return the answer
     */
    public Mono<ServerResponse> preflight(ServerRequest request, String allow, String action) {
        return Answers.response(origins.preflight(new ExchangeView(request.exchange().getRequest()), allow, action));
    }

    /**
     * Reads the body.
     *
     * @param request the request
     * @return the body's text; fails with {@link Refused}
     */
    public Mono<String> text(ServerHttpRequest request) {
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBodyBytes) {
            return Mono.error(tooLarge());
        }
        long started = System.nanoTime();
        long[] received = {0};
        Flux<DataBuffer> body = request.getBody().doOnNext(b -> {
            received[0] += b.readableByteCount();
            if (received[0] > maxBodyBytes) {
                DataBufferUtils.release(b);
                throw tooLarge();
            }
        });
        return DataBufferUtils.join(body.timeout(Mono.delay(nextCheck(started, 0)),
                        b -> Mono.delay(nextCheck(started, received[0]))), maxBodyBytes + 1)
                .map(joined -> {
                    try {
                        return strictUtf8(joined);
                    } finally {
                        DataBufferUtils.release(joined);
                    }
                })
                .defaultIfEmpty("")
                .onErrorMap(java.util.concurrent.TimeoutException.class, t -> slow(started, received[0]))
                .onErrorMap(org.springframework.core.io.buffer.DataBufferLimitException.class, t -> tooLarge());
    }

    /** How long, from now, until the body is too late or too slow unless more arrives. */
    private Duration nextCheck(long started, long got) {
        long now = System.nanoTime();
        long end = started + deadline.toNanos();
        long due = minBytesPerSecond <= 0 ? end
                : started + grace.toNanos() + (long) ((got + 1) * 1e9 / minBytesPerSecond);
        return Duration.ofNanos(Math.max(0, Math.min(end, due) - now));
    }

    private Refused slow(long started, long got) {
        long elapsed = System.nanoTime() - started;
        LOG.debug("request body too slow or late: {} bytes in {} ms", got, TimeUnit.NANOSECONDS.toMillis(elapsed));
        if (elapsed >= deadline.toNanos()) {
            return new Refused(PublishRules.bodyLate("the request body did not arrive within " + deadline.toMillis()
                    + " ms"));
        }
        return new Refused(PublishRules.bodyLate("the request body arrived slower than " + minBytesPerSecond
                + " bytes a second"));
    }

    private Refused tooLarge() {
        return new Refused(PublishRules.bodyTooLarge(maxBodyBytes));
    }

    private static String strictUtf8(DataBuffer joined) {
        byte[] bytes = new byte[joined.readableByteCount()];
        joined.read(bytes);
        Decision<String> text = RequestText.strictUtf8(bytes, bytes.length, "body");
        if (!text.accepted()) {
            throw new Refused(text.refusal());
        }
        return text.value();
    }

    /** Builds {@link RequestBodies}; the names are {@code SseServlet}'s init-params. */
    public static final class Builder {
        private int maxBodyBytes = 1 << 20;
        private Duration deadline = Duration.ofSeconds(30);
        private Duration grace = Duration.ofSeconds(5);
        private long minBytesPerSecond = 1024;
        private java.util.Set<String> allowedOrigins = java.util.Set.of();
        private boolean credentials;
        private String publicOrigin;
        private String topicParameter = "topic";

        private Builder() {
        }

        /**
         * @param origins {@code allowedOrigins}: origins besides the server's own that may post ({@code *}: any)
         * @param credentials {@code allowCredentials}: answer {@code Access-Control-Allow-Credentials: true}
         * @return this builder
         */
        public Builder allowedOrigins(java.util.Set<String> origins, boolean credentials) {
            this.allowedOrigins = java.util.Set.copyOf(origins);
            this.credentials = credentials;
            return this;
        }

        /**
         * @param origin {@code publicOrigin}: this server's origin as browsers see it, e.g. {@code https://app.example}
         * @return this builder
         */
        public Builder publicOrigin(String origin) {
            this.publicOrigin = Objects.requireNonNull(origin, "publicOrigin");
            return this;
        }

        /**
         * @param bytes {@code maxBodyBytes}: the most bytes of a body
         * @return this builder
         */
        public Builder maxBodyBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1 (was " + bytes + ")");
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /**
         * @param deadline {@code bodyDeadline}: the time a body may take
         * @param grace {@code bodyGrace}: the time before the minimum rate applies
         * @param minBytesPerSecond {@code minBodyRate}; 0 for none
         * @return this builder
         */
        public Builder bodyDeadline(Duration deadline, Duration grace, long minBytesPerSecond) {
            this.deadline = StreamSettings.positive("bodyDeadline", deadline);
            this.grace = StreamSettings.notNegative("bodyGrace", Objects.requireNonNull(grace, "bodyGrace"));
            if (minBytesPerSecond < 0) {
                throw new IllegalArgumentException("minBodyRate must be at least 0 (was " + minBytesPerSecond + ")");
            }
            this.minBytesPerSecond = minBytesPerSecond;
            return this;
        }

        /** @return the reader */
        public RequestBodies build() {
            return new RequestBodies(this);
        }
    }
}
