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
    void unknownNonNumericIdReplaysNothingAndReportsTheGap() {
        InMemoryHistory h = InMemoryHistory.builder().maxEvents(10).maxAge(Duration.ofMinutes(1)).clock(clock).build();
        h.append(record(1, "1"));

        EventHistory.Replay r = h.replay("from-another-server", 1);

        assertThat(r.gap()).isTrue();
        assertThat(r.events()).isEmpty();
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
