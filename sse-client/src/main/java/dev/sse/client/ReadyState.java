package dev.sse.client;

/**
 * Where an {@link SseClient}'s connection is, as a browser's {@code EventSource.readyState} tells it. It is the
 * reader's state, which may be ahead of the consumer: events received before a change may still wait in the queue.
 */
public enum ReadyState {

    /** Connecting, or waiting out the backoff before reconnecting; the state a client starts in. */
    CONNECTING,

    /** A response opened a stream (200 with {@code text/event-stream}) and the client is reading it. */
    OPEN,

    /**
     * Stopped for good: {@link SseClient#close()} was called, or the client stopped by itself (204, a fatal error, the
     * end of a stream that is not followed again, the event {@link SseClient.Builder#stopAfter} names). It never
     * connects again; events received before may still be waiting for {@link SseClient#next()}.
     */
    CLOSED
}
