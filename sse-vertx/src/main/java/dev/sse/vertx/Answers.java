package dev.sse.vertx;

import dev.sse.core.http.Header;
import dev.sse.core.http.HttpAnswer;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/** Writes the rules' answers to a Vert.x response. */
final class Answers {

    private Answers() {
    }

    static void addHeaders(HttpServerResponse response, List<Header> headers) {
        for (Header h : headers) {
            response.headers().add(h.name(), h.value());
        }
    }

    /** Writes the whole answer and ends the response; nothing if the response already went out. */
    static void write(HttpServerResponse response, HttpAnswer answer) {
        if (response.headWritten() || response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(answer.status());
        addHeaders(response, answer.headers());
        if (answer.bodyLength() > 0) {
            response.putHeader("Content-Length", Integer.toString(answer.bodyLength()));
            response.end(Buffer.buffer(answer.body()));
        } else {
            response.end();
        }
    }
}
