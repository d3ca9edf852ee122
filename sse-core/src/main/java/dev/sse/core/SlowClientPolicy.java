package dev.sse.core;

import java.util.Objects;
import java.util.function.Function;

/**
 * What happens to a client whose queue is full because it reads slower than events are sent.
 *
 * <pre>{@code
 * Hub hub = Hub.builder().slowClientPolicy(SlowClientPolicy.coalesce(e -> e.event())).build();
 * }</pre>
 *
 * <p>Whatever the policy, a slow client never delays the others and never holds more than the queue limits. The
 * policies:
 * <ul>
 *   <li>{@link #disconnect()} (the default): close the channel with {@link CloseReason#SLOW_CLIENT}. The browser
 *       reconnects with its {@code Last-Event-ID} and catches up from the hub's history, so nothing is lost while
 *       the history still holds what it missed.</li>
 *   <li>{@link #dropOldest()}: discard the oldest queued frames until the new one fits; each discard is counted in
 *       {@link EventChannel#droppedFrames()} and {@link HubStats#dropped()}.</li>
 *   <li>{@link #coalesce(Function)}: a client that falls behind gets only the newest queued value per key, e.g. per
 *       dashboard tile. Queued frames with the same key as a newer one are discarded (counted as drops); when that
 *       is not enough, the oldest frames go as with {@code dropOldest}. Events whose key is {@code null} are never
 *       coalesced with each other.</li>
 * </ul>
 */
public final class SlowClientPolicy {

    enum Kind { DISCONNECT, DROP_OLDEST, COALESCE }

    private static final SlowClientPolicy DISCONNECT = new SlowClientPolicy(Kind.DISCONNECT, null);
    private static final SlowClientPolicy DROP_OLDEST = new SlowClientPolicy(Kind.DROP_OLDEST, null);

    private final Kind kind;
    private final Function<SseEvent, String> key;

    private SlowClientPolicy(Kind kind, Function<SseEvent, String> key) {
        this.kind = kind;
        this.key = key;
    }

    /** @return the policy that closes a slow client so that it reconnects and resumes from history */
    public static SlowClientPolicy disconnect() {
        return DISCONNECT;
    }

    /** @return the policy that discards a slow client's oldest queued frames, counted */
    public static SlowClientPolicy dropOldest() {
        return DROP_OLDEST;
    }

    /**
     * A policy that keeps only the newest queued frame per key for a slow client.
     *
     * @param key the key of an event, e.g. {@code SseEvent::event}; {@code null} keys are not coalesced. It runs once
     *            per broadcast, on the broadcasting thread, before any lock is taken, on the event as given (before
     *            the hub adds an id); if it throws, the event is logged and not coalesced.
     * @return the policy
     */
    public static SlowClientPolicy coalesce(Function<SseEvent, String> key) {
        return new SlowClientPolicy(Kind.COALESCE, Objects.requireNonNull(key, "key"));
    }

    Kind kind() {
        return kind;
    }

    Function<SseEvent, String> key() {
        return key;
    }

    @Override
    public String toString() {
        return "SlowClientPolicy." + kind;
    }
}
