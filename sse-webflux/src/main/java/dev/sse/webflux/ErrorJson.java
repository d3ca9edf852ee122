package dev.sse.webflux;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** The JSON error bodies every adapter sends: {@code {"error":"...","field":"..."}}. */
final class ErrorJson {

    private ErrorJson() {
    }

    static Mono<ServerResponse> response(int status, String field, String message) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(body(field, message));
    }

    static String body(String field, String message) {
        return "{\"error\":" + quote(message) + (field == null ? "" : ",\"field\":" + quote(field)) + "}";
    }

    static String quote(String text) {
        StringBuilder b = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
