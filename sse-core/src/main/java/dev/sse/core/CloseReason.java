package dev.sse.core;

/**
 * Why an {@link EventChannel} or an {@link SseStream} closed; counted per reason in {@link HubStats}.
 *
 * <pre>{@code
 * hub.addListener(new HubListener() {
 *     public void onClose(EventChannel channel, CloseReason reason) { closes.increment(reason); }
 * });
 * }</pre>
 */
public enum CloseReason {
    /** The client went away: orderly close, reset, a failed write, or a vanished peer found by a keep-alive. */
    CLIENT_GONE,
    /** The client fell too far behind and the {@link SlowClientPolicy} closed it, so it reconnects and catches up. */
    SLOW_CLIENT,
    /** Application code closed the channel. */
    CLOSED_BY_APP,
    /** The hub was closed, for example because the server is stopping. */
    HUB_CLOSED,
    /** The connection reached its maximum age, so that clients move gradually during a rolling deploy. */
    MAX_AGE,
    /** The transport failed for a reason other than the client going away. */
    ERROR,
    /** A per-request {@link SseStream} ended normally: its producer completed it, after a terminal event or not. */
    COMPLETED,
    /** A per-request {@link SseStream} ended with an error event: its producer failed. */
    FAILED,
    /** The client's socket took nothing for the write timeout: a vanished peer or a reader that stopped. */
    WRITE_TIMEOUT
}
