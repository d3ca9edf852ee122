package dev.sse.webflux;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.core.http.Header;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.RequestText;
import dev.sse.core.spi.EventHistory;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Answers one request with its own event stream on Spring WebFlux: an LLM's tokens for a {@code POST}, an agent's
 * steps, a job's progress. The producer gets an {@link SseStream} (send, complete, fail, onClose) before any byte is
 * written, and writes from any thread; the client's cancel closes the stream with {@code CLIENT_GONE}.
 *
 * <pre>{@code
 * SseStreams streams = SseStreams.create();
 * // annotated controller
 * @PostMapping("/chat") Mono<Void> chat(ServerWebExchange exchange) {
 *     return streams.open(exchange, stream -> generate(stream));
 * }
 * // router
 * RouterFunctions.route(POST("/chat"), streams.handler((request, stream) -> generate(stream)));
 * }</pre>
 *
 * <p>A stream answers {@code 200}, {@code text/event-stream;charset=utf-8}, {@code Cache-Control: no-cache,
 * no-transform} (unless the response already has one) and {@code X-Accel-Buffering: no}, flushed at once. The streams
 * share a host {@link Hub} that nobody broadcasts on ({@link #host()}): its keep-alive comments (15 s), per-stream limits
 * (1000 frames or 1 MiB queued, then the slow-client policy) and statistics. Beyond {@code maxConnections}, or once
 * {@link #shutdown} began, a request is answered {@code 503} with {@code Retry-After} (a per-request answer has no
 * {@code EventSource} reconnecting after it).
 *
 * <p>Thread-safe. {@code open} and the handler run on the server's thread and return at once; the producer is called
 * there too and must not block (hand long work to another thread).
 */
public final class SseStreams {

    private static final Logger LOG = LoggerFactory.getLogger(SseStreams.class);

    private final Hub host;
    private final int maxConnections;
    private final String cacheControl;
    private final Duration overloadRetry;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<dev.sse.core.EventChannel> live = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;

    private SseStreams(Builder b) {
        this.host = Hub.builder().keepAlive(b.keepAlive).maxQueuedFrames(b.maxQueuedFrames)
                .maxQueuedBytes(b.maxQueuedBytes).slowClientPolicy(b.slowClientPolicy).history(EventHistory.none())
                .build();
        this.maxConnections = b.maxConnections;
        this.cacheControl = b.cacheControl;
        this.overloadRetry = b.overloadRetry;
    }

    /** @return per-request streams with the defaults */
    public static SseStreams create() {
        return builder().build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the hub hosting the streams: its statistics and listeners count them */
    public Hub host() {
        return host;
    }

    /** @return the streams open now */
    public int connectionCount() {
        return count.get();
    }

    /**
     * Streams to the exchange's client; for an annotated controller's handler method, which returns the result.
     *
     * @param exchange the exchange; its response must not be committed
     * @param producer given the open stream, on the server's thread, before any byte is written; must not block
     * @return completes when the stream has ended
     */
    public Mono<Void> open(ServerWebExchange exchange, java.util.function.Consumer<SseStream> producer) {
        Objects.requireNonNull(producer, "producer");
        ServerHttpResponse response = exchange.getResponse();
        if (stopping || host.isClosed()) {
            return refuse(response, "the server is stopping");
        }
        if (!admit()) {
            return refuse(response, "this server holds " + maxConnections + " streams already, the most allowed");
        }
        response.setStatusCode(HttpStatus.OK);
        StreamBody.headers(response.getHeaders(), cacheControl);
        ServerHttpRequest request = exchange.getRequest();
        ChannelOptions options = ChannelOptions.builder()
                .lastEventId(request.getHeaders().getFirst("Last-Event-ID") == null ? null
                        : RequestText.headerUtf8(request.getHeaders().getFirst("Last-Event-ID")))
                .build();
        AtomicBoolean released = new AtomicBoolean();
        dev.sse.core.EventChannel[] opened = new dev.sse.core.EventChannel[1];
        return StreamBody.write(response, request, transport -> {
            SseStream stream = SseStream.open(host, transport, options);
            opened[0] = host.channel(stream.id()).orElse(null);
            if (opened[0] != null) {
                live.add(opened[0]);
            }
            try {
                producer.accept(stream);
            } catch (RuntimeException e) {
                LOG.warn("stream producer failed; the stream ends with an error event: {}", e.toString());
                stream.fail("the server failed to produce this stream");
            }
            return opened[0];
        }, channel -> { }, () -> {
            if (released.compareAndSet(false, true)) {
                if (opened[0] != null) {
                    live.remove(opened[0]);
                }
                count.decrementAndGet();
            }
        }, unavailable("the server is stopping"));
    }

    /**
     * A handler for a {@code RouterFunction} that answers each request with its own stream.
     *
     * @param producer given the request and its open stream, on the server's thread; must not block
     * @return the handler
     */
    public HandlerFunction<ServerResponse> handler(BiConsumer<ServerRequest, SseStream> producer) {
        Objects.requireNonNull(producer, "producer");
        return request -> ServerResponse.ok().build((exchange, context) ->
                open(exchange, stream -> producer.accept(request, stream)));
    }

    private boolean admit() {
        for (;;) {
            int n = count.get();
            if (maxConnections > 0 && n >= maxConnections) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private Mono<Void> refuse(ServerHttpResponse response, String why) {
        LOG.debug("per-request stream refused: {}", why);
        return Answers.write(unavailable(why), response);
    }

    /** {@code 503} with {@code Retry-After}: a per-request answer has no {@code EventSource} to reconnect after it. */
    private HttpAnswer unavailable(String why) {
        return HttpAnswer.error(503, null, why).withHeadersFirst(List.of(new Header("Retry-After",
                Long.toString(Math.max(1, overloadRetry.toSeconds())))));
    }

    /**
     * Ends every stream: each gets the farewell event (if any) and ends, spread over the window; new requests get
     * {@code 503}. The host hub is then shut down.
     *
     * @param window the time over which streams end
     * @param farewell the event each stream gets last, or {@code null}
     * @return completes when every stream has ended
     */
    public CompletableFuture<Void> shutdown(Duration window, SseEvent farewell) {
        stopping = true;
        return host.shutdown(window, farewell);
    }

    /** Builds {@link SseStreams}; the names are {@code SseServlet}'s. */
    public static final class Builder {
        private Duration keepAlive = Duration.ofSeconds(15);
        private int maxQueuedFrames = 1000;
        private long maxQueuedBytes = 1 << 20;
        private SlowClientPolicy slowClientPolicy = SlowClientPolicy.disconnect();
        private int maxConnections;
        private String cacheControl = "no-cache, no-transform";
        private Duration overloadRetry = Duration.ofSeconds(10);

        private Builder() {
        }

        /**
         * @param interval keep-alive comment interval while a producer is silent; zero disables
         * @return this builder
         */
        public Builder keepAlive(Duration interval) {
            this.keepAlive = StreamSettings.notNegative("keepAlive", interval);
            return this;
        }

        /**
         * @param frames most frames queued per stream before the slow-client policy applies
         * @param bytes most bytes queued per stream before the slow-client policy applies
         * @return this builder
         */
        public Builder maxQueued(int frames, long bytes) {
            if (frames < 1 || bytes < 1) {
                throw new IllegalArgumentException("maxQueuedFrames and maxQueuedBytes must be at least 1 (were "
                        + frames + ", " + bytes + ")");
            }
            this.maxQueuedFrames = frames;
            this.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * @param policy what happens to a stream whose queue is full
         * @return this builder
         */
        public Builder slowClientPolicy(SlowClientPolicy policy) {
            this.slowClientPolicy = Objects.requireNonNull(policy, "slowClientPolicy");
            return this;
        }

        /**
         * @param max most streams open at once; 0 for no limit
         * @return this builder
         */
        public Builder maxConnections(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxConnections must be at least 0 (was " + max + ")");
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * @param retry how long a refused client is told to wait ({@code Retry-After})
         * @return this builder
         */
        public Builder overloadRetry(Duration retry) {
            this.overloadRetry = StreamSettings.positive("overloadRetry", retry);
            return this;
        }

        /** @return the streams' host */
        public SseStreams build() {
            return new SseStreams(this);
        }
    }

    List<dev.sse.core.EventChannel> liveChannels() {
        return List.copyOf(live);
    }
}
