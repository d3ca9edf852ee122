package dev.sse.core.spi;

import dev.sse.core.SseFrame;
import java.time.Instant;
import java.util.Objects;

/**
 * A broadcast event as the hub's {@link EventHistory} keeps it: its place in the broadcast order, its topic and its
 * encoded frame.
 *
 * <pre>{@code
 * RecordedEvent r = new RecordedEvent(42, null, SseFrame.of(SseEvent.data("x").withId("42")), Instant.now());
 * long after = r.sequence();
 * }</pre>
 *
 * <p>Immutable. The frame's event always has an id: the one the application gave, or the sequence number.
 */
public final class RecordedEvent {

    private final long sequence;
    private final String topic;
    private final SseFrame frame;
    private final Instant time;

    /**
     * Makes a record.
     *
     * @param sequence the position in the hub's broadcast order, strictly increasing, at least 1
     * @param topic the topic it went to, or {@code null} if broadcast to every channel
     * @param frame the encoded event; its event must have an id
     * @param time when it was broadcast
     */
    public RecordedEvent(long sequence, String topic, SseFrame frame, Instant time) {
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence must be at least 1 (was " + sequence + ")");
        }
        if (frame.event().id() == null) {
            throw new IllegalArgumentException("frame must hold an event with an id");
        }
        this.sequence = sequence;
        this.topic = topic;
        this.frame = frame;
        this.time = Objects.requireNonNull(time, "time");
    }

    /** @return the position in the broadcast order */
    public long sequence() {
        return sequence;
    }

    /** @return the topic, or {@code null} for a broadcast to every channel */
    public String topic() {
        return topic;
    }

    /** @return the encoded event */
    public SseFrame frame() {
        return frame;
    }

    /** @return the event's id, as the client will send it back in {@code Last-Event-ID} */
    public String id() {
        return frame.event().id();
    }

    /** @return when it was broadcast */
    public Instant time() {
        return time;
    }

    @Override
    public String toString() {
        return "RecordedEvent{seq=" + sequence + ", topic=" + topic + ", id=" + id() + "}";
    }
}
