package dev.sse.client;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Why a connection attempt or a stream failed: the HTTP status, headers and the start of the body where there was a
 * response, and whether the client will try again.
 *
 * <p>A listener gets one in {@link SseListener#onError} for every failure; {@link SseClient#next()} throws the
 * fatal one, after which the client has stopped.
 */
public final class SseException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (name, value) -> true);

    /** The HTTP status, 0 when there was no response. */
    private final int status;
    private final transient HttpHeaders headers;
    /** The start of the response body, empty when none. */
    private final String bodyExcerpt;
    private final transient Duration retryDelay;

    SseException(String message, int status, HttpHeaders headers, String bodyExcerpt, Duration retryDelay,
            Throwable cause) {
        super(message, cause);
        this.status = status;
        this.headers = headers == null ? NO_HEADERS : headers;
        this.bodyExcerpt = bodyExcerpt == null ? "" : bodyExcerpt;
        this.retryDelay = retryDelay;
    }

    static SseException fatal(String message, int status, HttpHeaders headers, String bodyExcerpt, Throwable cause) {
        return new SseException(message, status, headers, bodyExcerpt, null, cause);
    }

    SseException retrying(Duration delay) {
        return new SseException(getMessage() + "; reconnecting in " + delay.toMillis() + " ms", status, headers,
                bodyExcerpt, delay, getCause());
    }

    SseException givingUp(String why) {
        return new SseException(getMessage() + "; " + why, status, headers, bodyExcerpt, null, getCause());
    }

    /** @return the HTTP status of the response that failed, or 0 when there was none (a network error) */
    public int status() {
        return status;
    }

    /** @return that response's headers; empty when there was none */
    public HttpHeaders headers() {
        return headers;
    }

    /** @return the first bytes of that response's body as UTF-8 (at most 512 bytes' worth); empty when none */
    public String bodyExcerpt() {
        return bodyExcerpt;
    }

    /** @return whether the client will reconnect after this error; false when it has stopped for good */
    public boolean willRetry() {
        return retryDelay != null;
    }

    /** @return how long the client waits before reconnecting; empty when it has stopped for good */
    public Optional<Duration> retryDelay() {
        return Optional.ofNullable(retryDelay);
    }
}
