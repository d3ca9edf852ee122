package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.sse.core.RecordingListener.Comment;
import dev.sse.core.RecordingListener.Event;
import dev.sse.core.RecordingListener.Item;
import dev.sse.core.RecordingListener.Retry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Round trips of arbitrary events through {@link SseEncoder} and {@link SseParser}, and the parser checked against a
 * literal transcription of the WHATWG algorithm ({@link SpecReferenceParser}) on arbitrary bytes. Tries are bounded
 * to keep the suite fast.
 */
class CodecRoundTripProperties {

    // Round trip

    @Property(tries = 400)
    void encodedEventParsesToItsNormalForm(@ForAll("events") SseEvent event) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        byte[] wire = SseEncoder.encode(event);
        parser.feed(wire, 0, wire.length);

        List<Item> expected = new ArrayList<>();
        String lastEventId = expect(event, "", expected);
        assertThat(listener.drain()).isEqualTo(expected);
        assertThat(parser.lastEventId()).isEqualTo(lastEventId);
    }

    @Property(tries = 300)
    void encodedEventParsesTheSameInAnyChunking(@ForAll("events") SseEvent event,
            @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 400) Integer> cuts,
            @ForAll boolean direct) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        feedInChunks(parser, SseEncoder.encode(event), cuts, direct);

        List<Item> expected = new ArrayList<>();
        String lastEventId = expect(event, "", expected);
        assertThat(listener.drain()).isEqualTo(expected);
        assertThat(parser.lastEventId()).isEqualTo(lastEventId);
    }

    @Property(tries = 200)
    void streamOfEventsParsesToEachNormalFormAndCarriesLastEventId(
            @ForAll("eventLists") List<SseEvent> events,
            @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 2000) Integer> cuts,
            @ForAll boolean direct) {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<Item> expected = new ArrayList<>();
        String lastEventId = "";
        for (SseEvent event : events) {
            stream.writeBytes(SseEncoder.encode(event));
            lastEventId = expect(event, lastEventId, expected);
        }
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        feedInChunks(parser, stream.toByteArray(), cuts, direct);

        assertThat(listener.drain()).isEqualTo(expected);
        assertThat(parser.lastEventId()).isEqualTo(lastEventId);
    }

    /**
     * What a conforming parser reports for one encoded event: comment lines, retry, then the event if it has data.
     *
     * @return the last event id after the event
     */
    private static String expect(SseEvent e, String lastEventId, List<Item> out) {
        if (e.comment() != null) {
            for (String line : normalise(e.comment()).split("\n", -1)) {
                out.add(new Comment(line));
            }
        }
        if (e.retry() != null) {
            out.add(new Retry(e.retry().toMillis()));
        }
        String id = e.id() != null ? normalise(e.id()) : lastEventId;
        if (e.data() != null) {
            String type = e.event() == null || e.event().isEmpty() ? "message" : normalise(e.event());
            out.add(new Event(type, normalise(e.data()), id));
        }
        return id;
    }

    /** CRLF and CR become LF; an unpaired surrogate becomes U+FFFD. */
    private static String normalise(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r') {
                sb.append('\n');
                if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }

    @Provide
    Arbitrary<SseEvent> events() {
        // Ids and types are validated: no line breaks, no NUL in ids, no unpaired surrogates.
        Arbitrary<String> id = text().map(s -> normalise(s).replace("\n", "").replace("\u0000", ""));
        Arbitrary<String> type = text().map(s -> normalise(s).replace("\n", ""));
        Arbitrary<Duration> retry = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 100_000).map(Duration::ofMillis),
                Arbitraries.longs().between(0, Long.MAX_VALUE).map(Duration::ofNanos),
                Arbitraries.longs().between(0, Long.MAX_VALUE).map(Duration::ofMillis));
        return Combinators.combine(
                        id.injectNull(0.5), type.injectNull(0.5), text().injectNull(0.2), retry.injectNull(0.8),
                        text().injectNull(0.7))
                .as((i, t, d, r, c) -> new Object[] {i, t, d, r, c})
                .filter(f -> f[0] != null || f[1] != null || f[2] != null || f[3] != null || f[4] != null)
                .map(f -> SseEvent.builder().id((String) f[0]).event((String) f[1]).data((String) f[2])
                        .retry((Duration) f[3]).comment((String) f[4]).build());
    }

    @Provide
    Arbitrary<List<SseEvent>> eventLists() {
        return events().list().ofMinSize(1).ofMaxSize(6);
    }

    /** Unicode text rich in what the codec must get right: line breaks, NUL, surrogates, look-alike separators. */
    private static Arbitrary<String> text() {
        Arbitrary<String> piece = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.of("\r", "\n", "\r\n", "\n\r", "\u0000", " ", ":", "\t",
                        "\uFEFF", "\u0085", "\u2028", "\u2029", "\u000B", "\u000C", "data: ", "id: 1", "event: x",
                        "retry: 9", "\u00e9", "\u20ac", "\uD83D\uDE00", "\uFFFD")),
                Tuple.of(2, Arbitraries.chars().range('\uD800', '\uDFFF').map(String::valueOf)),
                Tuple.of(3, Arbitraries.chars().all().map(String::valueOf)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10FFFF).map(Character::toString)),
                Tuple.of(3, Arbitraries.strings().alpha().numeric().ofMaxLength(6)));
        return piece.list().ofMaxSize(10).map(pieces -> String.join("", pieces));
    }

    // Arbitrary bytes against the specification

    @Property(tries = 500)
    void parserMatchesTheSpecificationOnArbitraryBytesInAnyChunking(@ForAll("streams") byte[] stream,
            @ForAll @Size(max = 10) List<@IntRange(min = 0, max = 600) Integer> cuts,
            @ForAll boolean direct) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        assertThatCode(() -> feedInChunks(parser, stream, cuts, direct)).doesNotThrowAnyException();

        SpecReferenceParser spec = SpecReferenceParser.parse(stream);
        assertThat(listener.drain()).isEqualTo(spec.items);
        assertThat(parser.lastEventId()).isEqualTo(spec.lastEventId);
    }

    @Property(tries = 300)
    void parserMatchesTheSpecificationWhenFedByteByByte(@ForAll("streams") byte[] stream) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        for (int i = 0; i < stream.length; i++) {
            parser.feed(stream, i, 1);
        }
        SpecReferenceParser spec = SpecReferenceParser.parse(stream);
        assertThat(listener.drain()).isEqualTo(spec.items);
        assertThat(parser.lastEventId()).isEqualTo(spec.lastEventId);
    }

    @Property(tries = 300)
    void parserNeverThrowsOnRandomBytesUnderDefaultLimits(
            @ForAll @Size(max = 2000) byte[] stream,
            @ForAll @Size(max = 10) List<@IntRange(min = 0, max = 2000) Integer> cuts) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        assertThatCode(() -> feedInChunks(parser, stream, cuts, false)).doesNotThrowAnyException();
        assertThat(listener.drain()).isEqualTo(SpecReferenceParser.parse(stream).items);
    }

    @Property(tries = 300)
    void smallLimitsOnlyEverCutTheSpecifiedOutputShort(@ForAll("streams") byte[] stream,
            @ForAll @IntRange(min = 1, max = 40) int maxLineBytes,
            @ForAll @IntRange(min = 1, max = 60) int maxEventBytes,
            @ForAll @Size(max = 10) List<@IntRange(min = 0, max = 600) Integer> cuts) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener, maxLineBytes, maxEventBytes);
        List<Item> specified = SpecReferenceParser.parse(stream).items;
        try {
            feedInChunks(parser, stream, cuts, false);
            assertThat(listener.drain()).isEqualTo(specified);
        } catch (SseParser.LimitExceededException e) {
            boolean lineLimit = e.limitName().equals("maxLineBytes");
            assertThat(lineLimit ? longestLine(stream) : stream.length)
                    .as("%s was exceeded, so the input must allow it", e.limitName())
                    .isGreaterThan(lineLimit ? maxLineBytes : maxEventBytes);
            List<Item> got = listener.drain();
            assertThat(specified.subList(0, Math.min(got.size(), specified.size()))).isEqualTo(got);
        }
    }

    private static int longestLine(byte[] stream) {
        int longest = 0;
        int length = 0;
        for (byte b : stream) {
            length = b == '\r' || b == '\n' ? 0 : length + 1;
            longest = Math.max(longest, length);
        }
        return longest;
    }

    /** Streams built from tokens of the format, malformed UTF-8 and byte order marks, plus stray random bytes. */
    @Provide
    Arbitrary<byte[]> streams() {
        Arbitrary<byte[]> token = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.of("data", "id", "event", "retry", "foo", ":", " ", "\r",
                        "\n", "\r\n", "\n\n", "0", "42", "99999999999999999999", "x", "\u0000", "\u00e9",
                        "\uD83D\uDE00").map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(3, Arbitraries.of(
                        new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        new byte[] {(byte) 0xED, (byte) 0x9F, (byte) 0xBF},
                        new byte[] {(byte) 0xE2, (byte) 0x82},
                        new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
                        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
                        new byte[] {(byte) 0xC0, (byte) 0xAF},
                        new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
                        new byte[] {(byte) 0x80},
                        new byte[] {(byte) 0xED},
                        new byte[] {(byte) 0xF5})),
                Tuple.of(2, Arbitraries.bytes().map(b -> new byte[] {b})));
        // A BOM starts a quarter of the streams, since only there is it stripped.
        return Combinators.combine(Arbitraries.integers().between(0, 3), token.list().ofMaxSize(60))
                .as((bom, tokens) -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    if (bom == 0) {
                        out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
                    }
                    tokens.forEach(out::writeBytes);
                    return out.toByteArray();
                });
    }

    private static void feedInChunks(SseParser parser, byte[] bytes, List<Integer> cuts, boolean direct) {
        TreeSet<Integer> points = new TreeSet<>();
        for (int cut : cuts) {
            points.add(cut % (bytes.length + 1));
        }
        points.add(bytes.length);
        int from = 0;
        boolean viaBuffer = false;
        for (int to : points) {
            if (direct && viaBuffer) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(to - from).put(bytes, from, to - from).flip();
                parser.feed(buffer);
            } else {
                parser.feed(bytes, from, to - from);
            }
            viaBuffer = !viaBuffer;
            from = to;
        }
    }
}
