package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EntryCodecTest {

    @Test
    void absentAndEmptyDataAreDifferentEntries() {
        assertThat(EntryCodec.encode(null, SseEvent.data(""))).containsExactly(Map.entry("data", ""));
        assertThat(EntryCodec.encode(null, SseEvent.comment("x"))).containsExactly(Map.entry("comment", "x"));
        assertThat(EntryCodec.decode("1-0", Map.of("data", "")).data()).isEmpty();
        assertThat(EntryCodec.decode("1-0", Map.of("comment", "x")).data()).isNull();
    }

    @Test
    void onlyEventsWithDataTakeTheEntryId() {
        assertThat(EntryCodec.decode("5-1", Map.of("data", "d")).id()).isEqualTo("5-1");
        assertThat(EntryCodec.decode("5-1", Map.of("retry", "100")).id()).isNull();
        assertThat(EntryCodec.decode("5-1", Map.of("retry", "100")).retry()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void everyFieldAndTheTopicRoundTrip() {
        SseEvent e = SseEvent.builder().event("e").data("a\nb").retry(Duration.ofSeconds(2)).comment("c").build();
        Map<String, String> fields = EntryCodec.encode("news", e);
        assertThat(EntryCodec.topic(fields)).isEqualTo("news");
        assertThat(EntryCodec.decode("9-9", fields)).isEqualTo(e.withId("9-9"));
    }

    @Test
    void unpairedSurrogatesTravelAsReplacementCharactersLikeOnTheWire() {
        assertThat(EntryCodec.wellFormed("a\ud800b\udc00c\ud83d\ude00")).isEqualTo("a\ufffdb\ufffdc\ud83d\ude00");
        assertThat(EntryCodec.wellFormed("end\ud83d")).isEqualTo("end\ufffd");
        String plain = "plain";
        assertThat(EntryCodec.wellFormed(plain)).isSameAs(plain);
    }

    @Test
    void entryWithoutAnyEventFieldIsRefused() {
        assertThatThrownBy(() -> EntryCodec.decode("1-0", Map.of("other", "x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EntryCodec.decode("1-0", Map.of("retry", "soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry");
    }
}
