package dev.sse.core;

import dev.sse.core.RecordingListener.Comment;
import dev.sse.core.RecordingListener.Event;
import dev.sse.core.RecordingListener.Item;
import dev.sse.core.RecordingListener.Retry;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The WHATWG algorithm transcribed step by step on whole strings, for reference: the stream is decoded with the
 * Encoding Standard's UTF-8 decoder first, then split into lines, as the specification describes it.
 */
final class SpecReferenceParser {
    final List<Item> items = new ArrayList<>();
    String lastEventId = "";

    private SpecReferenceParser() {
    }

    /**
     * Parses a whole stream.
     *
     * @param stream the bytes, as they would arrive
     * @return what a conforming client reports: {@link #items} in order and the final {@link #lastEventId}
     */
    static SpecReferenceParser parse(byte[] stream) {
        SpecReferenceParser ref = new SpecReferenceParser();
        String text = utf8Decode(stream);
        String data = "";
        String type = "";
        String idBuffer = "";
        int lineStart = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\r' && c != '\n') {
                continue;
            }
            String line = text.substring(lineStart, i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                i++;
            }
            lineStart = i + 1;

            if (line.isEmpty()) {
                ref.lastEventId = idBuffer;
                if (data.isEmpty()) {
                    type = "";
                    continue;
                }
                if (data.endsWith("\n")) {
                    data = data.substring(0, data.length() - 1);
                }
                ref.items.add(new Event(type.isEmpty() ? "message" : type, data, ref.lastEventId));
                data = "";
                type = "";
            } else if (line.startsWith(":")) {
                ref.items.add(new Comment(stripSpace(line.substring(1))));
            } else {
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : stripSpace(line.substring(colon + 1));
                switch (field) {
                    case "event" -> type = value;
                    case "data" -> data = data + value + "\n";
                    case "id" -> {
                        if (!value.contains("\u0000")) {
                            idBuffer = value;
                        }
                    }
                    case "retry" -> {
                        if (value.matches("[0-9]+")) {
                            BigInteger millis = new BigInteger(value);
                            ref.items.add(new Retry(millis.min(BigInteger.valueOf(Long.MAX_VALUE)).longValue()));
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        return ref;
    }

    private static String stripSpace(String value) {
        return value.startsWith(" ") ? value.substring(1) : value;
    }

    /** The Encoding Standard's "UTF-8 decode": strip one leading BOM, then decode with replacement. */
    static String utf8Decode(byte[] bytes) {
        int i = 0;
        if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xEF && (bytes[1] & 0xFF) == 0xBB
                && (bytes[2] & 0xFF) == 0xBF) {
            i = 3;
        }
        StringBuilder out = new StringBuilder();
        int needed = 0;
        int seen = 0;
        int codePoint = 0;
        int lower = 0x80;
        int upper = 0xBF;
        while (i < bytes.length) {
            int b = bytes[i] & 0xFF;
            if (needed == 0) {
                i++;
                if (b <= 0x7F) {
                    out.append((char) b);
                } else if (b >= 0xC2 && b <= 0xDF) {
                    needed = 1;
                    codePoint = b & 0x1F;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    lower = b == 0xE0 ? 0xA0 : 0x80;
                    upper = b == 0xED ? 0x9F : 0xBF;
                    needed = 2;
                    codePoint = b & 0xF;
                } else if (b >= 0xF0 && b <= 0xF4) {
                    lower = b == 0xF0 ? 0x90 : 0x80;
                    upper = b == 0xF4 ? 0x8F : 0xBF;
                    needed = 3;
                    codePoint = b & 0x7;
                } else {
                    out.append('\uFFFD');
                }
                continue;
            }
            if (b < lower || b > upper) {
                // The byte is not consumed: it starts over, as the standard's "restore to stream" says.
                codePoint = 0;
                needed = 0;
                seen = 0;
                lower = 0x80;
                upper = 0xBF;
                out.append('\uFFFD');
                continue;
            }
            i++;
            lower = 0x80;
            upper = 0xBF;
            codePoint = (codePoint << 6) | (b & 0x3F);
            seen++;
            if (seen == needed) {
                out.appendCodePoint(codePoint);
                codePoint = 0;
                needed = 0;
                seen = 0;
            }
        }
        if (needed != 0) {
            out.append('\uFFFD');
        }
        return out.toString();
    }
}
