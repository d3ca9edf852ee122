package dev.sse.servlet;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An error answer with a JSON body naming the field and the problem: {@code {"error":"...","field":"..."}}. */
final class ErrorResponse {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponse.class);

    private ErrorResponse() {
    }

    static void send(HttpServletResponse resp, int status, String field, String message) {
        resp.setStatus(status);
        if (resp.isCommitted()) {
            return;
        }
        byte[] body = ("{\"error\":" + quote(message) + (field == null ? "" : ",\"field\":" + quote(field)) + "}")
                .getBytes(StandardCharsets.UTF_8);
        resp.setContentType("application/json");
        resp.setCharacterEncoding("utf-8");
        resp.setContentLength(body.length);
        try {
            resp.getOutputStream().write(body);
        } catch (IOException | IllegalStateException e) {
            LOG.debug("error body for status {} not sent: {}", status, e.toString());
        }
    }

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
