package dev.sse.core;

/**
 * Told when channels open and close; for presence lists, metrics and logs.
 *
 * <pre>{@code
 * hub.addListener(new HubListener() {
 *     public void onClose(EventChannel channel, CloseReason reason) { presence.remove(channel.attribute("user")); }
 * });
 * }</pre>
 *
 * <p>Callbacks run on the thread that caused them: {@code onOpen} and {@code onResumeGap} on the thread calling
 * {@link Hub#open}; {@code onClose} on the thread that closed the channel (a container thread when the client went
 * away, the broadcasting thread for a slow client, the hub's scheduler on shutdown). They run without any hub
 * lock held, but must not block. An exception thrown is logged and otherwise ignored.
 */
public interface HubListener {

    /**
     * A channel was registered and its resume resolved ({@link EventChannel#resumedFrom()} and
     * {@link EventChannel#resumeGap()} are final); it already receives broadcasts. Every listener sees
     * {@code onOpen} before {@code onClose} of the same channel.
     *
     * @param channel the channel
     */
    default void onOpen(EventChannel channel) {
    }

    /**
     * A channel asked to resume from an id the history could not fully serve (called right after {@code onOpen}), or,
     * on a hub with a backplane, events were lost between two deliveries to every open channel.
     *
     * @param channel the channel; {@link EventChannel#resumedFrom()} holds the id
     */
    default void onResumeGap(EventChannel channel) {
    }

    /**
     * A channel closed; called exactly once per channel.
     *
     * @param channel the channel
     * @param reason why
     */
    default void onClose(EventChannel channel, CloseReason reason) {
    }
}
