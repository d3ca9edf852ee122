package dev.sse.core;

/**
 * Writes an {@link SseEvent} as the exact bytes of one {@code text/event-stream} frame, in UTF-8.
 *
 * <pre>{@code
 * byte[] wire = SseEncoder.encode(SseEvent.of("update", "a\nb"));
 * // event: update\ndata: a\ndata: b\n\n
 * }</pre>
 *
 * <p>A pure function with no I/O, safe from any thread. The output follows the WHATWG HTML standard, "Server-sent
 * events", so that a conforming parser fed these bytes dispatches exactly the given event:
 * <ul>
 *   <li>Fields in the order comment, {@code id}, {@code event}, {@code retry}, {@code data}, then one empty line.
 *       Lines end in LF.</li>
 *   <li>Every field is written {@code name: value}; the one space after the colon is what the parser strips, so
 *       a value that itself starts with a space keeps it. An empty value is written {@code name:}.</li>
 *   <li>Data and comments are split at CRLF, lone CR and lone LF, the three line ends of the parser, and at no
 *       other character: U+0085, U+2028, U+2029, VT and FF are data. Each line becomes its own {@code data:} (or
 *       {@code :}) line, so data that ends in a line break ends in an empty {@code data:} line, and the empty string
 *       is a single {@code data:} line.</li>
 *   <li>An unpaired surrogate is written as U+FFFD, as a browser's UTF-8 encoder does.</li>
 * </ul>
 * To send one event to many clients, encode it once with {@link SseFrame#of(SseEvent)} and write the frame to each.
 */
public final class SseEncoder {

    private SseEncoder() {
    }

    /**
     * Encodes one event.
     *
     * @param event the event
     * @return a new array holding the frame's bytes
     */
    public static byte[] encode(SseEvent event) {
        Utf8Writer counter = new Utf8Writer(null);
        write(event, counter);
        Utf8Writer writer = new Utf8Writer(new byte[counter.position]);
        write(event, writer);
        return writer.buf;
    }

    private static void write(SseEvent e, Utf8Writer out) {
        if (e.comment() != null) {
            writeLines("", e.comment(), out);
        }
        if (e.id() != null) {
            writeField("id", e.id(), out);
        }
        if (e.event() != null) {
            writeField("event", e.event(), out);
        }
        if (e.retry() != null) {
            writeField("retry", Long.toString(e.retry().toMillis()), out);
        }
        if (e.data() != null) {
            writeLines("data", e.data(), out);
        }
        out.ascii('\n');
    }

    /** Writes one field line per line of {@code value}, breaking at CRLF, CR and LF. */
    private static void writeLines(String name, String value, Utf8Writer out) {
        int start = 0;
        int n = value.length();
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == '\n' || c == '\r') {
                writeField(name, value, start, i, out);
                if (c == '\r' && i + 1 < n && value.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        writeField(name, value, start, n, out);
    }

    private static void writeField(String name, String value, Utf8Writer out) {
        writeField(name, value, 0, value.length(), out);
    }

    private static void writeField(String name, String value, int from, int to, Utf8Writer out) {
        out.ascii(name);
        out.ascii(':');
        if (to > from) {
            out.ascii(' ');
            out.utf8(value, from, to);
        }
        out.ascii('\n');
    }

    /** Counts bytes when {@code buf} is null, writes them otherwise; the two passes share one code path. */
    private static final class Utf8Writer {
        final byte[] buf;
        int position;

        Utf8Writer(byte[] buf) {
            this.buf = buf;
        }

        void ascii(char c) {
            if (buf != null) {
                buf[position] = (byte) c;
            }
            position++;
        }

        void ascii(String s) {
            for (int i = 0; i < s.length(); i++) {
                ascii(s.charAt(i));
            }
        }

        void utf8(String s, int from, int to) {
            for (int i = from; i < to; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    ascii(c);
                } else if (c < 0x800) {
                    put(0xC0 | (c >> 6));
                    put(0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    put(0xF0 | (cp >> 18));
                    put(0x80 | ((cp >> 12) & 0x3F));
                    put(0x80 | ((cp >> 6) & 0x3F));
                    put(0x80 | (cp & 0x3F));
                } else {
                    int cp = Character.isSurrogate(c) ? 0xFFFD : c;
                    put(0xE0 | (cp >> 12));
                    put(0x80 | ((cp >> 6) & 0x3F));
                    put(0x80 | (cp & 0x3F));
                }
            }
        }

        private void put(int b) {
            if (buf != null) {
                buf[position] = (byte) b;
            }
            position++;
        }
    }
}
