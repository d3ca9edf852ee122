package dev.sse.servlet;

import dev.sse.core.ChannelOptions;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a stream request asks for, read once before anything is sent: topics (configured, plus those the query may
 * add), the resume point ({@code Last-Event-ID}, re-decoded as UTF-8, or the query parameter), the principal. The
 * query string is decoded strictly here (percent-encoded UTF-8), so a malformed one is a clear {@code 400} instead of
 * whatever the container makes of it.
 */
final class StreamRequest {

    final Set<String> topics;
    final Map<String, Object> attributes;
    final String lastEventId;

    private StreamRequest(Set<String> topics, Map<String, Object> attributes, String lastEventId) {
        this.topics = topics;
        this.attributes = attributes;
        this.lastEventId = lastEventId;
    }

    /** A request that cannot be served as asked: the status, the parameter or header at fault, and why. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        final String field;

        Refusal(int status, String field, String message) {
            super(message, null, false, false);
            this.status = status;
            this.field = field;
        }
    }

    static StreamRequest read(HttpServletRequest req, Settings s) throws Refusal {
        Map<String, List<String>> query = query(req.getQueryString());
        Set<String> topics = new LinkedHashSet<>(s.topics);
        List<String> asked = query.get(s.topicParameter);
        if (asked != null && !s.allowedTopics.isEmpty()) {
            boolean any = s.allowedTopics.contains("*");
            for (String value : asked) {
                for (String t : value.split(",")) {
                    String topic = t.trim();
                    if (topic.isEmpty()) {
                        continue;
                    }
                    if (!any && !s.allowedTopics.contains(topic)) {
                        // 204: the browser stops reconnecting, which is right for a topic it may never have.
                        throw new Refusal(204, s.topicParameter, "topic " + topic + " is not allowed");
                    }
                    topics.add(topic);
                }
            }
        }
        Map<String, Object> attributes = new LinkedHashMap<>();
        Principal principal = req.getUserPrincipal();
        if (principal != null) {
            attributes.put(SseServlet.PRINCIPAL_ATTRIBUTE, principal);
        }
        String lastEventId = null;
        if (!s.ignoreClientLastEventId) {
            String header = req.getHeader("Last-Event-ID");
            if (header != null) {
                lastEventId = utf8(header);
            } else {
                List<String> param = query.get(s.lastEventIdParameter);
                if (param != null && !param.get(0).isEmpty()) {
                    lastEventId = param.get(0);
                }
            }
        }
        return new StreamRequest(topics, attributes, lastEventId);
    }

    ChannelOptions.Builder options() {
        ChannelOptions.Builder b = ChannelOptions.builder().topics(topics).lastEventId(lastEventId);
        attributes.forEach(b::attribute);
        return b;
    }

    /** Containers hand header bytes over as ISO-8859-1 characters; an id is UTF-8 on the wire. */
    static String utf8(String header) {
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

    static Map<String, List<String>> query(String raw) throws Refusal {
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

    private static String decode(String s, String field) throws Refusal {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                bytes.write(' ');
            } else if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (lo < 0) {
                    throw new Refusal(400, field, field + " has a malformed percent-escape at index " + i);
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x21 || c > 0x7E) {
                // The container has already turned the request line's bytes into characters by a charset of its
                // choosing; only ASCII survives that unambiguously, so anything else must come percent-encoded.
                throw new Refusal(400, field, field + " must be percent-encoded UTF-8 (found a raw byte that is not "
                        + "printable ASCII at index " + i + ")");
            } else {
                bytes.write(c);
            }
        }
        return strictUtf8(bytes.toByteArray(), bytes.size(), field);
    }

    /**
     * Decodes UTF-8 strictly: a malformed sequence is refused, never replaced by U+FFFD.
     *
     * @throws Refusal {@code 400} naming the field and the byte offset of the first bad sequence
     */
    static String strictUtf8(byte[] bytes, int length, String field) throws Refusal {
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
            throw new Refusal(400, field, field + " is not valid UTF-8 (bad byte sequence at byte offset "
                    + in.position() + ")");
        }
        return out.flip().toString();
    }
}
