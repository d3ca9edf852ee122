package dev.sse.core.spi;

import java.util.List;

/** The history that keeps nothing; see {@link EventHistory#none()}. */
final class NoHistory implements EventHistory {

    static final NoHistory INSTANCE = new NoHistory();

    private NoHistory() {
    }

    @Override
    public void append(RecordedEvent event) {
        // Keeping nothing is the point.
    }

    @Override
    public Replay replay(String lastEventId, long upToSequence) {
        return new Replay(List.of(), true);
    }

    @Override
    public String toString() {
        return "EventHistory.none()";
    }
}
