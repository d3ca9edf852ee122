package dev.sse.bench.load;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal SSE line splitter for the load generator, standing in for {@code dev.sse.core.SseParser}: splits on
 * CR, LF and CRLF (also across feeds), keeps {@code data}, {@code event} and {@code id}, reports comments and
 * {@code retry}, and dispatches on a blank line when data was seen. It ignores the BOM and other WHATWG details the
 * real parser owns; the bench only needs to count events and read the sequence number at the start of the data.
 */
final class LineSplitter implements EventDecoder {

    private final Listener listener;
    private byte[] line = new byte[256];
    private int lineLen;
    private boolean lastWasCr;

    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private String type = "";
    private String lastEventId = "";

    LineSplitter(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void feed(byte[] b, int off, int len) {
        int end = off + len;
        for (int i = off; i < end; i++) {
            byte c = b[i];
            if (c == '\n') {
                if (lastWasCr) {
                    lastWasCr = false;
                    continue;
                }
                endLine();
            } else if (c == '\r') {
                lastWasCr = true;
                endLine();
            } else {
                lastWasCr = false;
                if (lineLen == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[lineLen++] = c;
            }
        }
    }

    private void endLine() {
        int n = lineLen;
        lineLen = 0;
        if (n == 0) {
            dispatch();
            return;
        }
        if (line[0] == ':') {
            listener.onComment(new String(line, 1, n - 1, StandardCharsets.UTF_8));
            return;
        }
        int colon = 0;
        while (colon < n && line[colon] != ':') {
            colon++;
        }
        int valueStart = colon < n ? colon + 1 : n;
        if (valueStart < n && line[valueStart] == ' ') {
            valueStart++;
        }
        String value = new String(line, valueStart, n - valueStart, StandardCharsets.UTF_8);
        if (is("data", colon)) {
            if (hasData) {
                data.append('\n');
            }
            data.append(value);
            hasData = true;
        } else if (is("event", colon)) {
            type = value;
        } else if (is("id", colon)) {
            if (value.indexOf('\0') < 0) {
                lastEventId = value;
            }
        } else if (is("retry", colon)) {
            if (!value.isEmpty() && value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                try {
                    listener.onRetry(Long.parseLong(value));
                } catch (NumberFormatException tooLong) {
                    // WHATWG: a retry value that is not a valid integer is ignored.
                }
            }
        }
    }

    private boolean is(String field, int nameLen) {
        if (field.length() != nameLen) {
            return false;
        }
        for (int i = 0; i < nameLen; i++) {
            if (line[i] != field.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private void dispatch() {
        if (!hasData) {
            type = "";
            return;
        }
        String t = type.isEmpty() ? "message" : type;
        String d = data.toString();
        data.setLength(0);
        hasData = false;
        type = "";
        listener.onEvent(t, d, lastEventId);
    }
}
