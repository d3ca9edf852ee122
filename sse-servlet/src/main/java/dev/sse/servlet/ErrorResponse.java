package dev.sse.servlet;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servlet module's one JSON writer: error answers naming the field and the problem,
 * {@code {"error":"...","field":"..."}}, and the few small documents the publish endpoint answers with. Stateless.
 */
final class ErrorResponse {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponse.class);

    private ErrorResponse() {
    }

    /** An error answer; nothing is written once the response is committed. */
    static void send(HttpServletResponse resp, int status, String field, String message) {
        resp.setStatus(status);
        if (resp.isCommitted()) {
            return;
        }
        try {
            json(resp, status, error(message, field));
        } catch (IOException | IllegalStateException e) {
            LOG.debug("error body for status {} not sent: {}", status, e.toString());
        }
    }

    /** Writes a JSON document that no cache keeps. */
    static void json(HttpServletResponse resp, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** @return {@code {"error":message}}, with {@code "field"} when it is not {@code null} */
    static String error(String message, String field) {
        return "{\"error\":" + quote(message) + (field == null ? "" : ",\"field\":" + quote(field)) + "}";
    }

    /**
     * Quotes a JSON string. Control characters, U+2028, U+2029 and every surrogate are escaped as {@code \\uXXXX}, so
     * the text is safe inside a script and an unpaired surrogate never becomes {@code ?} in UTF-8.
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x2028 || c == 0x2029 || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
