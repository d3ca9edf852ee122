package dev.sse.client;

import java.net.http.HttpHeaders;
import java.time.Duration;

/**
 * Receives what an {@link SseClient} started with {@link SseClient.Builder#start(SseListener)} sees, in stream
 * order, one call at a time (never concurrently), on the executor given to {@link SseClient.Builder#executor} or,
 * by default, on the client's own reader thread.
 *
 * <pre>{@code
 * SseClient client = SseClient.builder(URI.create("https://example.com/events"))
 *         .start(event -> System.out.println(event.type() + ": " + event.data()));
 * }</pre>
 *
 * <p>A method that throws is logged at WARN and the stream goes on. After {@link SseClient#close()} returns no more
 * events are delivered; {@link #onClosed} still is, once, as the last call.
 */
public interface SseListener {

    /**
     * Called when a response opened a stream (200 with {@code text/event-stream}), also after each reconnect.
     *
     * @param status the HTTP status, 200
     * @param headers the response headers
     */
    default void onOpen(int status, HttpHeaders headers) {
    }

    /**
     * Called for each dispatched event.
     *
     * @param event the event
     */
    void onEvent(MessageEvent event);

    /**
     * Called for each comment line (a line starting with {@code :}, often a keep-alive); does nothing by default.
     *
     * @param comment the text after the colon, one leading space removed
     */
    default void onComment(String comment) {
    }

    /**
     * Called for each failure: a response that was not a stream, a network error, a stream cut short or gone idle.
     * {@link SseException#willRetry()} tells whether the client reconnects; if not, {@link #onClosed} follows. A
     * stream that the server ended normally is not a failure: see {@link #onStreamEnd} and {@link #onClosed}.
     *
     * @param error the failure, with status, headers and a body excerpt where there was a response
     */
    default void onError(SseException error) {
    }

    /**
     * Called when the server ended a stream normally and the client will reconnect after {@code reconnectDelay}:
     * the routine life of a feed (a server closing streams after a while, a deploy), not an error. Does nothing by
     * default. A request that is not sent again ends with {@link #onClosed} instead.
     *
     * @param reconnectDelay how long the client waits before connecting again (the {@link RetryPolicy}'s wait)
     */
    default void onStreamEnd(Duration reconnectDelay) {
    }

    /**
     * Called once, last, when the client has stopped for good: {@link SseClient#close()} was called (status 0),
     * the server answered 204 No Content (status 204), a stream ended normally that is not followed again (a
     * request other than a plain GET, or under {@link RetryPolicy#none()}: its status, 200), or after a fatal
     * {@link #onError} (that response's status, or 0).
     *
     * @param status the status of the last response, or 0 when none applies
     * @param headers the headers of that response; empty when none applies
     */
    default void onClosed(int status, HttpHeaders headers) {
    }
}
