package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SseEventTest {

    @Test
    void lfInEventIsRejectedNamingFieldCharacterAndIndex() {
        assertThatThrownBy(() -> SseEvent.builder().event("abc\ndata: x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("event must not contain CR or LF (found LF at index 3)");
    }

    @Test
    void crInEventIsRejectedNamingFieldCharacterAndIndex() {
        assertThatThrownBy(() -> SseEvent.of("a\rid: 1", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("event must not contain CR or LF (found CR at index 1)");
    }

    @Test
    void lfInIdIsRejectedNamingFieldCharacterAndIndex() {
        assertThatThrownBy(() -> SseEvent.builder().id("12\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not contain CR or LF (found LF at index 2)");
    }

    @Test
    void crInIdIsRejectedNamingFieldCharacterAndIndex() {
        assertThatThrownBy(() -> SseEvent.builder().id("\r\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not contain CR or LF (found CR at index 0)");
    }

    @Test
    void nulInIdIsRejectedNamingIndex() {
        assertThatThrownBy(() -> SseEvent.builder().id("ab\u0000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("id must not contain U+0000 NUL (found at index 2)");
    }

    @Test
    void nulInEventAndDataIsAllowed() {
        SseEvent e = SseEvent.of("a\u0000", "b\u0000");
        assertThat(e.event()).isEqualTo("a\u0000");
        assertThat(e.data()).isEqualTo("b\u0000");
    }

    @Test
    void lineBreaksInDataAndCommentAreAllowed() {
        SseEvent e = SseEvent.builder().data("a\r\nb\rc\n").comment("x\ny").build();
        assertThat(e.data()).isEqualTo("a\r\nb\rc\n");
        assertThat(e.comment()).isEqualTo("x\ny");
    }

    @Test
    void negativeRetryIsRejected() {
        assertThatThrownBy(() -> SseEvent.builder().retry(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retry must not be negative");
    }

    @Test
    void zeroRetryIsAllowed() {
        assertThat(SseEvent.builder().retry(Duration.ZERO).build().retry()).isEqualTo(Duration.ZERO);
    }

    @Test
    void eventWithoutAnyFieldIsRejected() {
        assertThatThrownBy(() -> SseEvent.builder().build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one field");
    }

    @Test
    void resettingEveryFieldToNullIsRejectedAtBuild() {
        SseEvent.Builder b = SseEvent.builder().data("x").data(null);
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyIdIsAllowed() {
        SseEvent e = SseEvent.builder().id("").build();
        assertThat(e.id()).isEmpty();
        assertThat(e.data()).isNull();
    }

    @Test
    void emptyStringsAreFieldsNotAbsence() {
        SseEvent e = SseEvent.builder().event("").data("").comment("").build();
        assertThat(e.event()).isEmpty();
        assertThat(e.data()).isEmpty();
        assertThat(e.comment()).isEmpty();
    }

    @Test
    void dataFactoryMakesDefaultTypeEvent() {
        SseEvent e = SseEvent.data("hello");
        assertThat(e.data()).isEqualTo("hello");
        assertThat(e.event()).isNull();
        assertThat(e.id()).isNull();
        assertThat(e.retry()).isNull();
        assertThat(e.comment()).isNull();
    }

    @Test
    void ofFactorySetsTypeAndData() {
        SseEvent e = SseEvent.of("update", "1");
        assertThat(e.event()).isEqualTo("update");
        assertThat(e.data()).isEqualTo("1");
        assertThat(e.id()).isNull();
    }

    @Test
    void commentFactoryMakesCommentOnlyEvent() {
        SseEvent e = SseEvent.comment("ping");
        assertThat(e.comment()).isEqualTo("ping");
        assertThat(e.data()).isNull();
        assertThat(e.event()).isNull();
    }

    @Test
    void factoriesRejectNullNamingTheArgument() {
        assertThatThrownBy(() -> SseEvent.data(null)).isInstanceOf(NullPointerException.class).hasMessage("data");
        assertThatThrownBy(() -> SseEvent.of(null, "x")).isInstanceOf(NullPointerException.class)
                .hasMessage("event");
        assertThatThrownBy(() -> SseEvent.of("x", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("data");
        assertThatThrownBy(() -> SseEvent.comment(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("comment");
    }

    @Test
    void builderSetsEveryField() {
        SseEvent e = SseEvent.builder().id("1").event("t").data("d").retry(Duration.ofSeconds(2)).comment("c")
                .build();
        assertThat(e.id()).isEqualTo("1");
        assertThat(e.event()).isEqualTo("t");
        assertThat(e.data()).isEqualTo("d");
        assertThat(e.retry()).isEqualTo(Duration.ofMillis(2000));
        assertThat(e.comment()).isEqualTo("c");
    }

    @Test
    void eventsWithEqualFieldsAreEqualWithEqualHashCodes() {
        SseEvent a = SseEvent.builder().id("1").event("t").data("d").retry(Duration.ofSeconds(1)).comment("c")
                .build();
        SseEvent b = SseEvent.builder().comment("c").retry(Duration.ofMillis(1000)).data("d").event("t").id("1")
                .build();
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isEqualTo(a);
        assertThat(a).isNotEqualTo(null).isNotEqualTo("d");
    }

    @Test
    void eventsDifferingInAnyFieldAreNotEqual() {
        SseEvent base = SseEvent.builder().id("1").event("t").data("d").retry(Duration.ofSeconds(1)).comment("c")
                .build();
        assertThat(base).isNotEqualTo(base.toBuilder().id("2").build());
        assertThat(base).isNotEqualTo(base.toBuilder().event("u").build());
        assertThat(base).isNotEqualTo(base.toBuilder().data("e").build());
        assertThat(base).isNotEqualTo(base.toBuilder().retry(Duration.ofSeconds(2)).build());
        assertThat(base).isNotEqualTo(base.toBuilder().comment("x").build());
        assertThat(base).isNotEqualTo(base.toBuilder().comment(null).build());
    }

    @Test
    void emptyDataAndNoDataAreDifferentEvents() {
        SseEvent empty = SseEvent.builder().id("1").data("").build();
        SseEvent none = SseEvent.builder().id("1").build();
        assertThat(empty).isNotEqualTo(none);
    }

    @Test
    void toStringShowsPresentFieldsWithEscapedLineBreaks() {
        SseEvent e = SseEvent.builder().id("1").event("t").data("a\r\nb\u0000").retry(Duration.ofSeconds(3))
                .comment("c").build();
        assertThat(e).hasToString("SseEvent{id=\"1\", event=\"t\", data=\"a\\r\\nb\\0\", retry=3000ms, comment=\"c\"}");
    }

    @Test
    void toStringOmitsAbsentFields() {
        assertThat(SseEvent.data("x")).hasToString("SseEvent{data=\"x\"}");
        assertThat(SseEvent.builder().retry(Duration.ofMillis(5)).build()).hasToString("SseEvent{retry=5ms}");
    }

    @Test
    void retryTooLargeForLongMillisIsRejectedNamingTheField() {
        assertThatThrownBy(() -> SseEvent.builder().retry(Duration.ofSeconds(Long.MAX_VALUE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("retry must fit");
    }

    @Test
    void unpairedSurrogateInIdIsRejectedWithItsIndex() {
        assertThatThrownBy(() -> SseEvent.builder().id("ab\uD800"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not contain an unpaired surrogate (found U+D800 at index 2)");
    }

    @Test
    void unpairedSurrogateInEventIsRejectedButPairsAreFine() {
        assertThatThrownBy(() -> SseEvent.builder().event("\uDC00x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event")
                .hasMessageContaining("index 0");
        assertThat(SseEvent.of("\uD83D\uDE00", "x").event()).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void toStringTruncatesLongValues() {
        String s = SseEvent.data("z".repeat(100)).toString();
        assertThat(s).isEqualTo("SseEvent{data=\"" + "z".repeat(64) + "...\"}");
    }

    @Test
    void withIdReturnsCopyWithNewIdAndLeavesOriginal() {
        SseEvent original = SseEvent.of("t", "d");
        SseEvent withId = original.withId("9");
        assertThat(withId.id()).isEqualTo("9");
        assertThat(withId.event()).isEqualTo("t");
        assertThat(withId.data()).isEqualTo("d");
        assertThat(original.id()).isNull();
    }

    @Test
    void withIdValidatesTheId() {
        SseEvent original = SseEvent.data("d");
        assertThatThrownBy(() -> original.withId("a\nb")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("id must not contain CR or LF (found LF at index 1)");
        assertThatThrownBy(() -> original.withId("\u0000")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void withNullIdRemovesTheId() {
        assertThat(SseEvent.builder().id("1").data("d").build().withId(null)).isEqualTo(SseEvent.data("d"));
    }

    @Test
    void toBuilderCopiesAllFields() {
        SseEvent e = SseEvent.builder().id("1").event("t").data("d").retry(Duration.ofSeconds(1)).comment("c")
                .build();
        assertThat(e.toBuilder().build()).isEqualTo(e).isNotSameAs(e);
    }

    @Test
    void builderChangesDoNotAffectBuiltEvents() {
        SseEvent.Builder b = SseEvent.builder().data("one");
        SseEvent first = b.build();
        b.data("two");
        assertThat(first.data()).isEqualTo("one");
    }
}
