package dev.sse.core;

import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class InMemoryHistoryTest {

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private RecordedEvent record(long seq, String id) {
        return new RecordedEvent(seq, null, SseFrame.of(SseEvent.builder().id(id).data("d" + seq).build()), now);
    }

    @Test
    void replaysEverythingAfterAKnownIdUpToTheLimit() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(10).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        for (long s = 1; s <= 5; s++) {
            h.append(record(s, "id-" + s));
        }

        EventHistory.Replay r = h.replay("id-2", 4);

        assertThat(r.gap()).isFalse();
        assertThat(r.events()).extracting(RecordedEvent::id).containsExactly("id-3", "id-4");
    }

    @Test
    void evictsByCountAndReportsTheGap() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(2).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        for (long s = 1; s <= 4; s++) {
            h.append(record(s, Long.toString(s)));
        }

        EventHistory.Replay r = h.replay("1", 4);

        assertThat(h.size()).isEqualTo(2);
        assertThat(r.gap()).isTrue();
        assertThat(r.events()).extracting(RecordedEvent::id).containsExactly("3", "4");
    }

    @Test
    void evictsByAge() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(100).maxAge(Duration.ofSeconds(30)).clock(clock).build();
        h.append(record(1, "1"));
        now = now.plusSeconds(20);
        h.append(record(2, "2"));
        now = now.plusSeconds(15);

        EventHistory.Replay r = h.replay("0", 2);

        assertThat(h.size()).isEqualTo(1);
        assertThat(r.gap()).isTrue();
        assertThat(r.events()).extracting(RecordedEvent::id).containsExactly("2");
    }

    @Test
    void clientThatSawTheLastEventBeforeEverythingExpiredHasNoGap() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(100).maxAge(Duration.ofSeconds(30)).clock(clock).build();
        h.append(record(1, "1"));
        h.append(record(2, "2"));
        now = now.plusSeconds(60);

        EventHistory.Replay r = h.replay("2", 2);

        assertThat(r.gap()).isFalse();
        assertThat(r.events()).isEmpty();
    }

    @Test
    void unknownNonNumericIdReportsTheGapAndReplaysWhatIsHeld() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(10).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        h.append(record(1, "1"));

        EventHistory.Replay r = h.replay("from-another-server", 1);

        assertThat(r.gap()).isTrue();
        assertThat(r.events()).extracting(RecordedEvent::id).containsExactly("1");
    }

    @Test
    void idFromBeforeARestartIsNeverTakenForOneOfThisIncarnation() {
        // The process before the restart numbered from 1; this one from its start time.
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(10).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        long origin = 1_796_400_000_000_000L;
        for (int i = 1; i <= 3; i++) {
            h.append(record(origin + i, Long.toString(origin + i)));
        }

        EventHistory.Replay r = h.replay("2", origin + 3);

        assertThat(r.gap()).isTrue();
        assertThat(r.events()).extracting(RecordedEvent::id)
                .containsExactly(Long.toString(origin + 1), Long.toString(origin + 2), Long.toString(origin + 3));
    }

    @Test
    void numberBelowTheFirstRecordedSequenceIsAGapEvenBeforeAnyEviction() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(10).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        h.append(record(101, "101"));
        h.append(record(102, "102"));

        assertThat(h.replay("100", 102).gap()).isTrue();
        assertThat(h.replay("101", 102).gap()).isFalse();
    }

    @Test
    void idReusedByALaterEventResolvesToTheLaterOne() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(2).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        h.append(record(1, "same"));
        h.append(record(2, "same"));
        h.append(record(3, "other"));

        EventHistory.Replay r = h.replay("same", 3);

        assertThat(r.gap()).isFalse();
        assertThat(r.events()).extracting(RecordedEvent::id).containsExactly("other");
    }

    @Test
    void rejectsNonsenseLimitsNamingTheParameter() {
        assertThatThrownBy(() -> InMemoryHistory.create(0, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEvents");
        assertThatThrownBy(() -> InMemoryHistory.create(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAge");
    }
}
