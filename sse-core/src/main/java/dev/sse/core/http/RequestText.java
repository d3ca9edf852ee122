package dev.sse.core.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Text from a request decoded one way on every runtime: the query string strictly (percent-encoded UTF-8, so a
 * malformed one is a clear {@code 400} naming the parameter instead of whatever a container makes of it), a header
 * re-decoded as UTF-8, a body strictly. Stateless.
 */
public final class RequestText {

    private RequestText() {
    }

    /**
     * Decodes a raw query string. {@code +} is a space; names and values must be percent-encoded UTF-8 with only
     * printable ASCII left raw.
     *
     * @param raw the raw query, or {@code null}
     * @return the parameters in order, each with its values in order; or a {@code 400} naming the parameter
     *         ({@code query} for a name) and the index of the fault
     */
    public static Decision<Map<String, List<String>>> query(String raw) {
        try {
            return Decision.accept(parse(raw), List.of());
        } catch (Bad e) {
            return Decision.refuse(HttpAnswer.error(400, e.field, e.getMessage()));
        }
    }

    /**
     * The one value of a query parameter.
     *
     * @param query a decoded query
     * @param name the parameter
     * @return the value, {@code null} when absent or empty; or a {@code 400} when given more than once
     */
    public static Decision<String> single(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        if (values == null) {
            return Decision.accept(null, List.of());
        }
        if (values.size() > 1) {
            return Decision.refuse(HttpAnswer.error(400, name, name + " must be given at most once"));
        }
        return Decision.accept(values.get(0).isEmpty() ? null : values.get(0), List.of());
    }

    private static Map<String, List<String>> parse(String raw) throws Bad {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return Collections.unmodifiableMap(out);
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
        out.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(out);
    }

    /**
     * Re-decodes a header value as UTF-8: runtimes hand header bytes over as ISO-8859-1 characters, while an id is
     * UTF-8 on the wire. A value that is not UTF-8 (or already holds characters above U+00FF) is returned as given.
     *
     * @param header the value as the runtime gave it
     * @return the value
     */
    public static String headerUtf8(String header) {
        for (int i = 0; i < header.length(); i++) {
            if (header.charAt(i) > 0xFF) {
                return header;
            }
        }
        byte[] bytes = header.getBytes(StandardCharsets.ISO_8859_1);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            // Not UTF-8: take the characters as sent, an unknown id resumes with a gap.
            return header;
        }
    }

    /**
     * Decodes UTF-8 strictly: a malformed sequence is refused, never replaced by U+FFFD.
     *
     * @param bytes the bytes
     * @param length how many of them, from index 0
     * @param field the name of what they are, for the refusal (e.g. {@code body})
     * @return the text; or a {@code 400} naming the field and the byte offset of the first bad sequence
     */
    public static Decision<String> strictUtf8(byte[] bytes, int length, String field) {
        try {
            return Decision.accept(utf8(bytes, length, field), List.of());
        } catch (Bad e) {
            return Decision.refuse(HttpAnswer.error(400, e.field, e.getMessage()));
        }
    }

    private static String decode(String s, String field) throws Bad {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new Bad(field, field + " has a malformed percent-escape at index " + i);
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x21 || c > 0x7E) {
                // The runtime has already turned the request line's bytes into characters by a charset of its
                // choosing; only ASCII survives that unambiguously, so anything else must come percent-encoded.
                throw new Bad(field, field + " must be percent-encoded UTF-8 (found a raw byte that is not "
                        + "printable ASCII at index " + i + ")");
            } else {
                bytes.write(c);
            }
        }
        return utf8(bytes.toByteArray(), bytes.size(), field);
    }

    private static String utf8(byte[] bytes, int length, String field) throws Bad {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer out = CharBuffer.allocate(length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new Bad(field, field + " is not valid UTF-8 (bad byte sequence at byte offset " + in.position()
                    + ")");
        }
        return out.flip().toString();
    }

    private static final class Bad extends Exception {
        private static final long serialVersionUID = 1L;
        final String field;

        Bad(String field, String message) {
            super(message, null, false, false);
            this.field = field;
        }
    }
}
