package dev.sse.webflux;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw query string decoded strictly, as {@code SseServlet} decodes it: percent-encoded UTF-8 only, so a raw
 * non-ASCII byte, a malformed escape or invalid UTF-8 is a clear {@code 400} naming the parameter.
 */
final class Query {

    private Query() {
    }

    static Map<String, List<String>> parse(String raw) throws RequestBodies.Refused {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "query");
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), name);
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    /** @return the one value of a parameter, {@code null} when absent or empty */
    static String single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        if (values == null) {
            return null;
        }
        if (values.size() > 1) {
            throw new RequestBodies.Refused(400, name, name + " must be given at most once");
        }
        return values.get(0).isEmpty() ? null : values.get(0);
    }

    private static String decode(String s, String field) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new RequestBodies.Refused(400, field, field + " has a malformed percent-escape at index " + i);
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x21 || c > 0x7E) {
                // The server has already turned the request line's bytes into characters by a charset of its choosing;
                // only ASCII survives that unambiguously, so anything else must come percent-encoded.
                throw new RequestBodies.Refused(400, field, field + " must be percent-encoded UTF-8 (found a raw byte "
                        + "that is not printable ASCII at index " + i + ")");
            } else {
                bytes.write(c);
            }
        }
        byte[] b = bytes.toByteArray();
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new RequestBodies.Refused(400, field, field + " is not valid UTF-8 (bad byte sequence at byte offset "
                    + in.position() + ")");
        }
        return out.flip().toString();
    }
}
