package dev.sse.core;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Clocks for hubs under test. */
final class TestClocks {

    /** A hub started at the epoch numbers its events "1", "2", ...: tests can name the ids they expect. */
    static final Clock NUMBERED_FROM_ONE = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

    /** A history on the same clock, so that the hub's fixed time does not read as long expired. */
    static InMemoryHistory history(int maxEvents, java.time.Duration maxAge) {
        return InMemoryHistory.builder().maxEvents(maxEvents).maxAge(maxAge).clock(NUMBERED_FROM_ONE).build();
    }

    private TestClocks() {
    }
}
