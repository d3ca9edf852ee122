package dev.sse.core;

import java.nio.charset.StandardCharsets;

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

    private static final byte[] COMMENT = {};
    private static final byte[] ID = {'i', 'd'};
    private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};
    private static final byte[] RETRY = {'r', 'e', 't', 'r', 'y'};
    private static final byte[] DATA = {'d', 'a', 't', 'a'};

    /**
     * Encodes one event.
     *
     * @param event the event
     * @return a new array holding the frame's bytes
     */
    public static byte[] encode(SseEvent event) {
        // Each value is converted to UTF-8 once by the JDK, then split at line ends on the bytes: CR and LF never
        // occur inside a multi-byte UTF-8 sequence, so the split is the same as on the characters.
        byte[] comment = utf8(event.comment());
        byte[] id = utf8(event.id());
        byte[] type = utf8(event.event());
        byte[] retry = event.retry() == null ? null
                : Long.toString(event.retry().toMillis()).getBytes(StandardCharsets.US_ASCII);
        byte[] data = utf8(event.data());

        int size = 1 + fieldSize(COMMENT, comment) + fieldSize(ID, id) + fieldSize(EVENT, type)
                + fieldSize(RETRY, retry) + fieldSize(DATA, data);
        byte[] out = new byte[size];
        int p = writeField(COMMENT, comment, out, 0);
        p = writeField(ID, id, out, p);
        p = writeField(EVENT, type, out, p);
        p = writeField(RETRY, retry, out, p);
        p = writeField(DATA, data, out, p);
        out[p] = '\n';
        return out;
    }

    /** The bytes of {@code name: line\n} for each line of the value, or 0 when absent. */
    private static int fieldSize(byte[] name, byte[] value) {
        if (value == null) {
            return 0;
        }
        int size = 0;
        int start = 0;
        int n = value.length;
        for (int i = 0; i <= n; i++) {
            if (i == n || value[i] == '\n' || value[i] == '\r') {
                size += name.length + 2 + (i > start ? 1 + i - start : 0);
                if (i < n && value[i] == '\r' && i + 1 < n && value[i + 1] == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        return size;
    }

    private static int writeField(byte[] name, byte[] value, byte[] out, int at) {
        if (value == null) {
            return at;
        }
        int p = at;
        int start = 0;
        int n = value.length;
        for (int i = 0; i <= n; i++) {
            if (i == n || value[i] == '\n' || value[i] == '\r') {
                System.arraycopy(name, 0, out, p, name.length);
                p += name.length;
                out[p++] = ':';
                if (i > start) {
                    out[p++] = ' ';
                    System.arraycopy(value, start, out, p, i - start);
                    p += i - start;
                }
                out[p++] = '\n';
                if (i < n && value[i] == '\r' && i + 1 < n && value[i + 1] == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        return p;
    }

    /** UTF-8 as a browser encodes it: an unpaired surrogate becomes U+FFFD, where {@code getBytes} would write '?'. */
    private static byte[] utf8(String s) {
        if (s == null) {
            return null;
        }
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return replaceUnpairedSurrogates(s).getBytes(StandardCharsets.UTF_8);
                }
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String replaceUnpairedSurrogates(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else {
                sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }
}
