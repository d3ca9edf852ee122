package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
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
 * Fuzzes {@link SseParser} with valid encoded streams after random damage (bit flips, stray CR, LF, NUL and byte
 * order marks, invalid UTF-8, cuts, deletions, repeats) and with random bytes over the format's alphabet, fed in
 * random chunkings. It must never throw anything but {@link SseParser.LimitExceededException}, must throw that
 * exactly when a line or an event's data outgrows its limit, and must otherwise report what the WHATWG algorithm
 * ({@link SpecReferenceParser}) reports. Tries are bounded so that the file runs in seconds.
 */
class ParserFuzzProperties {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    @Property(tries = 1000)
    void damagedStreamsParseAsTheSpecificationSaysInAnyChunking(@ForAll("damagedStreams") byte[] stream,
            @ForAll("chunkSizes") List<Integer> chunks, @ForAll boolean direct) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        assertThatCode(() -> feed(parser, stream, chunks, direct)).doesNotThrowAnyException();

        SpecReferenceParser spec = SpecReferenceParser.parse(stream);
        assertThat(listener.drain()).isEqualTo(spec.items);
        assertThat(parser.lastEventId()).isEqualTo(spec.lastEventId);
    }

    @Property(tries = 600)
    void randomBytesOverTheFormatsAlphabetParseAsTheSpecificationSays(@ForAll("alphabetSoup") byte[] stream,
            @ForAll("chunkSizes") List<Integer> chunks, @ForAll boolean direct) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener);
        assertThatCode(() -> feed(parser, stream, chunks, direct)).doesNotThrowAnyException();

        SpecReferenceParser spec = SpecReferenceParser.parse(stream);
        assertThat(listener.drain()).isEqualTo(spec.items);
        assertThat(parser.lastEventId()).isEqualTo(spec.lastEventId);
    }

    @Property(tries = 1000)
    void limitsAreEnforcedExactlyAndOnlyWhereTheInputExceedsThem(@ForAll("damagedOrSoup") byte[] stream,
            @ForAll @IntRange(min = 1, max = 48) int maxLineBytes,
            @ForAll @IntRange(min = 1, max = 64) int maxEventBytes,
            @ForAll("chunkSizes") List<Integer> chunks, @ForAll boolean direct) {
        RecordingListener listener = new RecordingListener();
        SseParser parser = new SseParser(listener, maxLineBytes, maxEventBytes);
        Throwable thrown = catchThrowable(() -> feed(parser, stream, chunks, direct));

        Violation expected = Violation.find(stream, maxLineBytes, maxEventBytes);
        if (expected == null) {
            assertThat(thrown).as("nothing exceeds a limit").isNull();
            SpecReferenceParser spec = SpecReferenceParser.parse(stream);
            assertThat(listener.drain()).isEqualTo(spec.items);
            assertThat(parser.lastEventId()).isEqualTo(spec.lastEventId);
        } else {
            assertThat(thrown).isInstanceOf(SseParser.LimitExceededException.class);
            SseParser.LimitExceededException e = (SseParser.LimitExceededException) thrown;
            assertThat(e.limitName()).isEqualTo(expected.limitName);
            assertThat(e.limit()).isEqualTo(expected.limitName.equals("maxLineBytes") ? maxLineBytes : maxEventBytes);
            // Everything before the offending line was reported, exactly as specified, and nothing after it.
            byte[] before = Arrays.copyOf(stream, expected.lineStart);
            assertThat(listener.drain()).isEqualTo(SpecReferenceParser.parse(before).items);
        }
    }

    @Property(tries = 200)
    void aFailedParserRefusesMoreInput(@ForAll("damagedOrSoup") byte[] stream,
            @ForAll @IntRange(min = 1, max = 8) int maxLineBytes) {
        SseParser parser = new SseParser(new RecordingListener(), maxLineBytes, 8);
        Throwable thrown = catchThrowable(() -> parser.feed(stream, 0, stream.length));
        if (thrown != null) {
            assertThat(thrown).isInstanceOf(SseParser.LimitExceededException.class);
            assertThat(catchThrowable(() -> parser.feed(new byte[] {'\n'}, 0, 1)))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * The first place where the input outgrows a limit, found on the raw bytes as the parser counts: a line's bytes
     * (its end excluded, a leading BOM dropped, the unterminated last line included), and an event's data buffer,
     * each {@code data} value's bytes plus one for its LF, emptied by every empty line.
     */
    private record Violation(String limitName, int lineStart) {

        static Violation find(byte[] s, int maxLine, int maxEvent) {
            if (s.length < 3 && Arrays.equals(s, 0, s.length, BOM, 0, s.length)) {
                // A stream that stops inside what may still become a BOM: undecided until more bytes come.
                return null;
            }
            int i = s.length >= 3 && Arrays.equals(s, 0, 3, BOM, 0, 3) ? 3 : 0;
            long dataLength = 0;
            while (i <= s.length) {
                int start = i;
                while (i < s.length && s[i] != '\r' && s[i] != '\n') {
                    i++;
                }
                boolean terminated = i < s.length;
                int length = i - start;
                if (length > maxLine) {
                    return new Violation("maxLineBytes", start);
                }
                if (!terminated) {
                    return null;
                }
                if (length == 0) {
                    dataLength = 0;
                } else if (isDataField(s, start, i)) {
                    int value = start + 4 < i ? start + 5 : i;
                    if (value < i && s[value] == ' ') {
                        value++;
                    }
                    dataLength += i - value + 1;
                    if (dataLength > maxEvent) {
                        return new Violation("maxEventBytes", start);
                    }
                }
                i += s[i] == '\r' && i + 1 < s.length && s[i + 1] == '\n' ? 2 : 1;
            }
            return null;
        }

        private static boolean isDataField(byte[] s, int from, int to) {
            return to - from >= 4 && s[from] == 'd' && s[from + 1] == 'a' && s[from + 2] == 't' && s[from + 3] == 'a'
                    && (to - from == 4 || s[from + 4] == ':');
        }
    }

    private static void feed(SseParser parser, byte[] stream, List<Integer> chunks, boolean direct) {
        int from = 0;
        int next = 0;
        while (from < stream.length) {
            int size = chunks.isEmpty() ? stream.length : chunks.get(next++ % chunks.size());
            int n = Math.min(size, stream.length - from);
            if (direct && next % 2 == 0) {
                parser.feed(ByteBuffer.allocateDirect(n).put(stream, from, n).flip());
            } else {
                parser.feed(stream, from, n);
            }
            from += n;
        }
    }

    /** Chunk sizes used in turn: none means one chunk; ones mean byte by byte. */
    @Provide
    Arbitrary<List<Integer>> chunkSizes() {
        return Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(List.<Integer>of())),
                Tuple.of(1, Arbitraries.just(List.of(1))),
                Tuple.of(6, Arbitraries.integers().between(1, 64).list().ofMinSize(1).ofMaxSize(8)));
    }

    @Provide
    Arbitrary<byte[]> damagedOrSoup() {
        return Arbitraries.oneOf(damagedStreams(), alphabetSoup());
    }

    /** Encoded events, then up to six kinds of damage applied one after another. */
    @Provide
    Arbitrary<byte[]> damagedStreams() {
        Arbitrary<byte[]> wire = events().list().ofMinSize(1).ofMaxSize(5).map(events -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            events.forEach(e -> out.writeBytes(SseEncoder.encode(e)));
            return out.toByteArray();
        });
        return Combinators.combine(Arbitraries.of(false, false, false, true), wire, damage().list().ofMaxSize(6))
                .as((bom, bytes, damage) -> {
                    byte[] s = bom ? concat(BOM, bytes) : bytes;
                    for (Damage d : damage) {
                        s = d.apply(s);
                    }
                    return s;
                });
    }

    /** Random bytes drawn mostly from what the format and UTF-8 decoding treat specially. */
    @Provide
    Arbitrary<byte[]> alphabetSoup() {
        Arbitrary<byte[]> token = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of("\r", "\n", "\r\n", ":", " ", "data", "id", "event", "retry", "7", "\u0000",
                        "x").map(t -> t.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(3, Arbitraries.of(BOM, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC3},
                        new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
                        new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})),
                Tuple.of(1, Arbitraries.bytes().map(b -> new byte[] {b})));
        return token.list().ofMaxSize(80).map(tokens -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            tokens.forEach(out::writeBytes);
            return out.toByteArray();
        });
    }

    private static Arbitrary<SseEvent> events() {
        Arbitrary<String> name = Arbitraries.strings().withChars("abcXYZ019 :-\u00e9\u20ac").ofMaxLength(8);
        Arbitrary<String> text = Arbitraries.frequencyOf(
                        Tuple.of(4, Arbitraries.strings().alpha().numeric().ofMaxLength(5)),
                        Tuple.of(3, Arbitraries.of("\r", "\n", "\r\n", "\u0000", " ", ":", "\uFEFF", "\u00e9",
                                "\uD83D\uDE80", "data: x", "\u2028")))
                .list().ofMaxSize(6).map(pieces -> String.join("", pieces));
        Arbitrary<Duration> retry = Arbitraries.longs().between(0, 99_999).map(Duration::ofMillis);
        return Combinators.combine(name.injectNull(0.5), name.injectNull(0.5), text.injectNull(0.2),
                        retry.injectNull(0.8), text.injectNull(0.8))
                .as((id, type, data, r, comment) -> {
                    SseEvent.Builder b = SseEvent.builder().id(id).event(type).retry(r).comment(comment);
                    // An event needs at least one field; data makes it dispatch.
                    return b.data(data == null && id == null && type == null && r == null && comment == null ? ""
                            : data).build();
                });
    }

    private static Arbitrary<Damage> damage() {
        Arbitrary<byte[]> inserted = Arbitraries.of(
                new byte[] {'\r'}, new byte[] {'\n'}, new byte[] {'\r', '\n'}, new byte[] {0}, BOM,
                new byte[] {(byte) 0xC3}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},
                new byte[] {(byte) 0xF4, (byte) 0x90}, new byte[] {':'}, new byte[] {' '},
                "data:".getBytes(StandardCharsets.US_ASCII), "id:\u0000".getBytes(StandardCharsets.US_ASCII));
        Arbitrary<Integer> at = Arbitraries.integers().between(0, 1 << 16);
        return Arbitraries.oneOf(
                Combinators.combine(at, Arbitraries.integers().between(0, 7)).as(Damage.FlipBit::new),
                Combinators.combine(at, Arbitraries.bytes()).as(Damage.SetByte::new),
                Combinators.combine(at, inserted).as(Damage.Insert::new),
                Combinators.combine(at, Arbitraries.integers().between(1, 8)).as(Damage.Delete::new),
                Combinators.combine(at, Arbitraries.integers().between(1, 12)).as(Damage.Repeat::new),
                at.map(Damage.Truncate::new));
    }

    /** One kind of damage to a stream; positions wrap around its length. */
    private sealed interface Damage {
        byte[] apply(byte[] s);

        record FlipBit(int at, int bit) implements Damage {
            public byte[] apply(byte[] s) {
                if (s.length == 0) {
                    return s;
                }
                byte[] out = s.clone();
                out[at % s.length] ^= (byte) (1 << bit);
                return out;
            }
        }

        record SetByte(int at, byte value) implements Damage {
            public byte[] apply(byte[] s) {
                if (s.length == 0) {
                    return s;
                }
                byte[] out = s.clone();
                out[at % s.length] = value;
                return out;
            }
        }

        record Insert(int at, byte[] bytes) implements Damage {
            public byte[] apply(byte[] s) {
                int i = at % (s.length + 1);
                return concat(Arrays.copyOf(s, i), bytes, Arrays.copyOfRange(s, i, s.length));
            }
        }

        record Delete(int at, int length) implements Damage {
            public byte[] apply(byte[] s) {
                int i = at % (s.length + 1);
                int j = Math.min(s.length, i + length);
                return concat(Arrays.copyOf(s, i), Arrays.copyOfRange(s, j, s.length));
            }
        }

        record Repeat(int at, int length) implements Damage {
            public byte[] apply(byte[] s) {
                int i = at % (s.length + 1);
                int j = Math.min(s.length, i + length);
                return concat(Arrays.copyOf(s, j), Arrays.copyOfRange(s, i, s.length));
            }
        }

        record Truncate(int at) implements Damage {
            public byte[] apply(byte[] s) {
                return Arrays.copyOf(s, at % (s.length + 1));
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Property(tries = 50)
    void violationModelSeesALongLineAndABigEvent(@ForAll @Size(min = 5, max = 20) List<@IntRange(min = 'a',
            max = 'z') Integer> letters) {
        byte[] line = new byte[letters.size()];
        for (int i = 0; i < line.length; i++) {
            line[i] = letters.get(i).byteValue();
        }
        // A guard on the model itself, so that a model that never finds anything cannot pass the property above.
        assertThat(Violation.find(concat(line, new byte[] {'\n'}), line.length - 1, 100).limitName)
                .isEqualTo("maxLineBytes");
        assertThat(Violation.find(concat("data: ".getBytes(StandardCharsets.US_ASCII), line, new byte[] {'\n'}), 100,
                line.length).limitName).isEqualTo("maxEventBytes");
        assertThat(Violation.find(concat("data: ".getBytes(StandardCharsets.US_ASCII), line, new byte[] {'\n'}), 100,
                line.length + 1)).isNull();
    }
}
