package dev.sse.core;

/**
 * Thrown by {@link Hub#broadcast}, {@link Hub#open} and friends once the hub was closed or is shutting down, so a
 * caller can tell that case from other failures.
 *
 * <pre>{@code
 * try { hub.broadcast(event); }
 * catch (HubClosedException stopping) { log.debug("not sent: the application is stopping"); }
 * }</pre>
 */
public final class HubClosedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    HubClosedException() {
        super("hub is closed");
    }
}
