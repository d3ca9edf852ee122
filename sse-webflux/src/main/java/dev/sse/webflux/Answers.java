package dev.sse.webflux;

import dev.sse.core.http.Header;
import dev.sse.core.http.HttpAnswer;
import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** Writes the shared rules' answers ({@link HttpAnswer}) and headers on WebFlux. */
final class Answers {

    private Answers() {
    }

    /** Adds the headers to the exchange's response itself, where a {@code ServerResponse} keeps them. */
    static void apply(List<Header> headers, HttpHeaders out) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase("Vary")) {
                out.add(h.name(), h.value());
            } else {
                out.set(h.name(), h.value());
            }
        }
    }

    static Mono<ServerResponse> response(HttpAnswer answer) {
        return ServerResponse.status(answer.status()).headers(h -> apply(answer.headers(), h))
                .build((exchange, context) -> write(answer, exchange.getResponse()));
    }

    static Mono<Void> write(HttpAnswer answer, ServerHttpResponse response) {
        response.setStatusCode(HttpStatus.valueOf(answer.status()));
        apply(answer.headers(), response.getHeaders());
        if (answer.bodyLength() == 0) {
            return response.setComplete();
        }
        byte[] body = answer.body();
        response.getHeaders().setContentLength(body.length);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }
}
