package dev.sse.vertx;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SseStream;
import dev.sse.core.http.RequestText;
import io.vertx.ext.web.RoutingContext;

/**
 * Per-request streams from any vertx-web route handler: an LLM's tokens, a job's progress.
 *
 * <pre>{@code
 * router.get("/generate").handler(rc -> {
 *     SseStream stream = SseStreams.start(rc);
 *     stream.onClose(reason -> job.cancel());
 *     job.onToken(token -> stream.trySend(SseEvent.of("token", token)));
 *     job.onDone(() -> stream.complete(SseEvent.data("[DONE]")));
 * });
 * }</pre>
 *
 * The response gets the stream headers ({@code Cache-Control: no-cache, no-transform} unless the handler set its own)
 * and they are written at once. Streams are hosted by one shared hub (queue limits, keep-alive, slow-client policy) unless another is given; the
 * response is written on its event loop only, never blocking it, whatever thread sends.
 */
public final class SseStreams {

    private static volatile Hub sharedHost;

    private SseStreams() {
    }

    /**
     * Opens a stream on the request's response, hosted by the shared host hub ({@link #host()}).
     * Call on the request's event loop, from its route handler.
     *
     * @param rc the request
     * @return the open stream
     */
    public static SseStream start(RoutingContext rc) {
        return start(rc, host());
    }

    /**
     * Opens a stream on the request's response, hosted by {@code host}, which gives it its queue limits,
     * keep-alive and slow-client policy; nothing is ever broadcast on a host.
     *
     * @param rc the request
     * @param host the host hub
     * @return the open stream
     */
    public static SseStream start(RoutingContext rc, Hub host) {
        String lastEventId = rc.request().getHeader("Last-Event-ID");
        VertxTransport transport = new VertxTransport(rc.vertx().getOrCreateContext(), rc.response(), () -> { });
        SseHandler.startResponse(rc.response());
        rc.response().putHeader("Content-Type", "text/event-stream;charset=utf-8").putHeader("X-Accel-Buffering", "no");
        if (!rc.response().headers().contains("Cache-Control")) {
            rc.response().putHeader("Cache-Control", "no-cache, no-transform");
        }
        ChannelOptions.Builder options = ChannelOptions.builder();
        if (lastEventId != null) {
            options.lastEventId(RequestText.headerUtf8(lastEventId));
        }
        SseStream stream = SseStream.open(host, transport, options.build());
        transport.listen();
        return stream;
    }

    /**
     * The hub hosting per-request streams when none is given, created on first use with the hub defaults. sse-vertx
     * never closes it: to end its streams at shutdown (with {@code Hub.shutdown}), pass a host of your own to
     * {@link #start(RoutingContext, Hub)}.
     *
     * @return the shared host
     */
    public static Hub host() {
        Hub h = sharedHost;
        if (h == null) {
            synchronized (SseStreams.class) {
                h = sharedHost;
                if (h == null) {
                    h = Hub.create();
                    sharedHost = h;
                }
            }
        }
        return h;
    }
}
