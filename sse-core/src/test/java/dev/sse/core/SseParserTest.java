package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.RecordingListener.Event;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SseParserTest {

    private final RecordingListener listener = new RecordingListener();

    private SseParser parse(String stream) {
        return RecordingListener.parse(listener, stream);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static void feedChunks(SseParser parser, byte[]... chunks) {
        for (byte[] chunk : chunks) {
            parser.feed(chunk, 0, chunk.length);
        }
    }

    private static void feedByteByByte(SseParser parser, byte[] stream) {
        for (int i = 0; i < stream.length; i++) {
            parser.feed(stream, i, 1);
        }
    }

    // Line ends

    @Test
    void lfEndsLines() {
        parse("data: a\ndata: b\n\n");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a\nb", ""));
        listener.assertExhausted();
    }

    @Test
    void loneCrEndsLines() {
        parse("data: a\rdata: b\r\r");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a\nb", ""));
        listener.assertExhausted();
    }

    @Test
    void crLfEndsLines() {
        parse("data: a\r\ndata: b\r\n\r\n");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a\nb", ""));
        listener.assertExhausted();
    }

    @Test
    void lfCrIsTwoLineEndsNotOne() {
        parse("data: a\n\rdata: b\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        assertThat(listener.takeEvent().data()).isEqualTo("b");
        listener.assertExhausted();
    }

    @Test
    void crAndLfSplitAcrossChunksAreOneLineEnd() {
        SseParser parser = new SseParser(listener);
        // Were the LF a line end of its own, it would be an empty line and dispatch "a" alone.
        feedChunks(parser, utf8("data: a\r"), utf8("\ndata: b\r\n\r\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void crAndLfSeparatedByAnEmptyChunkAreOneLineEnd() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, utf8("data: a\r"), new byte[0], utf8("\ndata: b\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void crAtEndOfChunkDoesNotSwallowTheNextChunksFirstByte() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, utf8("data: a\r"), utf8("data: b\r"), utf8("\r"));
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void lineSplitAcrossManyChunksIsReassembled() {
        SseParser parser = new SseParser(listener);
        feedByteByByte(parser, utf8("event: tick\r\nid: 42\r\ndata: hello world\r\n\r\n"));
        assertThat(listener.takeEvent()).isEqualTo(new Event("tick", "hello world", "42"));
        listener.assertExhausted();
    }

    @Test
    void unicodeLineSeparatorsAreNotLineEnds() {
        parse("data: a\u0085b\u2028c\u2029d\u000Be\u000Cf\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a\u0085b\u2028c\u2029d\u000Be\u000Cf");
        listener.assertExhausted();
    }

    // Byte order mark

    @Test
    void leadingByteOrderMarkIsStripped() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, concat(bytes(0xEF, 0xBB, 0xBF), utf8("data: a\n\n")));
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    @Test
    void byteOrderMarkSplitAcrossChunksIsStripped() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, bytes(0xEF), bytes(0xBB), bytes(0xBF, 'd'), utf8("ata: a\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    @Test
    void secondByteOrderMarkIsNotStripped() {
        SseParser parser = new SseParser(listener);
        // The second BOM becomes part of the field name "\uFEFFdata", an unknown field.
        feedChunks(parser, concat(bytes(0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF), utf8("data: a\n\ndata: b\n\n")));
        assertThat(listener.takeEvent().data()).isEqualTo("b");
        listener.assertExhausted();
    }

    @Test
    void byteOrderMarkAfterStreamStartIsNotStripped() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, utf8("data: a\n"), concat(bytes(0xEF, 0xBB, 0xBF), utf8("data: b\n\n")));
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    @Test
    void incompleteByteOrderMarkAtStreamStartIsDecodedNotDropped() {
        SseParser parser = new SseParser(listener);
        // EF BB is held back until the next byte shows it is no BOM; it then starts the first line as U+FFFD,
        // making the field name "\uFFFDdata", which is unknown.
        feedChunks(parser, bytes(0xEF, 0xBB), utf8("data: a\n\ndata: b\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("b");
        listener.assertExhausted();
    }

    @Test
    void incompleteByteOrderMarkBeforeCommentBecomesReplacementCharacterField() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, bytes(0xEF), bytes(0xBB), utf8(":x\ndata: a\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    // UTF-8

    @Test
    void multiByteCharactersSplitAcrossChunksAreDecoded() {
        SseParser parser = new SseParser(listener);
        feedByteByByte(parser, utf8("event: caf\u00e9\nid: \u20ac1\ndata: \uD83D\uDE00 \u00e9\u20ac\n\n"));
        assertThat(listener.takeEvent()).isEqualTo(new Event("caf\u00e9", "\uD83D\uDE00 \u00e9\u20ac", "\u20ac1"));
        listener.assertExhausted();
    }

    static Stream<Arguments> malformedUtf8() {
        return Stream.of(
                Arguments.of("truncated 3-byte sequence", bytes(0xE2, 0x82, 'x'), "\uFFFDx"),
                Arguments.of("truncated 3-byte sequence at line end", bytes(0xE2, 0x82), "\uFFFD"),
                Arguments.of("truncated 4-byte sequence", bytes(0xF0, 0x9F, 0x98, 'x'), "\uFFFDx"),
                Arguments.of("lone continuation byte", bytes(0x80, 'x'), "\uFFFDx"),
                Arguments.of("two continuation bytes", bytes(0x80, 0xBF), "\uFFFD\uFFFD"),
                Arguments.of("overlong 2-byte slash", bytes(0xC0, 0xAF), "\uFFFD\uFFFD"),
                Arguments.of("overlong 3-byte", bytes(0xE0, 0x80, 0xAF), "\uFFFD\uFFFD\uFFFD"),
                Arguments.of("overlong 4-byte", bytes(0xF0, 0x80, 0x80, 0xAF), "\uFFFD\uFFFD\uFFFD\uFFFD"),
                Arguments.of("surrogate code point ED A0 80", bytes(0xED, 0xA0, 0x80), "\uFFFD\uFFFD\uFFFD"),
                Arguments.of("encoded surrogate pair", bytes(0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80),
                        "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"),
                Arguments.of("surrogate lead then ASCII", bytes(0xED, 0xA0, 'x'), "\uFFFD\uFFFDx"),
                Arguments.of("surrogate lead at line end", bytes(0xED, 0xBF), "\uFFFD\uFFFD"),
                Arguments.of("last code point before surrogates", bytes(0xED, 0x9F, 0xBF), "\uD7FF"),
                Arguments.of("truncated sequence before surrogate", bytes(0xE2, 0xED, 0xA0, 0x80),
                        "\uFFFD\uFFFD\uFFFD\uFFFD"),
                Arguments.of("above U+10FFFF", bytes(0xF4, 0x90, 0x80, 0x80), "\uFFFD\uFFFD\uFFFD\uFFFD"),
                Arguments.of("F5 lead byte", bytes(0xF5, 0x80, 'x'), "\uFFFD\uFFFDx"),
                Arguments.of("FF byte", bytes(0xFF, 'x'), "\uFFFDx"),
                Arguments.of("Unicode chapter 3 example",
                        bytes(0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64),
                        "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedUtf8")
    void malformedUtf8InDataIsReplacedPerMaximalSubpart(String name, byte[] malformed, String expected) {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, utf8("data: "), malformed, utf8("\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo(expected);
        listener.assertExhausted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedUtf8")
    void malformedUtf8IsReplacedTheSameWhenFedByteByByte(String name, byte[] malformed, String expected) {
        SseParser parser = new SseParser(listener);
        feedByteByByte(parser, concat(utf8("data: "), malformed, utf8("\n\n")));
        assertThat(listener.takeEvent().data()).isEqualTo(expected);
        listener.assertExhausted();
    }

    @Test
    void truncatedSequenceEndsAtLineEnd() {
        SseParser parser = new SseParser(listener);
        feedChunks(parser, utf8("data: "), bytes(0xE2, 0x82), utf8("\ndata: b\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("\uFFFD\nb");
        listener.assertExhausted();
    }

    @Test
    void malformedUtf8InIdTypeAndCommentIsReplacedToo() {
        SseParser parser = new SseParser(listener);
        byte[] surrogate = bytes(0xED, 0xA0, 0x80);
        feedChunks(parser, utf8(": c"), surrogate, utf8("\nevent: e"), surrogate, utf8("\nid: i"), surrogate,
                utf8("\ndata: d\n\n"));
        assertThat(listener.takeComment().text()).isEqualTo("c\uFFFD\uFFFD\uFFFD");
        assertThat(listener.takeEvent()).isEqualTo(new Event("e\uFFFD\uFFFD\uFFFD", "d", "i\uFFFD\uFFFD\uFFFD"));
        listener.assertExhausted();
    }

    // Lines and fields

    @Test
    void commentHasOneLeadingSpaceStripped() {
        parse(": one\n:  two\n:three\n:\n");
        assertThat(listener.takeComment().text()).isEqualTo("one");
        assertThat(listener.takeComment().text()).isEqualTo(" two");
        assertThat(listener.takeComment().text()).isEqualTo("three");
        assertThat(listener.takeComment().text()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void commentsDoNotDispatchOrInterruptAnEvent() {
        parse("data: a\n: keep-alive\ndata: b\n\n");
        assertThat(listener.takeComment().text()).isEqualTo("keep-alive");
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb");
        listener.assertExhausted();
    }

    @Test
    void fieldValueHasOnlyOneLeadingSpaceStripped() {
        parse("data:  a\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo(" a");
        listener.assertExhausted();
    }

    @Test
    void leadingTabIsNotStripped() {
        parse("data:\ta\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("\ta");
        listener.assertExhausted();
    }

    @Test
    void valueRunsFromFirstColonAndKeepsLaterColons() {
        parse("data: a: b:c\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a: b:c");
        listener.assertExhausted();
    }

    @Test
    void lineWithoutColonIsFieldWithEmptyValue() {
        parse("data\ndata\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("\n");
        listener.assertExhausted();
    }

    @Test
    void fieldNamesAreCaseSensitive() {
        parse("Data: a\nDATA: b\n\n");
        listener.assertExhausted();
    }

    @Test
    void fieldNameWithTrailingSpaceIsUnknown() {
        parse("data : a\n\n");
        listener.assertExhausted();
    }

    @Test
    void unknownFieldIsIgnored() {
        parse("foo: bar\ndata: a\nidx: 3\nevents: e\n\n");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a", ""));
        listener.assertExhausted();
    }

    @Test
    void eventFieldSetsType() {
        parse("event: update\ndata: a\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("update");
        listener.assertExhausted();
    }

    @Test
    void typeIsMessageWithoutEventField() {
        parse("data: a\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void emptyEventFieldMeansMessage() {
        parse("event:\ndata: a\n\nevent\ndata: b\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void lastEventFieldWins() {
        parse("event: a\nevent: b\ndata: x\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("b");
        listener.assertExhausted();
    }

    @Test
    void typeDoesNotCarryOverToTheNextEvent() {
        parse("event: a\ndata: 1\n\ndata: 2\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("a");
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void typeIsResetEvenWhenNothingDispatches() {
        parse("event: a\n\ndata: 2\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("message");
        listener.assertExhausted();
    }

    @Test
    void changingTypesAreEachReported() {
        parse("event: ab\ndata: 1\n\nevent: a\ndata: 2\n\nevent: ab\ndata: 3\n\nevent: b\ndata: 4\n\n");
        assertThat(listener.takeEvent().type()).isEqualTo("ab");
        assertThat(listener.takeEvent().type()).isEqualTo("a");
        assertThat(listener.takeEvent().type()).isEqualTo("ab");
        assertThat(listener.takeEvent().type()).isEqualTo("b");
        listener.assertExhausted();
    }

    @Test
    void dataLinesAreJoinedWithLf() {
        parse("data: a\ndata: b\ndata: c\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a\nb\nc");
        listener.assertExhausted();
    }

    @Test
    void onlyOneTrailingLfIsRemovedFromData() {
        parse("data: a\ndata:\n\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a\n");
        listener.assertExhausted();
    }

    @Test
    void emptyDataValueDispatchesEmptyString() {
        parse("data:\n\n");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "", ""));
        listener.assertExhausted();
    }

    @Test
    void eventWithoutDataDispatchesNothing() {
        parse("event: a\nretry: x\n\n\n\n");
        listener.assertExhausted();
    }

    // Last event id

    @Test
    void lastEventIdIsEmptyInitially() {
        assertThat(new SseParser(listener).lastEventId()).isEmpty();
    }

    @Test
    void idSetsLastEventIdOnDispatch() {
        SseParser parser = parse("id: 7\ndata: a\n");
        assertThat(parser.lastEventId()).as("before the empty line").isEmpty();
        parser.feed(utf8("\n"), 0, 1);
        assertThat(parser.lastEventId()).isEqualTo("7");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a", "7"));
        listener.assertExhausted();
    }

    @Test
    void idReusedAcrossEvents() {
        SseParser parser = parse("id: 1\ndata: a\n\ndata: b\n\n");
        assertThat(listener.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(listener.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(parser.lastEventId()).isEqualTo("1");
        listener.assertExhausted();
    }

    @Test
    void idWithoutDataSetsLastEventIdButDispatchesNothing() {
        SseParser parser = parse("id: 5\n\n");
        assertThat(parser.lastEventId()).isEqualTo("5");
        listener.assertExhausted();
    }

    @Test
    void idIsIgnoredIfItContainsANullCharacter() {
        SseParser parser = parse("id: 1\n\nid: a\u0000b\ndata: x\n\n");
        assertThat(listener.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(parser.lastEventId()).isEqualTo("1");
        listener.assertExhausted();
    }

    @Test
    void emptyIdResetsLastEventId() {
        SseParser parser = parse("id: 1\ndata: a\n\nid\ndata: b\n\nid: 2\n\nid:\n\n");
        assertThat(listener.takeEvent().lastEventId()).isEqualTo("1");
        assertThat(listener.takeEvent().lastEventId()).isEmpty();
        assertThat(parser.lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void idKeepsSpacesAfterTheFirst() {
        parse("id:  x \ndata: a\n\n");
        assertThat(listener.takeEvent().lastEventId()).isEqualTo(" x ");
        listener.assertExhausted();
    }

    // Retry

    @Test
    void retryWithDigitsIsReported() {
        parse("retry: 3000\nretry:007\n");
        assertThat(listener.takeRetry().millis()).isEqualTo(3000);
        assertThat(listener.takeRetry().millis()).isEqualTo(7);
        listener.assertExhausted();
    }

    @Test
    void retryWithNonDigitIsIgnored() {
        parse("retry: 10a\nretry: -1\nretry: 1.5\nretry: 1e3\nretry: +5\nretry:  10\nretry: 10 \n"
                + "retry: \u0661\u0662\n");
        listener.assertExhausted();
    }

    @Test
    void emptyRetryIsIgnored() {
        parse("retry:\nretry\nretry: \n");
        listener.assertExhausted();
    }

    @Test
    void hugeRetryIsClampedToLongMaxValue() {
        parse("retry: 9223372036854775807\nretry: 9223372036854775808\nretry: 99999999999999999999999999\n");
        assertThat(listener.takeRetry().millis()).isEqualTo(Long.MAX_VALUE);
        assertThat(listener.takeRetry().millis()).isEqualTo(Long.MAX_VALUE);
        assertThat(listener.takeRetry().millis()).isEqualTo(Long.MAX_VALUE);
        listener.assertExhausted();
    }

    @Test
    void hugeRetryWithTrailingLetterIsStillIgnored() {
        parse("retry: 99999999999999999999999999x\n");
        listener.assertExhausted();
    }

    @Test
    void retryDoesNotDispatchOrJoinTheEvent() {
        parse("data: a\nretry: 5\n\n");
        assertThat(listener.takeRetry().millis()).isEqualTo(5);
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a", ""));
        listener.assertExhausted();
    }

    // End of stream

    @Test
    void nothingIsDispatchedAtEndOfStreamWithoutEmptyLine() {
        SseParser parser = parse("data: a\n\ndata: b\nid: 9\n");
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        assertThat(parser.lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void unterminatedLastLineIsNotProcessed() {
        parse("data: a\n\nretry: 5");
        parse(": unterminated comment");
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    // WHATWG examples

    @Test
    void specStockQuoteExampleIsOneEvent() {
        parse("data: YHOO\ndata: +2\ndata: 10\n\n");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "YHOO\n+2\n10", ""));
        listener.assertExhausted();
    }

    @Test
    void specTestStreamExample() {
        SseParser parser = parse(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
                + "data:  third event\n\n");
        assertThat(listener.takeComment().text()).isEqualTo("test stream");
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "first event", "1"));
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "second event", ""));
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", " third event", ""));
        assertThat(parser.lastEventId()).isEmpty();
        listener.assertExhausted();
    }

    @Test
    void specDataWithoutColonExampleFiresTwoEvents() {
        parse("data\n\ndata\ndata\n\ndata:");
        assertThat(listener.takeEvent().data()).isEmpty();
        assertThat(listener.takeEvent().data()).isEqualTo("\n");
        listener.assertExhausted();
    }

    @Test
    void specDataWithAndWithoutSpaceExampleFiresTwoIdenticalEvents() {
        parse("data:test\n\ndata: test\n\n");
        Event first = listener.takeEvent();
        assertThat(first).isEqualTo(new Event("message", "test", ""));
        assertThat(listener.takeEvent()).isEqualTo(first);
        listener.assertExhausted();
    }

    // Limits

    @Test
    void lineLongerThanMaxLineBytesThrowsNamingTheLimit() {
        SseParser parser = new SseParser(listener, 10, 100);
        byte[] line = utf8("data: 12345\n");
        assertThatThrownBy(() -> parser.feed(line, 0, line.length))
                .isInstanceOf(SseParser.LimitExceededException.class)
                .hasMessage("line length exceeds maxLineBytes (10 bytes)")
                .satisfies(e -> {
                    SseParser.LimitExceededException limit = (SseParser.LimitExceededException) e;
                    assertThat(limit.limitName()).isEqualTo("maxLineBytes");
                    assertThat(limit.limit()).isEqualTo(10);
                });
        listener.assertExhausted();
    }

    @Test
    void bytesThatMayStillBecomeABomAreNotALineUntilTheNextByteDecides() {
        SseParser parser = new SseParser(listener, 1, 100);
        parser.feed(new byte[] {(byte) 0xEF, (byte) 0xBB}, 0, 2);
        assertThatThrownBy(() -> parser.feed(utf8("A"), 0, 1))
                .isInstanceOf(SseParser.LimitExceededException.class).hasMessageContaining("maxLineBytes");
        listener.assertExhausted();
    }

    @Test
    void lineOfExactlyMaxLineBytesIsAccepted() {
        SseParser parser = new SseParser(listener, 10, 100);
        feedByteByByte(parser, utf8("data: 1234\r\n\n"));
        feedChunks(parser, utf8("data: 5678\r\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("1234");
        assertThat(listener.takeEvent().data()).isEqualTo("5678");
        listener.assertExhausted();
    }

    @Test
    void overlongLineSpreadOverChunksThrowsBeforeItsLineEnd() {
        SseParser parser = new SseParser(listener, 10, 100);
        feedChunks(parser, utf8("data: 12"), utf8("34"));
        assertThatThrownBy(() -> feedChunks(parser, utf8("5")))
                .isInstanceOf(SseParser.LimitExceededException.class)
                .hasMessageContaining("maxLineBytes");
    }

    @Test
    void overlongUnterminatedLineInOneChunkThrows() {
        SseParser parser = new SseParser(listener, 10, 100);
        assertThatThrownBy(() -> feedChunks(parser, utf8("data: a\n\n: 123456789")))
                .isInstanceOf(SseParser.LimitExceededException.class)
                .hasMessageContaining("maxLineBytes");
        assertThat(listener.takeEvent().data()).as("the event before the long line").isEqualTo("a");
        listener.assertExhausted();
    }

    @Test
    void eventDataBeyondMaxEventBytesThrowsNamingTheLimit() {
        SseParser parser = new SseParser(listener, 100, 8);
        // The data buffer holds "abc\nabc\n", exactly 8 bytes; one more byte overflows it.
        feedChunks(parser, utf8("data: abc\ndata: abc\n"));
        assertThatThrownBy(() -> feedChunks(parser, utf8("data:\n")))
                .isInstanceOf(SseParser.LimitExceededException.class)
                .hasMessage("event data exceeds maxEventBytes (8 bytes)")
                .satisfies(e -> {
                    SseParser.LimitExceededException limit = (SseParser.LimitExceededException) e;
                    assertThat(limit.limitName()).isEqualTo("maxEventBytes");
                    assertThat(limit.limit()).isEqualTo(8);
                });
        listener.assertExhausted();
    }

    @Test
    void eventLimitAppliesToEachEventSeparately() {
        SseParser parser = new SseParser(listener, 100, 8);
        feedChunks(parser, utf8("data: abc\ndata: abc\n\ndata: abc\ndata: abc\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo("abc\nabc");
        assertThat(listener.takeEvent().data()).isEqualTo("abc\nabc");
        listener.assertExhausted();
    }

    @Test
    void feedAfterLimitExceededIsRejected() {
        SseParser parser = new SseParser(listener, 4, 100);
        assertThatThrownBy(() -> feedChunks(parser, utf8("data: x\n")))
                .isInstanceOf(SseParser.LimitExceededException.class);
        assertThatThrownBy(() -> feedChunks(parser, utf8("\n")))
                .isInstanceOf(IllegalStateException.class)
                .hasCauseInstanceOf(SseParser.LimitExceededException.class);
    }

    @Test
    void constructorRejectsLimitsBelowOneNamingTheParameter() {
        assertThatThrownBy(() -> new SseParser(listener, 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxLineBytes must be at least 1 (was 0)");
        assertThatThrownBy(() -> new SseParser(listener, 1, -5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxEventBytes must be at least 1 (was -5)");
    }

    @Test
    void seededLastEventIdIsKeptByEventsWithoutId() {
        SseParser parser = new SseParser(listener, 100, 100, "41");
        assertThat(parser.lastEventId()).isEqualTo("41");
        feedChunks(parser, utf8("data: a\n\n"));
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a", "41"));
        listener.assertExhausted();
    }

    @Test
    void seededLastEventIdIsClearedByAnEmptyIdField() {
        SseParser parser = new SseParser(listener, 100, 100, "41");
        feedChunks(parser, utf8("id\ndata: a\n\n"));
        assertThat(listener.takeEvent()).isEqualTo(new Event("message", "a", ""));
        assertThat(parser.lastEventId()).isEmpty();
    }

    @Test
    void seededLastEventIdRejectsWhatNoIdFieldCanCarry() {
        assertThatThrownBy(() -> new SseParser(listener, 1, 1, "a\nb"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lastEventId must not contain CR, LF or U+0000 (found U+000A at index 1)");
        assertThatThrownBy(() -> new SseParser(listener, 1, 1, "\0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lastEventId");
    }

    @Test
    void defaultLimitsAcceptLargeEvents() {
        String big = "x".repeat(SseParser.DEFAULT_MAX_LINE_BYTES - "data: ".length());
        SseParser parser = new SseParser(listener);
        byte[] frame = utf8("data: " + big + "\ndata: " + big + "\n\n");
        int half = frame.length / 2;
        feedChunks(parser, java.util.Arrays.copyOf(frame, half),
                java.util.Arrays.copyOfRange(frame, half, frame.length));
        assertThat(listener.takeEvent().data()).isEqualTo(big + "\n" + big);
        listener.assertExhausted();
    }

    // Feeding

    @Test
    void feedUsesOnlyTheGivenRange() {
        SseParser parser = new SseParser(listener);
        byte[] framed = utf8("data: no\n\ndata: yes\n\ndata: no\n\n");
        parser.feed(framed, 10, 11);
        assertThat(listener.takeEvent().data()).isEqualTo("yes");
        listener.assertExhausted();
    }

    @Test
    void feedRejectsRangeOutsideTheArray() {
        SseParser parser = new SseParser(listener);
        assertThatThrownBy(() -> parser.feed(new byte[4], 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void feedOfHeapBufferConsumesItsRemainingBytes() {
        SseParser parser = new SseParser(listener);
        ByteBuffer whole = ByteBuffer.wrap(utf8("XXdata: a\n\nYY"));
        ByteBuffer slice = whole.position(2).slice().limit(9);
        parser.feed(slice);
        assertThat(slice.hasRemaining()).isFalse();
        assertThat(listener.takeEvent().data()).isEqualTo("a");
        listener.assertExhausted();
    }

    @Test
    void feedOfDirectBufferLargerThanScratchSpaceParsesAll() {
        String big = "\u00e9".repeat(20_000);
        byte[] frame = utf8("data: " + big + "\n\n");
        ByteBuffer direct = ByteBuffer.allocateDirect(frame.length + 3);
        direct.put(utf8(":\n\n")).put(frame).flip().position(3);
        SseParser parser = new SseParser(listener);
        parser.feed(direct);
        assertThat(direct.hasRemaining()).isFalse();
        assertThat(listener.takeEvent().data()).isEqualTo(big);
        listener.assertExhausted();
    }

    @Test
    void feedOfReadOnlyBufferParsesAll() {
        SseParser parser = new SseParser(listener);
        parser.feed(ByteBuffer.wrap(utf8("data: ro\n\n")).asReadOnlyBuffer());
        assertThat(listener.takeEvent().data()).isEqualTo("ro");
        listener.assertExhausted();
    }

    @Test
    void listenerExceptionPropagatesAndFailsTheParser() {
        RuntimeException boom = new RuntimeException("boom");
        SseParser parser = new SseParser((type, data, id) -> {
            throw boom;
        });
        assertThatThrownBy(() -> feedChunks(parser, utf8("data: a\n\n"))).isSameAs(boom);
        assertThatThrownBy(() -> feedChunks(parser, utf8("\n"))).isInstanceOf(IllegalStateException.class)
                .hasCause(boom);
    }

    @Test
    void feedFromInsideTheListenerIsRejected() {
        SseParser[] self = new SseParser[1];
        self[0] = new SseParser((type, data, id) -> self[0].feed(new byte[] {'\n'}, 0, 1));
        assertThatThrownBy(() -> feedChunks(self[0], utf8("data: a\n\n")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("listener");
    }

    @Test
    void largeEventThenSmallEventsParseCorrectly() {
        String big = "y".repeat(200_000);
        SseParser parser = new SseParser(listener);
        byte[] frames = utf8("data: " + big + "\n\ndata: small\n\n");
        feedChunks(parser, java.util.Arrays.copyOf(frames, 1000),
                java.util.Arrays.copyOfRange(frames, 1000, frames.length));
        feedChunks(parser, utf8("data: part"), utf8("ial\n\n"));
        assertThat(listener.takeEvent().data()).isEqualTo(big);
        assertThat(listener.takeEvent().data()).isEqualTo("small");
        assertThat(listener.takeEvent().data()).isEqualTo("partial");
        listener.assertExhausted();
    }
}
