package dev.sse.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a hub's counters, for metrics endpoints and tests.
 *
 * <pre>{@code
 * HubStats s = hub.stats();
 * log.info("{} open, {} dropped", s.openChannels(), s.dropped());
 * }</pre>
 *
 * <p>Immutable. Counters are read one after another, not atomically together.
 */
public final class HubStats {

    private final int openChannels;
    private final long eventsBroadcast;
    private final long framesSent;
    private final long bytesSent;
    private final long dropped;
    private final Map<CloseReason, Long> closes;

    HubStats(int openChannels, long eventsBroadcast, long framesSent, long bytesSent, long dropped,
            Map<CloseReason, Long> closes) {
        this.openChannels = openChannels;
        this.eventsBroadcast = eventsBroadcast;
        this.framesSent = framesSent;
        this.bytesSent = bytesSent;
        this.dropped = dropped;
        EnumMap<CloseReason, Long> copy = new EnumMap<>(CloseReason.class);
        for (CloseReason r : CloseReason.values()) {
            copy.put(r, closes.getOrDefault(r, 0L));
        }
        this.closes = Collections.unmodifiableMap(copy);
    }

    /** @return channels open now */
    public int openChannels() {
        return openChannels;
    }

    /** @return events passed to {@code broadcast} */
    public long eventsBroadcast() {
        return eventsBroadcast;
    }

    /** @return frames handed to transports for writing */
    public long framesSent() {
        return framesSent;
    }

    /** @return bytes handed to transports for writing */
    public long bytesSent() {
        return bytesSent;
    }

    /** @return frames discarded by the slow-client policy */
    public long dropped() {
        return dropped;
    }

    /**
     * Returns how many channels closed for a reason.
     *
     * @param reason the reason
     * @return the count
     */
    public long closed(CloseReason reason) {
        return closes.get(reason);
    }

    /** @return closes by reason, every reason present */
    public Map<CloseReason, Long> closes() {
        return closes;
    }

    @Override
    public String toString() {
        return "HubStats{open=" + openChannels + ", broadcast=" + eventsBroadcast + ", framesSent=" + framesSent
                + ", bytesSent=" + bytesSent + ", dropped=" + dropped + ", closes=" + closes + "}";
    }
}
