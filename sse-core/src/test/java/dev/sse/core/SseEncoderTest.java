package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.RecordingListener.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Exact bytes for each case. Expected bytes are written as Latin-1 strings, one char per byte, so that
 * {@code "\u00EF\u00BB\u00BF"} means the three bytes EF BB BF.
 */
class SseEncoderTest {

    private final RecordingListener listener = new RecordingListener();

    private static String wire(SseEvent event) {
        return new String(SseEncoder.encode(event), StandardCharsets.ISO_8859_1);
    }

    private SseParser parse(SseEvent event) {
        SseParser parser = new SseParser(listener);
        byte[] bytes = SseEncoder.encode(event);
        parser.feed(bytes, 0, bytes.length);
        return parser;
    }

    // Line breaks in data

    @Test
    void dataWithLfIsOneDataLinePerLine() {
        SseEvent e = SseEvent.data("a\nb");
        assertThat(wire(e)).isEqualTo("data: a\ndata: b\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void dataWithLoneCrIsOneDataLinePerLine() {
        SseEvent e = SseEvent.data("a\rb");
        assertThat(wire(e)).isEqualTo("data: a\ndata: b\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void dataWithCrLfIsOneDataLinePerLine() {
        SseEvent e = SseEvent.data("a\r\nb");
        assertThat(wire(e)).isEqualTo("data: a\ndata: b\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void dataWithMixedLineBreaksBreaksAtEachAndLfCrIsTwo() {
        SseEvent e = SseEvent.data("a\r\nb\rc\nd\n\re\r\r\nf");
        assertThat(wire(e)).isEqualTo("data: a\ndata: b\ndata: c\ndata: d\ndata:\ndata: e\ndata:\ndata: f\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb\nc\nd\n\ne\n\nf");
        listener.assertExhausted();
    }

    @Test
    void loneCrInDataCannotInjectIdOrEventField() {
        SseEvent e = SseEvent.data("x\rid: evil\revent: admin\r\rdata: y");
        assertThat(wire(e)).isEqualTo("data: x\ndata: id: evil\ndata: event: admin\ndata:\ndata: data: y\n\n");
        SseParser parser = parse(e);
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "x\nid: evil\nevent: admin\n\ndata: y", ""));
        assertThat(parser.lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void dataEndingWithNewlineEndsWithAnEmptyDataLine() {
        SseEvent e = SseEvent.data("a\n");
        assertThat(wire(e)).isEqualTo("data: a\ndata:\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\n");
        listener.assertExhausted();
    }

    @Test
    void dataOfOnlyNewlinesIsOnlyEmptyDataLines() {
        SseEvent e = SseEvent.data("\n\r\n\r");
        assertThat(wire(e)).isEqualTo("data:\ndata:\ndata:\ndata:\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("\n\n\n");
        listener.assertExhausted();
    }

    @Test
    void emptyDataIsOneEmptyDataLine() {
        SseEvent e = SseEvent.data("");
        assertThat(wire(e)).isEqualTo("data:\n\n");
        parse(e);
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "", ""));
        listener.assertExhausted();
    }

    // Leading characters that a parser would strip or misread

    @Test
    void dataStartingWithSpaceKeepsIt() {
        SseEvent e = SseEvent.data(" a\n  b");
        assertThat(wire(e)).isEqualTo("data:  a\ndata:   b\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo(" a\n  b");
        listener.assertExhausted();
    }

    @Test
    void dataStartingWithColonStaysData() {
        SseEvent e = SseEvent.data(":not a comment");
        assertThat(wire(e)).isEqualTo("data: :not a comment\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo(":not a comment");
        listener.assertExhausted();
    }

    @Test
    void fieldSyntaxInsideDataStaysData() {
        SseEvent e = SseEvent.data("data: x\nid: 1\n");
        assertThat(wire(e)).isEqualTo("data: data: x\ndata: id: 1\ndata:\n\n");
        SseParser parser = parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("data: x\nid: 1\n");
        assertThat(parser.lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void byteOrderMarkAtStartOfDataIsKept() {
        SseEvent e = SseEvent.data("\uFEFFa");
        assertThat(wire(e)).isEqualTo("data: \u00EF\u00BB\u00BFa\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("\uFEFFa");
        listener.assertExhausted();
    }

    // Comments

    @Test
    void commentWithLineBreaksIsOneCommentLinePerLine() {
        SseEvent e = SseEvent.comment("a\nb\r\nc\rd");
        assertThat(wire(e)).isEqualTo(": a\n: b\n: c\n: d\n\n");
        parse(e);
        assertThat(listener.takeComment().text()).isEqualTo("a");
        assertThat(listener.takeComment().text()).isEqualTo("b");
        assertThat(listener.takeComment().text()).isEqualTo("c");
        assertThat(listener.takeComment().text()).isEqualTo("d");
        listener.assertExhausted();
    }

    @Test
    void commentEndingWithLineBreakEndsWithEmptyCommentLine() {
        assertThat(wire(SseEvent.comment("a\n"))).isEqualTo(": a\n:\n\n");
    }

    @Test
    void commentStartingWithSpaceKeepsIt() {
        SseEvent e = SseEvent.comment(" x");
        assertThat(wire(e)).isEqualTo(":  x\n\n");
        parse(e);
        assertThat(listener.takeComment().text()).isEqualTo(" x");
        listener.assertExhausted();
    }

    @Test
    void emptyCommentIsThreeByteKeepAlive() {
        assertThat(wire(SseEvent.comment(""))).isEqualTo(":\n\n");
        assertThat(SseFrame.KEEP_ALIVE.length()).isEqualTo(3);
        assertThat(SseFrame.KEEP_ALIVE.toByteArray()).isEqualTo(new byte[] {':', '\n', '\n'});
    }

    // Characters written as they are

    @Test
    void nulAndTabInDataAreWrittenRaw() {
        SseEvent e = SseEvent.data("a\u0000b\tc");
        assertThat(wire(e)).isEqualTo("data: a\u0000b\tc\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\u0000b\tc");
        listener.assertExhausted();
    }

    @Test
    void astralPlaneCharacterIsFourUtf8Bytes() {
        SseEvent e = SseEvent.data("\uD83D\uDE00");
        assertThat(wire(e)).isEqualTo("data: \u00F0\u009F\u0098\u0080\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("\uD83D\uDE00");
        listener.assertExhausted();
    }

    @Test
    void utf8EncodingBoundariesAreExact() {
        SseEvent e = SseEvent.data("\u007F\u0080\u07FF\u0800\uFFFF\uD800\uDC00\uDBFF\uDFFF");
        assertThat(wire(e)).isEqualTo("data: \u007F" + "\u00C2\u0080" + "\u00DF\u00BF" + "\u00E0\u00A0\u0080"
                + "\u00EF\u00BF\u00BF" + "\u00F0\u0090\u0080\u0080" + "\u00F4\u008F\u00BF\u00BF" + "\n\n");
    }

    @Test
    void nextLineAndUnicodeSeparatorsAreNotLineBreaks() {
        SseEvent e = SseEvent.data("a\u0085b\u2028c\u2029d");
        assertThat(wire(e)).isEqualTo("data: a\u00C2\u0085b\u00E2\u0080\u00A8c\u00E2\u0080\u00A9d\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\u0085b\u2028c\u2029d");
        listener.assertExhausted();
    }

    @Test
    void verticalTabAndFormFeedAreNotLineBreaks() {
        SseEvent e = SseEvent.data("a\u000Bb\u000Cc");
        assertThat(wire(e)).isEqualTo("data: a\u000Bb\u000Cc\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\u000Bb\u000Cc");
        listener.assertExhausted();
    }

    // Unpaired surrogates

    @Test
    void unpairedHighSurrogateIsWrittenAsReplacementCharacter() {
        SseEvent e = SseEvent.data("a\uD83Db");
        assertThat(wire(e)).isEqualTo("data: a\u00EF\u00BF\u00BDb\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\uFFFDb");
        listener.assertExhausted();
    }

    @Test
    void unpairedLowSurrogateIsWrittenAsReplacementCharacter() {
        SseEvent e = SseEvent.data("a\uDE00b");
        assertThat(wire(e)).isEqualTo("data: a\u00EF\u00BF\u00BDb\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("a\uFFFDb");
        listener.assertExhausted();
    }

    @Test
    void highSurrogateAtEndOfDataIsReplaced() {
        assertThat(wire(SseEvent.data("a\uD83D"))).isEqualTo("data: a\u00EF\u00BF\u00BD\n\n");
    }

    @Test
    void surrogatesSplitByLineBreakAreEachReplaced() {
        SseEvent e = SseEvent.data("\uD83D\n\uDE00");
        assertThat(wire(e)).isEqualTo("data: \u00EF\u00BF\u00BD\ndata: \u00EF\u00BF\u00BD\n\n");
        parse(e);
        assertThat(listener.takeEvent().data()).isEqualTo("\uFFFD\n\uFFFD");
        listener.assertExhausted();
    }

    @Test
    void reversedSurrogatePairIsTwoReplacementCharacters() {
        assertThat(wire(SseEvent.data("\uDE00\uD83D"))).isEqualTo("data: \u00EF\u00BF\u00BD\u00EF\u00BF\u00BD\n\n");
    }

    @Test
    void unpairedSurrogateInCommentIsReplaced() {
        SseEvent e = SseEvent.builder().comment("\uDC00").data("d").build();
        String fffd = "\u00EF\u00BF\u00BD";
        assertThat(wire(e)).isEqualTo(": " + fffd + "\ndata: d\n\n");
        parse(e);
        assertThat(listener.takeComment().text()).isEqualTo("\uFFFD");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "d", ""));
        listener.assertExhausted();
    }

    // Id, type, retry and order

    @Test
    void idOnlyEventWritesOnlyTheIdLine() {
        assertThat(wire(SseEvent.builder().id("7").build())).isEqualTo("id: 7\n\n");
    }

    @Test
    void idOnlyEventDispatchesNothingButSetsLastEventId() {
        SseParser parser = parse(SseEvent.builder().id("7").build());
        listener.assertExhausted();
        assertThat(parser.lastEventId()).isEqualTo("7");
    }

    @Test
    void emptyIdIsWrittenAsBareIdField() {
        SseEvent e = SseEvent.builder().id("").data("x").build();
        assertThat(wire(e)).isEqualTo("id:\ndata: x\n\n");
    }

    @Test
    void emptyIdResetsTheParsersLastEventId() {
        SseParser parser = new SseParser(listener);
        byte[] first = SseEncoder.encode(SseEvent.builder().id("1").data("a").build());
        byte[] second = SseEncoder.encode(SseEvent.builder().id("").data("b").build());
        parser.feed(first, 0, first.length);
        parser.feed(second, 0, second.length);
        assertThat(listener.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(listener.takeEvent().lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void idStartingWithSpaceKeepsIt() {
        SseEvent e = SseEvent.builder().id(" 1").data("x").build();
        assertThat(wire(e)).isEqualTo("id:  1\ndata: x\n\n");
        parse(e);
        assertThat(listener.takeEvent().lastEventId()).isEqualTo(" 1");
        listener.assertExhausted();
    }

    @Test
    void eventWithoutTypeIsDispatchedAsMessage() {
        parse(SseEvent.data("x"));
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void emptyTypeIsWrittenAndDispatchedAsMessage() {
        SseEvent e = SseEvent.of("", "x");
        assertThat(wire(e)).isEqualTo("event:\ndata: x\n\n");
        parse(e);
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void typeIsWrittenAsEventField() {
        SseEvent e = SseEvent.of("price update", "1");
        assertThat(wire(e)).isEqualTo("event: price update\ndata: 1\n\n");
        parse(e);
        assertThat(listener.takeEvent().type()).isEqualTo("price update");
        listener.assertExhausted();
    }

    @Test
    void retryIsWrittenInMilliseconds() {
        SseEvent e = SseEvent.builder().retry(Duration.ofSeconds(3)).build();
        assertThat(wire(e)).isEqualTo("retry: 3000\n\n");
        parse(e);
        assertThat(listener.takeRetry().millis()).isEqualTo(3000);
        listener.assertExhausted();
    }

    @Test
    void retryIsTruncatedToWholeMilliseconds() {
        assertThat(wire(SseEvent.builder().retry(Duration.ofNanos(1_999_999)).build())).isEqualTo("retry: 1\n\n");
    }

    @Test
    void zeroRetryIsWrittenAsZero() {
        assertThat(wire(SseEvent.builder().retry(Duration.ZERO).build())).isEqualTo("retry: 0\n\n");
    }

    @Test
    void retryTooLargeForLongMillisIsRejectedAtBuild() {
        assertThatThrownBy(() -> SseEvent.builder().retry(Duration.ofSeconds(Long.MAX_VALUE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry");
    }

    @Test
    void fieldsAreWrittenInOrderCommentIdEventRetryData() {
        SseEvent e = SseEvent.builder().data("d").retry(Duration.ofMillis(5)).event("t").id("1").comment("c").build();
        assertThat(wire(e)).isEqualTo(": c\nid: 1\nevent: t\nretry: 5\ndata: d\n\n");
        parse(e);
        assertThat(listener.takeComment().text()).isEqualTo("c");
        assertThat(listener.takeRetry().millis()).isEqualTo(5);
        assertThat(listener.takeEvent()).isEqualTo(new Event("t", "d", "1"));
        listener.assertExhausted();
    }

    @Test
    void wellFormedTextIsStandardUtf8() {
        String text = "plain \u00e9 \u20ac \uD83D\uDE00 \u4e2d\u6587";
        assertThat(SseEncoder.encode(SseEvent.data(text)))
                .isEqualTo(("data: " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void frameHoldsTheEncodersBytes() {
        SseEvent e = SseEvent.builder().id("1").event("t").data("a\nb").build();
        SseFrame frame = SseFrame.of(e);
        assertThat(frame.toByteArray()).isEqualTo(SseEncoder.encode(e));
        assertThat(frame.length()).isEqualTo(SseEncoder.encode(e).length);
        assertThat(frame.event()).isSameAs(e);
    }
}
