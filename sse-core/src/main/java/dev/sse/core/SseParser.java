package dev.sse.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads a {@code text/event-stream} incrementally, byte chunk by byte chunk, and reports what a browser's
 * {@code EventSource} would see.
 *
 * <pre>{@code
 * SseParser parser = new SseParser((type, data, lastEventId) -> handle(type, data));
 * parser.feed(bytes, 0, bytes.length); // call again for each chunk as it arrives
 * }</pre>
 *
 * <p>Implements the WHATWG HTML standard, "Server-sent events", sections "Parsing an event stream" and
 * "Interpreting an event stream", exactly:
 * <ul>
 *   <li>The bytes are UTF-8; malformed sequences become U+FFFD exactly as the Encoding Standard's "UTF-8 decode"
 *       does (one U+FFFD per maximal subpart), and one leading byte order mark (EF BB BF) at the very start of the
 *       stream is dropped, even when its bytes arrive in separate chunks.</li>
 *   <li>CRLF, lone CR and lone LF each end a line, also when the CR and the LF of a CRLF arrive in separate
 *       chunks.</li>
 *   <li>An empty line dispatches the pending event; a line starting with {@code :} is a comment; any other line is
 *       a field, its name up to the first {@code :} and its value after it with one leading space removed (a line
 *       without {@code :} is a field with an empty value). Fields {@code event}, {@code data}, {@code id} (ignored if
 *       its value contains U+0000) and {@code retry} (ignored unless all ASCII digits) are interpreted; any other
 *       field is ignored.</li>
 *   <li>On dispatch the last event id becomes the id buffer, and it stays so across later events until an
 *       {@code id} field changes it, even when nothing is dispatched because the data buffer is empty.</li>
 *   <li>A stream that ends without an empty line after its last event dispatches nothing more: the incomplete event
 *       and any unterminated last line are discarded, as a browser does. So there is no method to call at the end of
 *       the stream; just stop feeding.</li>
 * </ul>
 *
 * <p>Memory is bounded: a line longer than {@code maxLineBytes} bytes (line end excluded) or an event whose data
 * buffer grows beyond {@code maxEventBytes} bytes makes {@link #feed} throw {@link LimitExceededException}. No other
 * input makes the parser throw. After any exception escapes {@code feed} (a limit, or one thrown by the listener),
 * the parser is failed: the rest of that chunk was not parsed, and later calls to {@code feed} throw
 * {@link IllegalStateException}. Create a new parser for a new stream.
 *
 * <p>Pure and synchronous: no I/O, no threads; listener methods run on the thread calling {@link #feed}, before it
 * returns. One instance per stream; not thread-safe, so feed it from one thread at a time (or with external
 * synchronisation). A listener must not call {@link #feed} on the parser that is calling it.
 */
public final class SseParser {

    /**
     * Receives what the parser reads, on the thread calling {@link SseParser#feed}, in stream order.
     *
     * <pre>{@code
     * SseParser.Listener listener = (type, data, lastEventId) -> queue.add(data);
     * }</pre>
     */
    public interface Listener {

        /**
         * Called for each dispatched event, that is at each empty line that follows at least one {@code data} field.
         *
         * @param type the event type: the last {@code event} field's value, or {@code "message"} when there was
         *             none or it was empty
         * @param data the data: the {@code data} fields' values joined by LF, possibly empty, never null
         * @param lastEventId the last event id after this event, as {@link SseParser#lastEventId()} returns it
         */
        void onEvent(String type, String data, String lastEventId);

        /**
         * Called for each comment line; does nothing by default.
         *
         * @param comment the text after the {@code :}, with one leading space removed, as for field values
         */
        default void onComment(String comment) {
        }

        /**
         * Called for each {@code retry} field whose value is only ASCII digits; does nothing by default.
         *
         * @param millis the reconnection time in milliseconds, {@link Long#MAX_VALUE} if larger
         */
        default void onRetry(long millis) {
        }
    }

    /**
     * Thrown by {@link SseParser#feed} when a line or an event's data outgrows its limit; the parser is then failed.
     *
     * <p>An unchecked exception, not an {@link IllegalStateException}: the input is at fault, not the caller.
     */
    public static final class LimitExceededException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        /** The name of the limit exceeded, as the constructor parameter is named. */
        private final String limitName;
        /** The value of the limit exceeded, in bytes. */
        private final int limit;

        LimitExceededException(String limitName, int limit, String what) {
            super(what + " exceeds " + limitName + " (" + limit + " bytes)");
            this.limitName = limitName;
            this.limit = limit;
        }

        /** @return the limit's name: {@code "maxLineBytes"} or {@code "maxEventBytes"} */
        public String limitName() {
            return limitName;
        }

        /** @return the limit's value in bytes */
        public int limit() {
            return limit;
        }
    }

    /**
     * The default limit of one line's length: 1 MiB, far above any sane field while keeping a hostile stream from
     * growing a line buffer without bound.
     */
    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    /**
     * The default limit of one event's data buffer (all its {@code data} values, each with its LF): 8 MiB.
     */
    public static final int DEFAULT_MAX_EVENT_BYTES = 8 << 20;

    private static final String DEFAULT_TYPE = "message";
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final int INITIAL_BUFFER = 256;
    /** Buffers that grew past this are dropped after use, so one huge event does not pin memory per stream. */
    private static final int RETAINED_BUFFER = 64 * 1024;
    private static final int SCRATCH = 8 * 1024;

    private final Listener listener;
    private final int maxLineBytes;
    private final int maxEventBytes;

    /** The current line's bytes when it spans chunks; a line that lies within one chunk is parsed in place. */
    private byte[] line = new byte[0];
    private int lineLength;
    /** The last line ended in CR: an LF first in the next chunk is that line end's second half. */
    private boolean skipLineFeed;
    /** How many bytes of a leading BOM have been seen and held back; -1 once the stream start is past. */
    private int bomMatched;

    private byte[] data = new byte[0];
    private int dataLength;
    private String type = "";
    private String idBuffer = "";
    private String lastEventId = "";

    /** Saves decoding the same event type again for each event, the common case. */
    private byte[] cachedTypeBytes = new byte[0];
    private String cachedType = "";

    private byte[] scratch;
    private boolean feeding;
    private Throwable failure;

    /**
     * Creates a parser with the default limits {@link #DEFAULT_MAX_LINE_BYTES} and {@link #DEFAULT_MAX_EVENT_BYTES}.
     *
     * @param listener receives events, comments and retry values
     */
    public SseParser(Listener listener) {
        this(listener, DEFAULT_MAX_LINE_BYTES, DEFAULT_MAX_EVENT_BYTES);
    }

    /**
     * Creates a parser with the given limits.
     *
     * @param listener receives events, comments and retry values
     * @param maxLineBytes the longest line accepted, in bytes, line end excluded
     * @param maxEventBytes the largest data buffer accepted, in bytes: each {@code data} value in UTF-8 plus one
     *                      byte for its LF
     * @throws IllegalArgumentException if a limit is less than 1
     */
    public SseParser(Listener listener, int maxLineBytes, int maxEventBytes) {
        this.listener = Objects.requireNonNull(listener, "listener");
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be at least 1 (was " + maxLineBytes + ")");
        }
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be at least 1 (was " + maxEventBytes + ")");
        }
        this.maxLineBytes = maxLineBytes;
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Creates a parser with the given limits whose last event id starts as {@code lastEventId} instead of the empty
     * string: what a client needs when it reconnects, so that events of the new stream without an {@code id} field
     * keep the id it resumed from (as browsers do) while an empty {@code id} field still clears it.
     *
     * @param listener receives events, comments and retry values
     * @param maxLineBytes the longest line accepted, in bytes, line end excluded
     * @param maxEventBytes the largest data buffer accepted, in bytes
     * @param lastEventId the initial last event id (and id buffer), possibly empty
     * @throws IllegalArgumentException if a limit is less than 1, or if {@code lastEventId} contains CR, LF or
     *                                  U+0000, which no {@code id} field can carry
     */
    public SseParser(Listener listener, int maxLineBytes, int maxEventBytes, String lastEventId) {
        this(listener, maxLineBytes, maxEventBytes);
        Objects.requireNonNull(lastEventId, "lastEventId");
        for (int i = 0; i < lastEventId.length(); i++) {
            char c = lastEventId.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("lastEventId must not contain CR, LF or U+0000 (found U+"
                        + String.format("%04X", (int) c) + " at index " + i + ")");
            }
        }
        this.idBuffer = lastEventId;
        this.lastEventId = lastEventId;
    }

    /**
     * Parses the next bytes of the stream, calling the listener for everything they complete.
     *
     * @param bytes the array holding the bytes; not kept after the call returns
     * @param offset the index of the first byte
     * @param length the number of bytes, possibly 0
     * @throws IndexOutOfBoundsException if the range is not within the array
     * @throws LimitExceededException if a line or an event's data outgrows its limit
     * @throws IllegalStateException if an earlier call failed, or if called from this parser's listener
     */
    public void feed(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        enter();
        try {
            parse(bytes, offset, offset + length);
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            feeding = false;
        }
    }

    /**
     * Parses the buffer's remaining bytes, as {@link #feed(byte[], int, int)} does, and advances its position to its
     * limit. Direct and read-only buffers are copied through a small reused array, never whole.
     *
     * @param buffer the bytes; not kept after the call returns
     * @throws LimitExceededException if a line or an event's data outgrows its limit
     * @throws IllegalStateException if an earlier call failed, or if called from this parser's listener
     */
    public void feed(ByteBuffer buffer) {
        enter();
        try {
            if (buffer.hasArray()) {
                int start = buffer.arrayOffset() + buffer.position();
                int n = buffer.remaining();
                buffer.position(buffer.limit());
                parse(buffer.array(), start, start + n);
            } else {
                if (scratch == null) {
                    scratch = new byte[SCRATCH];
                }
                while (buffer.hasRemaining()) {
                    int n = Math.min(scratch.length, buffer.remaining());
                    buffer.get(scratch, 0, n);
                    parse(scratch, 0, n);
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            feeding = false;
        }
    }

    /**
     * Returns the last event id: the spec's "last event ID string", which a client sends back as
     * {@code Last-Event-ID} when it reconnects.
     *
     * <p>It is the empty string until the first dispatch, then the value of the last {@code id} field read before the
     * latest empty line, kept across events. An event without data does not dispatch but still sets it.
     *
     * @return the last event id, never null
     */
    public String lastEventId() {
        return lastEventId;
    }

    private void enter() {
        if (failure != null) {
            throw new IllegalStateException("parser failed on an earlier feed; use a new parser for a new stream",
                    failure);
        }
        if (feeding) {
            throw new IllegalStateException("feed must not be called from this parser's own listener");
        }
        feeding = true;
    }

    private void parse(byte[] b, int from, int to) {
        int start = from;
        if (bomMatched >= 0) {
            // Held back until all three bytes are seen, since a chunk may end inside the BOM.
            while (start < to && bomMatched < BOM.length && b[start] == BOM[bomMatched]) {
                bomMatched++;
                start++;
            }
            if (bomMatched == BOM.length) {
                bomMatched = -1;
            } else if (start < to) {
                int held = bomMatched;
                bomMatched = -1;
                parseLines(BOM, 0, held);
            } else {
                return;
            }
        }
        parseLines(b, start, to);
    }

    private void parseLines(byte[] b, int from, int to) {
        int i = from;
        if (skipLineFeed && i < to) {
            skipLineFeed = false;
            if (b[i] == '\n') {
                i++;
            }
        }
        int lineStart = i;
        for (; i < to; i++) {
            byte c = b[i];
            if (c != '\n' && c != '\r') {
                continue;
            }
            if (lineLength == 0) {
                if (i - lineStart > maxLineBytes) {
                    throw lineTooLong();
                }
                processLine(b, lineStart, i);
            } else {
                appendToLine(b, lineStart, i);
                int n = lineLength;
                lineLength = 0;
                processLine(line, 0, n);
                if (line.length > RETAINED_BUFFER) {
                    line = new byte[0];
                }
            }
            if (c == '\r') {
                if (i + 1 < to) {
                    if (b[i + 1] == '\n') {
                        i++;
                    }
                } else {
                    skipLineFeed = true;
                }
            }
            lineStart = i + 1;
        }
        if (lineStart < to) {
            appendToLine(b, lineStart, to);
        }
    }

    private void appendToLine(byte[] b, int from, int to) {
        int n = to - from;
        if (n > maxLineBytes - lineLength) {
            throw lineTooLong();
        }
        line = ensureCapacity(line, lineLength + n, maxLineBytes);
        System.arraycopy(b, from, line, lineLength, n);
        lineLength += n;
    }

    private LimitExceededException lineTooLong() {
        return new LimitExceededException("maxLineBytes", maxLineBytes, "line length");
    }

    private static byte[] ensureCapacity(byte[] buf, int needed, int max) {
        if (needed <= buf.length) {
            return buf;
        }
        int doubled = buf.length > max / 2 ? max : Math.max(INITIAL_BUFFER, buf.length * 2);
        return Arrays.copyOf(buf, Math.max(needed, Math.min(doubled, max)));
    }

    private void processLine(byte[] b, int from, int to) {
        if (from == to) {
            dispatch();
            return;
        }
        if (b[from] == ':') {
            listener.onComment(decode(b, skipOneSpace(b, from + 1, to), to));
            return;
        }
        int colon = from;
        while (colon < to && b[colon] != ':') {
            colon++;
        }
        int valueStart = colon < to ? skipOneSpace(b, colon + 1, to) : to;
        field(b, from, colon, valueStart, to);
    }

    private static int skipOneSpace(byte[] b, int from, int to) {
        return from < to && b[from] == ' ' ? from + 1 : from;
    }

    private void field(byte[] b, int nameFrom, int nameTo, int from, int to) {
        int nameLength = nameTo - nameFrom;
        if (nameLength == 4 && is(b, nameFrom, "data")) {
            appendData(b, from, to);
        } else if (nameLength == 5 && is(b, nameFrom, "event")) {
            type = eventType(b, from, to);
        } else if (nameLength == 2 && is(b, nameFrom, "id")) {
            // The spec ignores ids containing U+0000, and only a 0x00 byte decodes to it.
            for (int i = from; i < to; i++) {
                if (b[i] == 0) {
                    return;
                }
            }
            idBuffer = decode(b, from, to);
        } else if (nameLength == 5 && is(b, nameFrom, "retry")) {
            retry(b, from, to);
        }
    }

    private static boolean is(byte[] b, int from, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (b[from + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void appendData(byte[] b, int from, int to) {
        int n = to - from;
        if (n >= maxEventBytes - dataLength) {
            throw new LimitExceededException("maxEventBytes", maxEventBytes, "event data");
        }
        data = ensureCapacity(data, dataLength + n + 1, maxEventBytes);
        System.arraycopy(b, from, data, dataLength, n);
        dataLength += n;
        data[dataLength++] = '\n';
    }

    private String eventType(byte[] b, int from, int to) {
        if (!Arrays.equals(b, from, to, cachedTypeBytes, 0, cachedTypeBytes.length)) {
            cachedTypeBytes = Arrays.copyOfRange(b, from, to);
            cachedType = decode(b, from, to);
        }
        return cachedType;
    }

    private void retry(byte[] b, int from, int to) {
        if (from == to) {
            return;
        }
        long millis = 0;
        for (int i = from; i < to; i++) {
            int digit = b[i] - '0';
            if (digit < 0 || digit > 9) {
                return;
            }
            // Keep scanning after saturating: a later non-digit must still make the field ignored.
            millis = millis > (Long.MAX_VALUE - digit) / 10 ? Long.MAX_VALUE : millis * 10 + digit;
        }
        listener.onRetry(millis);
    }

    private void dispatch() {
        lastEventId = idBuffer;
        String eventType = type.isEmpty() ? DEFAULT_TYPE : type;
        type = "";
        if (dataLength == 0) {
            return;
        }
        String eventData = decode(data, 0, dataLength - 1);
        dataLength = 0;
        if (data.length > RETAINED_BUFFER) {
            data = new byte[0];
        }
        listener.onEvent(eventType, eventData, lastEventId);
    }

    /**
     * Decodes UTF-8 as the Encoding Standard does. The JDK's decoder already replaces each maximal subpart of a
     * malformed sequence with one U+FFFD, except for an encoded surrogate (ED A0..BF): it replaces the whole
     * sequence once where the standard replaces each byte, since ED only starts sequences up to ED 9F.
     */
    static String decode(byte[] b, int from, int to) {
        if (from == to) {
            return "";
        }
        int surrogate = indexOfSurrogateLead(b, from, to);
        if (surrogate < 0) {
            return new String(b, from, to - from, StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(to - from);
        int start = from;
        while (surrogate >= 0) {
            sb.append(new String(b, start, surrogate - start, StandardCharsets.UTF_8)).append('\uFFFD');
            // The byte after ED is a continuation byte without a lead: the JDK gives it its own U+FFFD.
            start = surrogate + 1;
            surrogate = indexOfSurrogateLead(b, start, to);
        }
        return sb.append(new String(b, start, to - start, StandardCharsets.UTF_8)).toString();
    }

    private static int indexOfSurrogateLead(byte[] b, int from, int to) {
        for (int i = from; i < to - 1; i++) {
            if (b[i] == (byte) 0xED && (b[i + 1] & 0xE0) == 0xA0) {
                return i;
            }
        }
        return -1;
    }
}
