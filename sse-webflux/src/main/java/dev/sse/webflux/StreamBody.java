package dev.sse.webflux;

import dev.sse.core.EventChannel;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.Transport;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import reactor.core.publisher.Mono;

/** Writes one event stream: registers its channel first, then hands WebFlux the channel's frames, batch by batch. */
final class StreamBody {

    /** {@code text/event-stream;charset=utf-8}. */
    static final MediaType EVENT_STREAM = new MediaType("text", "event-stream", java.nio.charset.StandardCharsets.UTF_8);

    private StreamBody() {
    }

    /** The headers every stream answer carries; a {@code Cache-Control} the application set is kept. */
    static void headers(HttpHeaders headers, String cacheControl) {
        headers.setContentType(EVENT_STREAM);
        if (headers.getFirst(HttpHeaders.CACHE_CONTROL) == null) {
            headers.set(HttpHeaders.CACHE_CONTROL, cacheControl);
        }
        headers.set("X-Accel-Buffering", "no");
    }

    /**
     * Opens the channel and writes it until it ends.
     *
     * @param open registers the transport with a hub (may throw {@link HubClosedException})
     * @param opened told the open channel, before any byte is written (to schedule its maximum age)
     * @param ended run once when the response is over, however it ended
     * @param overloadRetry the {@code retry:} hint for a hub that closed meanwhile
     */
    static Mono<Void> write(ReactiveHttpOutputMessage out, ServerHttpRequest request,
                            Function<Transport, EventChannel> open, Consumer<EventChannel> opened, Runnable ended,
                            Duration overloadRetry) {
        ServerSide side = ServerSide.of(request);
        GroupedTransport transport = new GroupedTransport(out.bufferFactory(), side);
        EventChannel channel;
        try {
            channel = open.apply(transport);
        } catch (HubClosedException closed) {
            ended.run();
            return retryAndEnd(out, overloadRetry);
        } catch (RuntimeException e) {
            ended.run();
            throw e;
        }
        try {
            opened.accept(channel);
        } catch (RuntimeException e) {
            channel.close();
            ended.run();
            throw e;
        }
        return out.writeAndFlushWith(transport)
                .doOnSuccess(v -> transport.written())
                .doOnError(transport::ended)
                .doOnCancel(() -> transport.ended(null))
                .doFinally(signal -> ended.run());
    }

    /** Load shedding the browser survives: 200, a {@code retry:} hint, end of stream (never 503). */
    static Mono<Void> retryAndEnd(ReactiveHttpOutputMessage out, Duration retry) {
        if (out instanceof ServerHttpResponse) {
            ((ServerHttpResponse) out).setStatusCode(HttpStatus.OK);
        }
        byte[] body = retryFrame(retry, Duration.ZERO).toByteArray();
        out.getHeaders().setContentLength(body.length);
        return out.writeWith(Mono.fromSupplier(() -> out.bufferFactory().wrap(body)));
    }

    static SseFrame retryFrame(Duration retry, Duration jitter) {
        return SseFrame.of(retryEvent(retry, jitter));
    }

    /** A {@code retry:} hint with a random extra of up to {@code jitter}, or {@code null} without a retry. */
    static SseEvent retryEvent(Duration retry, Duration jitter) {
        if (retry == null) {
            return null;
        }
        long j = jitter.toMillis();
        long extra = j <= 0 ? 0 : ThreadLocalRandom.current().nextLong(j + 1);
        return SseEvent.builder().retry(retry.plusMillis(extra)).build();
    }
}
