package dev.sse.redis;

import dev.sse.test.RecordingChannel;
import java.time.Duration;
import java.util.List;

/** Waits on a {@link RecordingChannel} by entry ids: a gap event (no id) arriving meanwhile is not counted. */
final class Recordings {

    private Recordings() {
    }

    /** Waits until {@code count} events with an id have arrived; returns every id received so far. */
    static List<String> awaitIds(RecordingChannel channel, int count, Duration timeout) {
        int[] seen = {0};
        // awaitEvent tests each event once, in order, so the count is of distinct events.
        channel.awaitEvent(count + " events with ids", e -> e.id() != null && ++seen[0] >= count, timeout);
        return channel.ids();
    }
}
