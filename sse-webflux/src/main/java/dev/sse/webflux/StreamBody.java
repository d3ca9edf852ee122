package dev.sse.webflux;

import dev.sse.core.EventChannel;
import dev.sse.core.HubClosedException;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.spi.Transport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
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
     * @param shed the answer for a hub that closed meanwhile ({@code 200}, a {@code retry:} hint, the end)
     */
    static Mono<Void> write(ReactiveHttpOutputMessage out, ServerHttpRequest request,
                            Function<Transport, EventChannel> open, Consumer<EventChannel> opened, Runnable ended,
                            HttpAnswer shed) {
        ServerSide side = ServerSide.of(request);
        GroupedTransport transport = new GroupedTransport(out.bufferFactory(), side);
        EventChannel channel;
        try {
            channel = open.apply(transport);
        } catch (HubClosedException closed) {
            ended.run();
            return shed(out, shed);
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
    static Mono<Void> shed(ReactiveHttpOutputMessage out, HttpAnswer shed) {
        if (out instanceof ServerHttpResponse) {
            return Answers.write(shed, (ServerHttpResponse) out);
        }
        byte[] body = shed.body();
        out.getHeaders().setContentLength(body.length);
        return out.writeWith(Mono.fromSupplier(() -> out.bufferFactory().wrap(body)));
    }
}
