package dev.sse.redis;

/**
 * Thrown by a broadcast on a hub with a {@link RedisBackplane} when Redis did not take the event in time: it is
 * unreachable, paused, or too many commands are already waiting. Thrown within the backplane's command timeout
 * (2 seconds by default), never after an unbounded wait.
 *
 * <p>The event was not delivered by this call; if Redis was only slow, it may still have been appended and then
 * reaches every client like any other event. Retry, or report the failure to the caller.
 */
public final class RedisUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    RedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
